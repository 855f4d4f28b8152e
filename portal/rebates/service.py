"""Rebate programs (admins): name, period type, date range, eligibility, mode, status and the ladder.

Every write goes through ``save``: the ladder is validated with the pure rules of ``portal.rebates.ladder``
(first threshold 0, strictly increasing, rates 0–100 % with at most 3 decimals) together with the program's
own fields, so every message shows in one round. A change to an active program is audited with the values
before and after (ladder included).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, insert, select

from portal.catalogue.models import Category, Tier
from portal.core import audit
from portal.core.errors import Forbidden, Invalid, NotFound
from portal.core.money import from_cents, to_cents
from portal.core.permissions import Permission
from portal.core.time import DayError, parse_day
from portal.core.urls import row_id
from portal.extensions import db
from portal.partners.forms import TYPE_LABELS
from portal.rebates import ladder
from portal.rebates.models import RebateProgram, RebateRung, program_categories, program_tiers, program_types

PERIOD_LABELS = {"month": _l("Month"), "quarter": _l("Quarter"), "year": _l("Year")}
MODE_LABELS = {"retroactive": _l("Retroactive (all units)"), "incremental": _l("Incremental (marginal)")}
STATUS_LABELS = {"draft": _l("Draft"), "active": _l("Active"), "closed": _l("Closed")}
CURRENCIES = ("USD", "EUR", "CNY", "GBP", "JPY")


def require_manager(actor) -> None:
    if not actor.can(Permission.MANAGE_REBATES):
        raise Forbidden(_("You do not have permission to do that."))


# --- the ladder as stored ----------------------------------------------------------------------------------

def rate_to_thousandths(rate: Decimal) -> int:
    return int(rate * 1000)  # exact: at most 3 decimals (ladder.parse_rate)


def rate_of(thousandths: int) -> Decimal:
    return (Decimal(thousandths) / 1000).normalize() if thousandths else Decimal(0)


def rungs_of(program_id: int) -> list[ladder.Rung]:
    rows = db.session.execute(select(RebateRung.threshold_cents, RebateRung.rate_thousandths)
                              .where(RebateRung.program_id == program_id).order_by(RebateRung.position)).all()
    return [ladder.Rung(from_cents(t), rate_of(r)) for t, r in rows]


def ladders_of(program_ids) -> dict[int, list[ladder.Rung]]:
    """Every listed program's ladder in one query."""
    found: dict[int, list[ladder.Rung]] = {pid: [] for pid in program_ids}
    if not found:
        return found
    rows = db.session.execute(select(RebateRung.program_id, RebateRung.threshold_cents, RebateRung.rate_thousandths)
                              .where(RebateRung.program_id.in_(list(found)))
                              .order_by(RebateRung.program_id, RebateRung.position)).all()
    for pid, t, r in rows:
        found[pid].append(ladder.Rung(from_cents(t), rate_of(r)))
    return found


@dataclass
class Eligibility:
    tier_ids: list[int] = field(default_factory=list)
    partner_types: list[str] = field(default_factory=list)
    category_ids: list[int] = field(default_factory=list)


def eligibility_of(program_id: int) -> Eligibility:
    return Eligibility(
        tier_ids=list(db.session.scalars(select(program_tiers.c.tier_id).where(program_tiers.c.program_id == program_id)
                                         .order_by(program_tiers.c.tier_id))),
        partner_types=list(db.session.scalars(select(program_types.c.partner_type)
                                              .where(program_types.c.program_id == program_id)
                                              .order_by(program_types.c.partner_type))),
        category_ids=list(db.session.scalars(select(program_categories.c.category_id)
                                             .where(program_categories.c.program_id == program_id)
                                             .order_by(program_categories.c.category_id))))


# --- reading -----------------------------------------------------------------------------------------------

def programs(actor, status: str = ""):
    require_manager(actor)
    stmt = select(RebateProgram).order_by(RebateProgram.starts_on.desc(), RebateProgram.id.desc())
    if status in STATUS_LABELS:
        stmt = stmt.where(RebateProgram.status == status)
    return stmt


def get(actor, program_id: int) -> RebateProgram:
    require_manager(actor)
    program = db.session.get(RebateProgram, program_id)
    if program is None:
        raise NotFound(_("Rebate program not found."))
    return program


# --- writing -----------------------------------------------------------------------------------------------

@dataclass
class ProgramInput:
    name: str = ""
    period_type: str = "quarter"
    starts_on: str = ""  # YYYY-MM-DD as typed
    ends_on: str = ""
    mode: str = "retroactive"
    status: str = "draft"
    currency: str = "USD"
    tier_ids: list[str] = field(default_factory=list)
    partner_types: list[str] = field(default_factory=list)
    category_ids: list[str] = field(default_factory=list)
    rungs: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class Checked:
    rungs: list[ladder.Rung]
    starts_on: date | None
    ends_on: date | None
    tier_ids: list[int]
    category_ids: list[int]


def _ids(values: list[str], name: str, errors: dict) -> list[int]:
    found = [row_id(v) for v in values if v]
    if any(v is None for v in found):
        errors[name] = [_("Choose one of the offered options.")]
        return []
    return sorted(set(found))


def _day(text: str, name: str, errors: dict) -> date | None:
    try:
        day = parse_day(text)
    except DayError as exc:
        errors.setdefault(name, []).append(str(exc))
        return None
    if day is None:
        errors.setdefault(name, []).append(_("Enter a date."))
    return day


