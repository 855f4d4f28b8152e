"""The calculation of a program's period: one set-based pass, one transaction, drafts only.

Revenue is what the orders area stores: delivered order lines (``orders.delivered_at`` in the period, the
program's currency, eligible partner tier/type and product category) minus the credits of accepted returns
of those orders (a return counts in the period its order was delivered in). The job aggregates the period's
lines once: the statements' lines (one per contributing order and per credit) are written with
``INSERT … SELECT`` and each partner's revenue is the sum of its lines; the ladder function
(``portal.rebates.ladder``) gives each partner's payout. ``revenue_by_partner`` (the same selects, summed per
partner) gives the accrual and the simulator their revenue.

Re-running replaces the period's *draft* statements only; a partner with an approved or paid statement for the
period is left alone. An approved/paid statement of an earlier period whose revenue changed since (a return
after approval) is recomputed: the difference to what was settled is an adjustment line on the partner's
statement for this period, with the arithmetic (revenue and earned rebate then and now). Nothing is paid twice:
what was settled for a period is its earned rebate plus every approved adjustment of it.

The job writes the run's status in its own small transaction first (so the page shows "running"), then the
whole result in one transaction: a killed worker or a failure leaves no statement half-written.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import and_, delete, func, insert, literal, select, update

from portal.catalogue.models import Product
from portal.core.errors import Conflict, Invalid
from portal.core.money import to_cents
from portal.core.time import utcnow
from portal.extensions import db
from portal.orders.models import Credit, CreditLine, Order, OrderLine
from portal.partners.models import Partner
from portal.rebates import ladder, service
from portal.rebates.models import RebateProgram, RebateRun, RebateStatement, RebateStatementLine

CHUNK = 500
STALE_AFTER = timedelta(minutes=30)  # a run "running" this long lost its worker: another may start


def _at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def window(program: RebateProgram, start: date, end: date) -> tuple[datetime, datetime]:
    """The period clipped to the program's date range, as UTC instants [from, to)."""
    return _at(max(start, program.starts_on)), _at(min(end, program.ends_on + timedelta(days=1)))


# --- revenue: two aggregate queries -----------------------------------------------------------------------

def _eligible(stmt, elig: service.Eligibility, partner_col, product_col):
    if elig.tier_ids or elig.partner_types:
        stmt = stmt.join(Partner, Partner.id == partner_col)
        if elig.tier_ids:
            stmt = stmt.where(Partner.tier_id.in_(elig.tier_ids))
        if elig.partner_types:
            stmt = stmt.where(Partner.type.in_(elig.partner_types))
    if elig.category_ids:
        stmt = stmt.join(Product, Product.id == product_col).where(Product.category_id.in_(elig.category_ids))
    return stmt


def _delivered(program, elig, start: datetime, end: datetime, *columns):
    """Eligible delivered order lines of the window: a select of ``columns`` (grouped by the caller)."""
    stmt = (select(*columns).select_from(OrderLine).join(Order, Order.id == OrderLine.order_id)
            .where(Order.delivered_at >= start, Order.delivered_at < end, Order.currency == program.currency))
    return _eligible(stmt, elig, Order.partner_id, OrderLine.product_id)


def _credited(program, elig, start: datetime, end: datetime, *columns):
    """Credit lines of accepted returns of the window's delivered orders (eligible lines only)."""
    stmt = (select(*columns).select_from(CreditLine).join(Credit, Credit.id == CreditLine.credit_id)
            .join(Order, Order.id == Credit.order_id)
            .where(Order.delivered_at >= start, Order.delivered_at < end, Order.currency == program.currency))
    if elig.category_ids:
        stmt = stmt.join(OrderLine, OrderLine.id == CreditLine.order_line_id)
    return _eligible(stmt, elig, Order.partner_id, OrderLine.product_id)


def revenue_by_partner(program, elig, start: datetime, end: datetime,
                       partner_ids: list[int] | None = None) -> dict[int, int]:
    """Net eligible revenue (cents) per partner in [start, end): delivered lines minus accepted credits."""
    sold = _delivered(program, elig, start, end, Order.partner_id, func.sum(OrderLine.line_total_cents))
    back = _credited(program, elig, start, end, Order.partner_id, func.sum(CreditLine.line_total_cents))
    if partner_ids is not None:
        sold, back = sold.where(Order.partner_id.in_(partner_ids)), back.where(Order.partner_id.in_(partner_ids))
    totals: dict[int, int] = {}
    for pid, cents in db.session.execute(sold.group_by(Order.partner_id)).all():
        totals[pid] = int(cents or 0)
    for pid, cents in db.session.execute(back.group_by(Order.partner_id)).all():
        totals[pid] = totals.get(pid, 0) - int(cents or 0)
    return totals


