"""The rebates' demo data (``portal.demo.seed`` calls ``seed``): idempotent, rows only (no audit, no e-mail).

Every scale: an active quarterly retroactive program over every partner with a ladder sized to the demo's
orders, and a yearly incremental one for distributors. Small only: last quarter's statements calculated
(through the calculation itself, synchronously) and approved, so partners see a statement at once; the large
scale leaves the calculation to the admin (and to `make bench`).
"""

from __future__ import annotations

from sqlalchemy import insert, select

from portal.accounts.models import User
from portal.core.money import to_cents
from portal.core.time import utcnow
from portal.extensions import db
from portal.rebates import calculation, service
from portal.rebates.models import RebateProgram, RebateRun, RebateRung, RebateStatement, program_types

PROGRAMS = [
    ("Quarterly growth rebate", "quarter", "retroactive", [], [("0", "2"), ("2500", "5"), ("5000", "8"),
                                                                ("10000", "10")]),
    ("Distributor volume bonus", "year", "incremental", ["distributor"], [("0", "1"), ("5000", "3"),
                                                                          ("20000", "5")]),
]


def seed(scale: str = "small") -> str:
    admin = db.session.scalar(select(User).where(User.email == "admin@demo.test"))
    if admin is None:
        return ""
    today = utcnow().date()
    for name, period_type, mode, types, rungs in PROGRAMS:
        if db.session.scalar(select(RebateProgram.id).where(RebateProgram.name == name)) is not None:
            continue
        # rows only (no audit entry): the same rules as the admin's form, checked before writing
        data = service.ProgramInput(name=name, period_type=period_type, mode=mode, status="active", currency="USD",
                                    starts_on=f"{today.year - 2}-01-01", ends_on=f"{today.year + 1}-12-31",
                                    partner_types=types, rungs=rungs)
        checked, errors = service.check(data)
        assert not errors, errors
        program = RebateProgram(name=name, period_type=period_type, mode=mode, status="active", currency="USD",
                                starts_on=checked.starts_on, ends_on=checked.ends_on)
        db.session.add(program)
        db.session.flush()
        db.session.add_all([RebateRung(program_id=program.id, position=i, threshold_cents=to_cents(r.threshold),
                                       rate_thousandths=service.rate_to_thousandths(r.rate))
                            for i, r in enumerate(checked.rungs)])
        if types:
            db.session.execute(insert(program_types), [{"program_id": program.id, "partner_type": t} for t in types])
    db.session.flush()
    program = db.session.scalar(select(RebateProgram).where(RebateProgram.name == PROGRAMS[0][0]))
    if scale == "small" and program is not None and db.session.scalar(
            select(RebateStatement.id).where(RebateStatement.program_id == program.id).limit(1)) is None:
        periods = service.periods(program, today)
        if len(periods) > 1:
            last = periods[1]
            run = RebateRun(program_id=program.id, period_start=last.start, period_end=last.end, status="running",
                            running_key=program.id, started_by=admin.id)
            db.session.add(run)
            db.session.flush()
            calculation.run(run.id)
            for statement in db.session.scalars(select(RebateStatement).where(RebateStatement.run_id == run.id)):
                statement.status, statement.approved_at, statement.approved_by = "approved", utcnow(), admin.id
    return ""  # like the lifecycle's demo: the seed's summary counts accounts and volume only