def check(data: ProgramInput) -> tuple[Checked, dict[str, list[str]]]:
    """Every rule on the input at once: (the parsed values, field errors)."""
    rungs, errors = ladder.parse_rungs(data.rungs)
    starts_on, ends_on = _day(data.starts_on, "starts_on", errors), _day(data.ends_on, "ends_on", errors)
    tier_ids, category_ids = _ids(data.tier_ids, "tier_ids", errors), _ids(data.category_ids, "category_ids", errors)
    name = (data.name or "").strip()
    if not name:
        errors["name"] = [_("Enter a name.")]
    elif len(name) > 120:
        errors["name"] = [_("Use at most %(n)s characters.", n=120)]
    if data.period_type not in PERIOD_LABELS:
        errors["period_type"] = [_("Choose one of the offered options.")]
    if data.mode not in ladder.MODES:
        errors["mode"] = [_("Choose one of the offered options.")]
    if data.status not in STATUS_LABELS:
        errors["status"] = [_("Choose one of the offered options.")]
    if data.currency not in CURRENCIES:
        errors["currency"] = [_("Choose one of the offered options.")]
    if starts_on and ends_on and ends_on < starts_on:
        errors.setdefault("ends_on", []).append(_("The end cannot be before the start."))
    if set(data.partner_types) - {str(t) for t in TYPE_LABELS}:
        errors["partner_types"] = [_("Choose one of the offered options.")]
    if tier_ids and len(db.session.scalars(select(Tier.id).where(Tier.id.in_(tier_ids))).all()) != len(tier_ids):
        errors["tier_ids"] = [_("Choose one of the offered options.")]
    if category_ids and len(db.session.scalars(select(Category.id).where(Category.id.in_(category_ids))).all()) \
            != len(category_ids):
        errors["category_ids"] = [_("Choose one of the offered options.")]
    return Checked(rungs, starts_on, ends_on, tier_ids, category_ids), errors


def _state(program: RebateProgram) -> dict:
    """What the audit log compares before and after a change."""
    values = audit.snapshot(program, ["name", "period_type", "starts_on", "ends_on", "mode", "status", "currency"])
    elig = eligibility_of(program.id) if program.id else Eligibility()
    values.update(tier_ids=elig.tier_ids, partner_types=elig.partner_types, category_ids=elig.category_ids,
                  ladder=[[ladder.decimal_text(r.threshold, 2), ladder.decimal_text(r.rate)]
                          for r in (rungs_of(program.id) if program.id else [])])
    return values


def save(actor, data: ProgramInput, program_id: int | None = None) -> RebateProgram:
    """Create or update a program with its eligibility and ladder; Invalid with every field's message."""
    require_manager(actor)
    program = get(actor, program_id) if program_id is not None else RebateProgram()
    checked, errors = check(data)
    name = (data.name or "").strip()
    if name and "name" not in errors:
        clash = db.session.scalar(select(RebateProgram.id).where(RebateProgram.name == name,
                                                                 RebateProgram.id != (program_id or 0)))
        if clash is not None:
            errors["name"] = [_("Another program has this name.")]
    if errors:
        raise Invalid(errors)
    before = _state(program) if program_id is not None else None
    program.name, program.period_type, program.mode = name, data.period_type, data.mode
    program.starts_on, program.ends_on = checked.starts_on, checked.ends_on
    program.status, program.currency = data.status, data.currency
    db.session.add(program)
    db.session.flush()
    pid = program.id
    for table in (program_tiers, program_types, program_categories):
        db.session.execute(delete(table).where(table.c.program_id == pid))
    db.session.execute(delete(RebateRung).where(RebateRung.program_id == pid))
    if checked.tier_ids:
        db.session.execute(insert(program_tiers), [{"program_id": pid, "tier_id": t} for t in checked.tier_ids])
    if data.partner_types:
        db.session.execute(insert(program_types), [{"program_id": pid, "partner_type": t}
                                                   for t in sorted(set(data.partner_types))])
    if checked.category_ids:
        db.session.execute(insert(program_categories), [{"program_id": pid, "category_id": c}
                                                        for c in checked.category_ids])
    db.session.execute(insert(RebateRung), [
        {"program_id": pid, "position": i, "threshold_cents": to_cents(r.threshold),
         "rate_thousandths": rate_to_thousandths(r.rate)} for i, r in enumerate(checked.rungs)])
    after = _state(program)
    if before is None:
        audit.record(actor, "rebate_program.created", program, after=after, summary=program.name)
    elif before["status"] == "active" or after["status"] == "active":
        audit.record(actor, "rebate_program.changed", program, before=before, after=after, summary=program.name)
    return program


# --- periods -----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Period:
    start: date
    end: date  # exclusive
    label: str


def period_containing(period_type: str, day: date) -> Period:
    if period_type == "month":
        start = day.replace(day=1)
        end = (start + timedelta(days=32)).replace(day=1)
        return Period(start, end, f"{start:%Y-%m}")
    if period_type == "quarter":
        start = date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
        end = (start + timedelta(days=95)).replace(day=1)
        return Period(start, end, f"{start.year}-Q{(start.month - 1) // 3 + 1}")
    start = date(day.year, 1, 1)
    return Period(start, date(day.year + 1, 1, 1), f"{day.year}")


def periods(program: RebateProgram, today: date) -> list[Period]:
    """The program's periods that have started by ``today``, newest first (at most 60)."""
    found: list[Period] = []
    day = program.starts_on
    while day <= min(program.ends_on, today) and len(found) < 60:
        period = period_containing(program.period_type, day)
        found.append(period)
        day = period.end
    return found[::-1]


def period_of(program: RebateProgram, start: date) -> Period | None:
    """The program's period beginning on ``start`` (None if the program has no such period)."""
    if start < program.starts_on.replace(day=1) or start > program.ends_on:
        return None
    period = period_containing(program.period_type, start)
    return period if period.start == start else None