def bare_aggregate(start: datetime, end: datetime) -> int:
    """The yardstick of the bench: the plain aggregate over the same lines, without eligibility or writes."""
    stmt = (select(Order.partner_id, func.sum(OrderLine.line_total_cents)).select_from(OrderLine)
            .join(Order, Order.id == OrderLine.order_id)
            .where(Order.delivered_at >= start, Order.delivered_at < end).group_by(Order.partner_id))
    return len(db.session.execute(stmt).all())


# --- starting a run ---------------------------------------------------------------------------------------

def active_run(program_id: int) -> RebateRun | None:
    return db.session.scalar(select(RebateRun).where(RebateRun.running_key == program_id))


def start(actor, program_id: int, period_start: date | None) -> tuple[RebateRun, bool]:
    """Queue a calculation of the program's period; (the run, True). While one of the program runs, that run
    is answered instead (False): a second click never starts a second run."""
    program = service.get(actor, program_id)
    period = service.period_of(program, period_start) if period_start else None
    if period is None:
        raise Invalid({"period": [_("Choose one of the program's periods.")]})
    if not service.rungs_of(program.id):
        raise Conflict(_("The program has no ladder yet."))
    running = active_run(program.id)
    if running is not None:
        if utcnow() - running.created_at < STALE_AFTER:
            return running, False
        running.status, running.running_key, running.error = "failed", None, "stale: no worker finished it"
        db.session.flush()
    run = RebateRun(program_id=program.id, period_start=period.start, period_end=period.end, status="queued",
                    running_key=program.id, started_by=actor.id)
    db.session.add(run)
    db.session.flush()
    from portal.core import audit, queue

    audit.record(actor, "rebate_run.started", run, summary=f"{program.name} {period.label}")
    queue.enqueue_after_commit(db.session, "jobs.rebates.calculate", run.id)
    return run, True


def begin(run_id: int, job_id: str = "") -> RebateRun | None:
    """The job takes its run: status running (committed by the job before the work). None: nothing to do
    (done already, or another run of the program took over after this one failed)."""
    run = db.session.get(RebateRun, run_id)
    if run is None or run.status == "done":
        return None
    if run.status == "failed":
        if active_run(run.program_id) is not None:
            return None
        run.running_key = run.program_id
    run.status, run.job_id, run.error = "running", job_id[:64], ""
    db.session.flush()
    return run


def fail(run_id: int, error: Exception) -> None:
    db.session.execute(update(RebateRun).where(RebateRun.id == run_id).values(
        status="failed", running_key=None, finished_at=utcnow(), error=f"{type(error).__name__}: {error}"[:300]))


# --- the run ----------------------------------------------------------------------------------------------

def _settled(program_id: int, before: date) -> list[dict]:
    """Approved/paid statements of the program's earlier periods with what was settled for each: its earned
    rebate plus its approved adjustments, and the revenue they were last settled on."""
    adj = RebateStatementLine.__table__.alias("adj")
    holder = RebateStatement.__table__.alias("holder")
    settled_adjustments = (select(adj.c.adjusts_id, func.sum(adj.c.amount_cents).label("amount"),
                                  func.max(adj.c.id).label("last_id"))
                           .join(holder, holder.c.id == adj.c.statement_id)
                           .where(adj.c.kind == "adjustment", holder.c.status != "draft")
                           .group_by(adj.c.adjusts_id).subquery())
    last = RebateStatementLine.__table__.alias("last_adjustment")
    rows = db.session.execute(
        select(RebateStatement.id, RebateStatement.partner_id, RebateStatement.period_start,
               RebateStatement.period_end, RebateStatement.earned_cents, RebateStatement.revenue_cents,
               settled_adjustments.c.amount, last.c.to_revenue_cents)
        .outerjoin(settled_adjustments, settled_adjustments.c.adjusts_id == RebateStatement.id)
        .outerjoin(last, last.c.id == settled_adjustments.c.last_id)
        .where(RebateStatement.program_id == program_id, RebateStatement.status != "draft",
               RebateStatement.period_start < before)).all()
    return [{"id": r[0], "partner_id": r[1], "start": r[2], "end": r[3], "settled": r[4] + int(r[6] or 0),
             "revenue": r[7] if r[7] is not None else r[5]} for r in rows]


