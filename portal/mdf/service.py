"""MDF budgets and the one computation of what a budget has left (SPEC §6).

Per partner and quarter (a *period*):
- allocated: the budget an admin set (none: 0);
- committed: approved requests not yet paid — their approved amount while they wait for a claim or its
  decision, the reimbursement once the claim is approved;
- paid: the reimbursements paid;
- remaining = allocated − committed − paid. Requests still waiting for a decision are shown (``waiting``)
  but reserve nothing; rejected and lapsed requests count for nothing (a lapsed approval returns to
  remaining).
``tally`` is that rule and nothing else; ``figures`` feeds it from the database for many partners at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from flask_babel import gettext as _
from sqlalchemy import and_, false, func, or_, select

from portal.core import audit, money
from portal.core.errors import Forbidden, Invalid, NotFound
from portal.core.permissions import Permission
from portal.core.time import utcnow
from portal.extensions import db
from portal.mdf.models import MdfBudget, MdfRequest
from portal.partners.models import Partner
from portal.partners.service import partner_scope

Period = tuple[int, int]  # (year, quarter)
CURRENCIES = ("USD", "CNY", "EUR", "HKD", "TWD", "JPY", "GBP", "SGD")
MAX_BUDGET_CENTS = 100_000_000_000  # 1,000,000,000.00
FIRST_YEAR, LAST_YEAR = 2000, 2100
# what each status of a request does to its budget: (waiting, committed, paid) from (requested, approved, reimbursed)
COMMITTING = ("approved", "claimed")


@dataclass(frozen=True)
class Figures:
    allocated: int = 0
    committed: int = 0
    paid: int = 0
    waiting: int = 0  # requested, not decided yet: reserves nothing

    @property
    def remaining(self) -> int:
        return self.allocated - self.committed - self.paid


def tally(allocated: int, sums) -> Figures:
    """The budget's figures from ``allocated`` and its requests' sums per status: ``(status, requested cents,
    approved cents, reimbursed cents)`` rows (sums of those columns, None for none)."""
    committed = paid = waiting = 0
    for status, requested, approved, reimbursed in sums:
        if status == "submitted":
            waiting += requested or 0
        elif status in COMMITTING:
            committed += approved or 0
        elif status == "reimbursed":
            committed += reimbursed or 0
        elif status == "paid":
            paid += reimbursed or 0
    return Figures(allocated=allocated, committed=committed, paid=paid, waiting=waiting)


# --- periods ----------------------------------------------------------------------------------------------

def quarter_of(day: date) -> Period:
    return day.year, (day.month - 1) // 3 + 1


def current_period(now: datetime | None = None) -> Period:
    return quarter_of((now or utcnow()).date())


def period_start(period: Period) -> date:
    year, quarter = period
    return date(year, 3 * (quarter - 1) + 1, 1)


def next_period(period: Period) -> Period:
    year, quarter = period
    return (year + 1, 1) if quarter == 4 else (year, quarter + 1)


def previous_period(period: Period) -> Period:
    year, quarter = period
    return (year - 1, 4) if quarter == 1 else (year, quarter - 1)


def period_end(period: Period) -> date:
    """The period's first day after it ends."""
    return period_start(next_period(period))


def parse_period(text: str | None) -> Period | None:
    """``"2026-3"`` → (2026, 3); None for anything else."""
    year, _sep, quarter = (text or "").strip().partition("-")
    if not (year.isdigit() and quarter.isdigit() and len(year) == 4 and quarter in {"1", "2", "3", "4"}):
        return None
    if not FIRST_YEAR <= int(year) <= LAST_YEAR:
        return None
    return int(year), int(quarter)


def period_choices(now: datetime | None = None) -> list[Period]:
    """Budget periods offered: two quarters back to four ahead of the current one."""
    period = previous_period(previous_period(current_period(now)))
    out = []
    for _i in range(7):
        out.append(period)
        period = next_period(period)
    return out


def midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


# --- scope and figures ------------------------------------------------------------------------------------