def adjustments(program, elig, rungs, before: date) -> dict[int, list[dict]]:
    """Per partner: the adjustment lines owed for earlier approved periods whose earned rebate changed."""
    owed: dict[int, list[dict]] = {}
    past = _settled(program.id, before)
    for start, end in sorted({(s["start"], s["end"]) for s in past}):
        group = [s for s in past if s["start"] == start]
        frm, to = window(program, start, end)
        now = revenue_by_partner(program, elig, frm, to, [s["partner_id"] for s in group])
        for s in group:
            revenue = now.get(s["partner_id"], 0)
            earned = ladder.payout_cents(program.mode, rungs, revenue).rebate_cents
            if earned != s["settled"]:
                owed.setdefault(s["partner_id"], []).append({
                    "adjusts_id": s["id"], "from_revenue_cents": s["revenue"], "to_revenue_cents": revenue,
                    "from_earned_cents": s["settled"], "to_earned_cents": earned,
                    "amount_cents": earned - s["settled"]})
    return owed


def _candidates(elig: service.Eligibility) -> set[int]:
    """Every partner the program may pay (its partner tiers and types): each gets an empty draft first."""
    stmt = select(Partner.id)
    if elig.tier_ids:
        stmt = stmt.where(Partner.tier_id.in_(elig.tier_ids))
    if elig.partner_types:
        stmt = stmt.where(Partner.type.in_(elig.partner_types))
    return set(db.session.scalars(stmt))


def run(run_id: int, progress: Callable[[int, int], None] = lambda done, total: None) -> RebateRun | None:
    """Compute the run's period and write its draft statements (flush only: the job commits once).

    The period's lines are aggregated once: an empty draft for every partner the program may pay, its lines
    written with ``INSERT … SELECT`` (one per contributing order and per credit), each partner's revenue the
    sum of its lines; drafts without a line are dropped, the others get their rung, rate and rebate."""
    calc = db.session.get(RebateRun, run_id)
    program = db.session.get(RebateProgram, calc.program_id)
    elig, rungs = service.eligibility_of(program.id), service.rungs_of(program.id)
    if not rungs:
        raise ValueError("the program has no ladder")
    period = service.period_containing(program.period_type, calc.period_start)
    frm, to = window(program, calc.period_start, calc.period_end)
    owed = adjustments(program, elig, rungs, calc.period_start)
    same_period = and_(RebateStatement.program_id == program.id, RebateStatement.period_start == calc.period_start)
    locked = set(db.session.scalars(select(RebateStatement.partner_id).where(same_period,
                                                                            RebateStatement.status != "draft")))
    drafts = select(RebateStatement.id).where(same_period, RebateStatement.status == "draft")
    bulk = {"synchronize_session": False}  # no draft is loaded in the session: nothing to fetch back
    db.session.execute(delete(RebateStatementLine).where(RebateStatementLine.statement_id.in_(drafts)),
                       execution_options=bulk)
    db.session.execute(delete(RebateStatement).where(same_period, RebateStatement.status == "draft"),
                       execution_options=bulk)
    now = utcnow()
    empty = [{"number": f"RB-{program.id}-{period.label}-{pid}", "program_id": program.id, "partner_id": pid,
              "run_id": calc.id, "period_start": calc.period_start, "period_end": calc.period_end, "status": "draft",
              "currency": program.currency, "mode": program.mode, "revenue_cents": 0, "rung": 0,
              "rate_thousandths": 0, "earned_cents": 0, "adjustment_cents": 0, "amount_cents": 0, "created_at": now}
             for pid in sorted((_candidates(elig) | set(owed)) - locked)]
    if empty:
        db.session.execute(insert(RebateStatement), empty)
    _write_lines(program, elig, calc, frm, to, owed)
    of_run = RebateStatement.run_id == calc.id
    has_lines = select(RebateStatementLine.id).where(RebateStatementLine.statement_id == RebateStatement.id).exists()
    db.session.execute(delete(RebateStatement).where(of_run, ~has_lines), execution_options=bulk)
    statement_of = dict(db.session.execute(select(RebateStatement.partner_id, RebateStatement.id).where(of_run)).all())
    revenue = dict(db.session.execute(
        select(RebateStatementLine.statement_id, func.sum(RebateStatementLine.amount_cents))
        .join(RebateStatement, RebateStatement.id == RebateStatementLine.statement_id)
        .where(of_run, RebateStatementLine.kind.in_(("order", "credit")))
        .group_by(RebateStatementLine.statement_id)).all())
    partners = sorted(statement_of)
    total_rebate = 0
    progress(0, len(partners))
    for at in range(0, len(partners), CHUNK):
        rows = []
        for pid in partners[at:at + CHUNK]:
            cents = int(revenue.get(statement_of[pid], 0))
            pay = ladder.payout_cents(program.mode, rungs, cents)
            adjustment = sum(a["amount_cents"] for a in owed.get(pid, ()))
            nxt = rungs[pay.rung + 1] if pay.rung + 1 < len(rungs) else None
            rows.append({
                "id": statement_of[pid], "revenue_cents": cents, "rung": pay.rung,
                "rate_thousandths": service.rate_to_thousandths(pay.rate), "earned_cents": pay.rebate_cents,
                "adjustment_cents": adjustment, "amount_cents": pay.rebate_cents + adjustment,
                "next_threshold_cents": to_cents(nxt.threshold) if nxt else None,
                "revenue_to_next_cents": to_cents(nxt.threshold) - cents if nxt else None,
                "next_rate_thousandths": service.rate_to_thousandths(nxt.rate) if nxt else None})
            total_rebate += pay.rebate_cents + adjustment
        if rows:
            db.session.execute(update(RebateStatement), rows)  # by primary key, one executemany
        progress(min(at + CHUNK, len(partners)), len(partners))
    calc.status, calc.running_key, calc.finished_at = "done", None, utcnow()
    calc.statements, calc.rebate_cents = len(partners), total_rebate
    db.session.flush()
    return calc


def _write_lines(program, elig, calc, frm: datetime, to: datetime, owed: dict[int, list[dict]]) -> None:
    """The statements' lines, set-based: one per contributing order and per credit, then the adjustments."""
    # each order's total first, the way the bare aggregate reads the window (the orders in table order, not
    # partner by partner through an index), then each total to its partner's statement
    keys = (Order.id, Order.partner_id, Order.number, Order.delivered_at)
    per_order = (_delivered(program, elig, frm, to, *keys, func.sum(OrderLine.line_total_cents).label("cents"))
                 .group_by(*keys).subquery())
    orders = (select(RebateStatement.id, literal("order"), per_order.c.id, per_order.c.number,
                     per_order.c.delivered_at, per_order.c.cents)
              .join(per_order, and_(RebateStatement.run_id == calc.id,
                                    RebateStatement.partner_id == per_order.c.partner_id)))
    columns = ["statement_id", "kind", "order_id", "reference", "happened_at", "amount_cents"]
    # a credit is its order's partner's: joined by the credit's own partner, the few credits of each statement's
    # partner are read (its partner index), not every order of the period to find the ones with a credit
    credit_of = and_(RebateStatement.run_id == calc.id, RebateStatement.partner_id == Credit.partner_id)
    db.session.execute(insert(RebateStatementLine).from_select(columns, orders))
    credits = (_credited(program, elig, frm, to, RebateStatement.id, literal("credit"), Credit.id, Order.id,
                         Credit.number, Credit.created_at, -func.sum(CreditLine.line_total_cents))
               .join(RebateStatement, credit_of)
               .group_by(RebateStatement.id, Credit.id, Order.id, Credit.number, Credit.created_at))
    db.session.execute(insert(RebateStatementLine).from_select(
        ["statement_id", "kind", "credit_id", "order_id", "reference", "happened_at", "amount_cents"], credits))
    if owed:
        ids = dict(db.session.execute(select(RebateStatement.partner_id, RebateStatement.id)
                                      .where(RebateStatement.run_id == calc.id,
                                             RebateStatement.partner_id.in_(list(owed)))).all())
        numbers = dict(db.session.execute(select(RebateStatement.id, RebateStatement.number).where(
            RebateStatement.id.in_([a["adjusts_id"] for lines in owed.values() for a in lines]))).all())
        rows = [{"statement_id": ids[pid], "kind": "adjustment", "reference": numbers.get(a["adjusts_id"], ""),
                 **a} for pid, lines in owed.items() if pid in ids for a in lines]
        if rows:
            db.session.execute(insert(RebateStatementLine), rows)


# --- what the admin page shows while it runs ----------------------------------------------------------------

def progress_of(calc: RebateRun) -> tuple[int, int]:
    """(done, total) partners of a running run, from the RQ job's meta (0, 0 when not known yet)."""
    if calc.status != "running" or not calc.job_id:
        return 0, 0
    from rq.exceptions import NoSuchJobError
    from rq.job import Job

    from portal.core.queue import connection

    try:
        meta = Job.fetch(calc.job_id, connection=connection()).get_meta(refresh=True)
    except (NoSuchJobError, Exception):  # Redis away: the bar just waits
        return 0, 0
    return int(meta.get("done", 0)), int(meta.get("total", 0))


def runs(program_id: int, limit: int = 10) -> list[RebateRun]:
    return list(db.session.scalars(select(RebateRun).where(RebateRun.program_id == program_id)
                                   .order_by(RebateRun.created_at.desc(), RebateRun.id.desc()).limit(limit)))