def viewer(actor) -> None:
    if not actor.can(Permission.VIEW_MDF):
        raise Forbidden(_("You do not have permission to do that."))


def _periods_clause(periods: list[Period], year_col, quarter_col):
    if not periods:
        return false()
    return or_(*(and_(year_col == y, quarter_col == q) for y, q in set(periods)))


def figures(partner_ids: list[int], periods: list[Period]) -> dict[tuple[int, int, int], tuple[Figures, str]]:
    """Every (partner, year, quarter) of ``partner_ids`` × ``periods`` that has a budget or requests: its
    figures and currency. Two queries whatever the number of partners."""
    if not partner_ids or not periods:
        return {}
    budgets = {(b.partner_id, b.year, b.quarter): b for b in db.session.scalars(
        select(MdfBudget).where(MdfBudget.partner_id.in_(partner_ids),
                                _periods_clause(periods, MdfBudget.year, MdfBudget.quarter)))}
    sums: dict[tuple[int, int, int], list] = {}
    currencies: dict[tuple[int, int, int], str] = {}
    rows = db.session.execute(
        select(MdfRequest.partner_id, MdfRequest.year, MdfRequest.quarter, MdfRequest.status,
               func.max(MdfRequest.currency), func.sum(MdfRequest.requested_cents),
               func.sum(MdfRequest.approved_cents), func.sum(MdfRequest.reimbursed_cents))
        .where(MdfRequest.partner_id.in_(partner_ids),
               _periods_clause(periods, MdfRequest.year, MdfRequest.quarter))
        .group_by(MdfRequest.partner_id, MdfRequest.year, MdfRequest.quarter, MdfRequest.status))
    for pid, year, quarter, status, currency, requested, approved, reimbursed in rows:
        # PostgreSQL sums integers as numeric: back to int cents
        sums.setdefault((pid, year, quarter), []).append((status, *(None if v is None else int(v)
                                                                    for v in (requested, approved, reimbursed))))
        currencies[(pid, year, quarter)] = currency
    out = {}
    for key in set(budgets) | set(sums):
        budget = budgets.get(key)
        out[key] = (tally(budget.amount_cents if budget else 0, sums.get(key, [])),
                    budget.currency if budget else currencies[key])
    return out


@dataclass(frozen=True)
class PeriodLine:
    period: Period
    currency: str
    figures: Figures


def partner_overview(actor, partner_id: int) -> list[PeriodLine]:
    """A partner's budgets: the current quarter (even without a budget), the next ones that have a budget
    and the last eight with a budget or requests, newest first."""
    viewer(actor)
    found = db.session.scalar(select(Partner.id).where(Partner.id == partner_id,
                                                       partner_scope(actor, Partner.id)))
    if found is None:
        raise NotFound(_("Partner not found."))
    current = current_period()
    periods = {current} | {(y, q) for y, q in db.session.execute(
        select(MdfBudget.year, MdfBudget.quarter).where(MdfBudget.partner_id == partner_id)
        .order_by(MdfBudget.year.desc(), MdfBudget.quarter.desc()).limit(8))}
    periods |= {(y, q) for y, q in db.session.execute(
        select(MdfRequest.year, MdfRequest.quarter).where(MdfRequest.partner_id == partner_id).distinct()
        .order_by(MdfRequest.year.desc(), MdfRequest.quarter.desc()).limit(8))}
    found_figures = figures([partner_id], list(periods))
    lines = []
    for period in sorted(periods, reverse=True):
        figs, currency = found_figures.get((partner_id, *period), (Figures(), "USD"))
        lines.append(PeriodLine(period, currency, figs))
    return lines


@dataclass(frozen=True)
class BudgetRow:
    partner_id: int
    partner_name: str
    currency: str
    figures: Figures
    has_budget: bool


def budget_rows(actor, period: Period, page: int, size: int = 25, q: str = ""):
    """The partners the actor sees (by name, a page of them) with their budget figures for ``period``."""
    from portal.core.pagination import paginate

    viewer(actor)
    stmt = select(Partner.id, Partner.name).where(partner_scope(actor, Partner.id))
    if q:
        stmt = stmt.where(Partner.name.ilike(f"%{q}%"))
    found = paginate(stmt.order_by(Partner.name, Partner.id), page, size, scalars=False)
    figs = figures([pid for pid, _name in found.items], [period])
    budgets = set(db.session.scalars(select(MdfBudget.partner_id).where(
        MdfBudget.partner_id.in_([pid for pid, _name in found.items]), MdfBudget.year == period[0],
        MdfBudget.quarter == period[1]))) if found.items else set()
    rows = []
    for pid, name in found.items:
        f, currency = figs.get((pid, *period), (Figures(), "USD"))
        rows.append(BudgetRow(pid, name, currency, f, pid in budgets))
    return found, rows


# --- setting budgets --------------------------------------------------------------------------------------

def _manager(actor) -> None:
    if not actor.can(Permission.MANAGE_MDF_BUDGETS):
        raise Forbidden(_("You do not have permission to do that."))


def clean_budget(values: dict) -> tuple[dict, dict[str, list[str]]]:
    """A budget's fields from text (the page's form and the CSV's row): period, amount, currency."""
    errors: dict[str, list[str]] = {}
    period = parse_period(values.get("period"))
    if period is None:
        errors["period"] = [_("Choose a quarter, e.g. 2026-3 for 2026 Q3.")]
    amount = None
    try:
        amount = money.parse_amount_text(values.get("amount"), "50,000.00")
        if amount > MAX_BUDGET_CENTS:
            raise ValueError(_("Enter at most %(amount)s.", amount="1,000,000,000.00"))
    except ValueError as exc:
        errors["amount"] = [str(exc)]
    currency = str(values.get("currency") or "USD").strip().upper()
    if currency not in CURRENCIES:
        errors["currency"] = [_("Choose one of: %(list)s.", list=", ".join(CURRENCIES))]
    return {"period": period, "amount_cents": amount, "currency": currency}, errors


def set_budget(actor, partner_id: int | None, values: dict) -> MdfBudget:
    """An admin sets (creates or changes) a partner's budget for a quarter, audited with before/after. It may
    not go below what the quarter already committed and paid."""
    _manager(actor)
    partner = db.session.get(Partner, partner_id) if partner_id else None
    if partner is None:
        raise NotFound(_("Partner not found."))
    clean, errors = clean_budget(values)
    if errors:
        raise Invalid(errors)
    return write_budget(actor, partner, clean)


def write_budget(actor, partner: Partner, clean: dict, source: str = "") -> MdfBudget:
    year, quarter = clean["period"]
    budget = db.session.scalar(select(MdfBudget).where(
        MdfBudget.partner_id == partner.id, MdfBudget.year == year, MdfBudget.quarter == quarter)
        .with_for_update())
    used = figures([partner.id], [(year, quarter)]).get((partner.id, year, quarter))
    if used is not None:
        spent = used[0].committed + used[0].paid
        if clean["amount_cents"] < spent:
            raise Invalid({"amount": [_("%(partner)s already has %(amount)s approved or paid in %(year)s "
                                        "Q%(quarter)s: the budget cannot be lower.", partner=partner.name,
                                        amount=money.from_cents(spent), year=year, quarter=quarter)]})
        if used[0].committed + used[0].paid + used[0].waiting and used[1] != clean["currency"]:
            raise Invalid({"currency": [_("Requests in %(currency)s already use this budget.",
                                          currency=used[1])]})
    fields = ["amount_cents", "currency"]
    before = audit.snapshot(budget, fields) if budget else None
    if budget is None:
        budget = MdfBudget(partner_id=partner.id, year=year, quarter=quarter)
        db.session.add(budget)
    budget.amount_cents, budget.currency, budget.updated_by = clean["amount_cents"], clean["currency"], actor.id
    after = audit.snapshot(budget, fields)
    if before != after:
        db.session.flush()
        audit.record(actor, "mdf.budget_set", budget, partner_id=partner.id, before=before, after=after,
                     summary=f"{partner.name} {year} Q{quarter}{source}")
    return budget
