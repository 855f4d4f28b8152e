"""Deal registrations on the partner's side: register (with the conflict check), the live hint, my deals,
one extension, withdraw, won / lost. Tenancy: ``visible`` (``partner_scope``): another partner's deal is a 404.

A partner is told only that its registration is under review: the conflict check's result (which other
registrations, whose) stays with the vendor's reviewers (``portal.deals.review``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, func, or_, select, update

from portal.accounts.models import User
from portal.catalogue.models import Product
from portal.core import audit, money
from portal.core.errors import Conflict, Forbidden, Invalid, NotFound
from portal.core.pagination import Page, paginate
from portal.core.permissions import Permission, Role
from portal.core.time import DayError, parse_day, utcnow
from portal.deals import matching
from portal.deals import settings as deal_settings
from portal.deals.models import Deal, DealEvent, DealLine
from portal.extensions import db
from portal.notifications.service import notify
from portal.partners.models import Partner
from portal.partners.service import clean_text, partner_scope, require_trading

STATUS_LABELS = {
    "submitted": _l("Under review"), "approved": _l("Approved"), "rejected": _l("Rejected"),
    "withdrawn": _l("Withdrawn"), "won": _l("Won"), "lost": _l("Lost"), "expired": _l("Expired"),
    "released": _l("Released"),
}
MAX_LINES = 3
MAX_QUANTITY = 1_000_000
NOTES_MAX = 2000
REASON_MAX = 500
EXPIRING_DAYS = 14  # "expiring soon": protection ends within this many days
CANDIDATES = 100  # candidates per key at most (a bound: equal keys are rarely shared by more than a few)
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def status_label(status: str) -> str:
    label = STATUS_LABELS.get(status)
    return str(label) if label is not None else status


def open_clause(now: datetime):
    """Registrations that still count: submitted, or approved and in protection."""
    return or_(Deal.status == "submitted", and_(Deal.status == "approved", Deal.protection_ends_at > now))


# --- the conflict check: candidates by indexed keys only ------------------------------------------------------

@dataclass(frozen=True)
class Found:
    deal_id: int
    match: matching.Match


def find_conflicts(keys: matching.Keys, threshold: int, exclude_id: int | None = None,
                   now: datetime | None = None) -> list[Found]:
    """The open registrations for the same customer as ``keys`` (earliest first): equal company ID, domain or
    normalised name, or a near-identical name among those sharing its first or last characters, or whose middle
    ones stand at a position of the query the threshold allows (``matching.mid_probes``), of a length that can
    reach the threshold (``matching.length_band``). One statement of indexed lookups, never a scan."""
    now = now or utcnow()
    # Candidates by their keys' own indexes only (id subqueries), whether they are open is checked here: with the
    # status in the same WHERE a planner may prefer the status index and read every open registration.
    # Equal keys: the earliest first (the earliest wins). Fuzzy ones: the newest of a compatible length.
    exact = [select(Deal.id).where(column == value).order_by(Deal.id).limit(CANDIDATES)
             for column, value in ((Deal.name_key, keys.name_key), (Deal.domain_key, keys.domain_key),
                                   (Deal.company_id, keys.company_id)) if value]
    fuzzy = []
    if keys.name_key:
        band = matching.length_band(len(keys.name_key), threshold)
        probes = [(Deal.name_head, matching.name_head(keys.name_key), band),
                  (Deal.name_tail, matching.name_tail(keys.name_key), band)]
        probes += [(Deal.name_mid, gram, lengths)
                   for gram, lengths in matching.mid_probes(keys.name_key, threshold).items()]
        fuzzy = [select(Deal.id).where(column == value, func.length(Deal.name_key).between(*lengths))
                 .order_by(Deal.id.desc()).limit(CANDIDATES) for column, value, lengths in probes]
    if not exact and not fuzzy:
        return []
    rows = db.session.execute(select(Deal.id, Deal.name_key, Deal.domain_key, Deal.company_id, Deal.status,
                                     Deal.protection_ends_at).where(or_(*(Deal.id.in_(i) for i in exact + fuzzy))))
    found: dict[int, Found] = {}
    for deal_id, name_key, domain_key, company_id, status, ends in rows:
        if deal_id == exclude_id or not (status == "submitted" or (status == "approved" and ends > now)):
            continue
        match = matching.compare(keys, matching.Keys(name_key, domain_key, company_id), threshold)
        if match is not None:
            found[deal_id] = Found(deal_id, match)
    return [found[i] for i in sorted(found)]


def keys_of(deal: Deal) -> matching.Keys:
    return matching.Keys(deal.name_key, deal.domain_key, deal.company_id)


# --- reading ---------------------------------------------------------------------------------------------------

def _check(actor) -> None:
    if not (actor.can(Permission.REGISTER_DEALS) or actor.can(Permission.REVIEW_DEALS)):
        raise Forbidden(_("You do not have permission to do that."))


def visible(actor):
    """The registrations ``actor`` may read: their company's (partners), their partners' (a channel manager),
    all (admins)."""
    _check(actor)
    return select(Deal).where(partner_scope(actor, Deal.partner_id))


def get(actor, deal_id: int) -> Deal:
    deal = db.session.scalar(visible(actor).where(Deal.id == deal_id))
    if deal is None:
        raise NotFound(_("Deal registration not found."))
    return deal


@dataclass(frozen=True)
class Filters:
    status: str = ""
    expiry: str = ""  # "expiring": protection ends within EXPIRING_DAYS; "protected": in protection
    q: str = ""


def list_deals(actor, filters: Filters, now: datetime | None = None):
    """My deals (scoped), newest first, filtered by status, expiry and customer name."""
    now = now or utcnow()
    stmt = visible(actor)
    if filters.status in STATUS_LABELS:
        stmt = stmt.where(Deal.status == filters.status)
    if filters.expiry == "expiring":
        stmt = stmt.where(Deal.status == "approved", Deal.protection_ends_at > now,
                          Deal.protection_ends_at <= now + timedelta(days=EXPIRING_DAYS))
    elif filters.expiry == "protected":
        stmt = stmt.where(Deal.status == "approved", Deal.protection_ends_at > now)
    if filters.q:
        stmt = stmt.where(Deal.customer_name.ilike(f"%{filters.q}%"))
    return stmt.order_by(Deal.created_at.desc(), Deal.id.desc())


def page_of(actor, filters: Filters, number: int, size: int = 25) -> Page:
    return paginate(list_deals(actor, filters), number, size)


def lines(deal: Deal) -> list[DealLine]:
    return list(db.session.scalars(select(DealLine).where(DealLine.deal_id == deal.id).order_by(DealLine.id)))


def history(deal: Deal) -> list[DealEvent]:
    return list(db.session.scalars(select(DealEvent).where(DealEvent.deal_id == deal.id)
                                   .order_by(DealEvent.at, DealEvent.id)))


def days_left(deal: Deal, now: datetime | None = None) -> int | None:
    """Whole days of protection left (0 on the last day); None when not in protection."""
    now = now or utcnow()
    if deal.status != "approved" or deal.protection_ends_at is None or deal.protection_ends_at <= now:
        return None
    return (deal.protection_ends_at - now).days


def can_extend(deal: Deal, now: datetime | None = None) -> bool:
    return days_left(deal, now) is not None and deal.extended_at is None


# --- the hint while typing -------------------------------------------------------------------------------------

def similar_exists(actor, name: str, website: str = "", company_id: str = "") -> bool:
    """Whether an open registration for a similar customer may exist — nothing more (not whose, not which)."""
    if not actor.can(Permission.REGISTER_DEALS):
        raise Forbidden(_("You do not have permission to do that."))
    config = deal_settings.current()
    keys = matching.keys_of(name[:200], website[:200], company_id[:40], config.free_mail)
    if not (keys.name_key or keys.domain_key or keys.company_id):
        return False
    return bool(find_conflicts(keys, config.threshold))


# --- registering -----------------------------------------------------------------------------------------------

def _lines(data: dict, errors: dict[str, list[str]]) -> list[tuple[Product, int]]:
    chosen: list[tuple[Product, int]] = []
    wanted = []
    for n in range(1, MAX_LINES + 1):
        sku = str(data.get(f"sku_{n}") or "").strip()
        quantity = str(data.get(f"quantity_{n}") or "").strip()
        if not sku and not quantity:
            continue
        if not sku:
            errors[f"sku_{n}"] = [_("Enter the product's SKU.")]
            continue
        if not (quantity.isascii() and quantity.isdigit()) or not 1 <= int(quantity) <= MAX_QUANTITY:
            errors[f"quantity_{n}"] = [_("Enter a whole number from 1 to %(n)s.", n="1,000,000")]
            continue
        wanted.append((n, sku[:64], int(quantity)))
    products = {p.sku: p for p in db.session.scalars(select(Product).where(
        Product.sku.in_([sku for _n, sku, _q in wanted]), Product.active.is_(True)))} if wanted else {}
    for n, sku, quantity in wanted:
        if sku not in products:
            errors[f"sku_{n}"] = [_("No product with this SKU is in the catalogue.")]
        else:
            chosen.append((products[sku], quantity))
    if not chosen and not any(key.startswith(("sku_", "quantity_")) for key in errors):
        errors["sku_1"] = [_("Add at least one product of the catalogue.")]
    return chosen


def validate(data: dict, today: date, free_mail) -> tuple[dict, list[tuple[Product, int]]]:
    """The registration's fields cleaned, and its products; every problem at once (Invalid)."""
    errors: dict[str, list[str]] = {}
    out: dict = {}
    for name, limit, missing in (("customer_name", 200, _("Enter the customer's company name.")),
                                 ("customer_domain", 200, _("Enter the customer's website or e-mail domain.")),
                                 ("contact_name", 120, None), ("contact_email", 254, None),
                                 ("region", 60, _("Enter the region.")), ("company_id", 40, None)):
        text, problem = clean_text(data.get(name), limit)
        if problem or (missing and not text):
            errors[name] = [problem or missing]
        out[name] = text
    out["notes"], problem = clean_text(data.get("notes"), NOTES_MAX, multiline=True)
    if problem:
        errors["notes"] = [problem]
    if "customer_name" not in errors and not matching.normalise_name(out["customer_name"]):
        errors["customer_name"] = [_("Enter the customer's company name.")]
    if "customer_domain" not in errors and not matching.registrable_domain(out["customer_domain"]):
        errors["customer_domain"] = [_("Enter a website such as www.example.com or an e-mail domain such as "
                                       "example.com.")]
    if out["contact_email"] and not _EMAIL.fullmatch(out["contact_email"]):
        errors["contact_email"] = [_("Enter an e-mail address such as name@example.com.")]
    code = matching.normalise_company_id(out["company_id"])
    problem = matching.company_id_problem(code) if "company_id" not in errors else None
    if problem == "credit_code":
        errors["company_id"] = [_("This unified social credit code is not valid (check its last character).")]
    elif problem:
        errors["company_id"] = [_("Enter the company ID with letters and digits only (4 to 40).")]
    out["company_id"] = code or None
    try:
        out["estimated_value_cents"] = money.parse_amount_text(data.get("estimated_value"), "25,000.00")
    except ValueError as exc:
        errors["estimated_value"] = [str(exc)]
    close = data.get("expected_close")
    if isinstance(close, str):
        try:
            close = parse_day(close)
        except DayError as exc:
            errors["expected_close"], close = [str(exc)], None
    if "expected_close" in errors:
        pass
    elif not isinstance(close, date):
        errors["expected_close"] = [_("Enter the expected close date.")]
    elif close < today:
        errors["expected_close"] = [_("The expected close date cannot be in the past.")]
    elif close > today + timedelta(days=3 * 366):
        errors["expected_close"] = [_("Enter a date within three years.")]
    out["expected_close"] = close
    chosen = _lines(data, errors)
    if errors:
        raise Invalid(errors)
    return out, chosen


def register(actor, data: dict, today: date) -> Deal:
    """A partner user registers an opportunity. The conflict check runs now; its result is kept for the
    reviewers (``had_conflict`` and the review page) — the registration is accepted either way."""
    if not actor.can(Permission.REGISTER_DEALS) or actor.partner_id is None:
        raise Forbidden(_("You do not have permission to do that."))
    require_trading(actor)
    config = deal_settings.current()
    fields, chosen = validate(data, today, config.free_mail)
    keys = matching.keys_of(fields["customer_name"], fields["customer_domain"], fields["company_id"] or "",
                            config.free_mail)
    conflicts = find_conflicts(keys, config.threshold)
    deal = Deal(partner_id=actor.partner_id, registered_by=actor.id, currency=chosen[0][0].currency,
                name_key=keys.name_key, **matching.anchors(keys.name_key), domain_key=keys.domain_key,
                had_conflict=bool(conflicts), status="submitted", created_at=utcnow(), **fields)
    db.session.add(deal)
    db.session.flush()
    for product, quantity in chosen:
        db.session.add(DealLine(deal_id=deal.id, product_id=product.id, sku=product.sku, name=product.name,
                                quantity=quantity))
    record(actor, deal, "", "submitted")
    partner = db.session.get(Partner, deal.partner_id)
    reviewers = [partner.channel_manager] if partner.channel_manager and partner.channel_manager.active else []
    notify(f"deal:{deal.id}:submitted", reviewers, "deal_status", link=f"/deal-review/{deal.id}", deal=deal,
           event="submitted", partner_name=partner.name, reason="", days=0)
    return deal


# --- the history, the audit log and the messages of every step ------------------------------------------------

def involved(deal: Deal) -> list[User]:
    """Who hears about a decision: the person who registered it and the partner's admins (active)."""
    return list(db.session.scalars(select(User).where(
        User.partner_id == deal.partner_id, User.active.is_(True),
        or_(User.id == deal.registered_by, User.role == Role.PARTNER_ADMIN.value)).order_by(User.id)))


def record(actor, deal: Deal, from_status: str, to_status: str, note: str = "", tell: bool = False,
           event_key: str | None = None, days: int = 0, event: str = "") -> None:
    """The status step, its audit entry and (``tell``) the partner's message, once per step."""
    db.session.add(DealEvent(deal_id=deal.id, at=utcnow(), actor_id=getattr(actor, "id", None),
                             from_status=from_status, to_status=to_status, note=note[:500]))
    audit.record(actor, f"deal.{to_status}", deal, partner_id=deal.partner_id, before={"status": from_status},
                 after={"status": to_status, **({"reason": note} if note else {})},
                 summary=f"{deal.number} {deal.customer_name}")
    if tell:
        notify(event_key or f"deal:{deal.id}:{to_status}", involved(deal), "deal_status", link=f"/deals/{deal.id}",
               deal=deal, event=event or to_status, partner_name="", reason=note, days=days)


def claim(deal: Deal, from_statuses: tuple[str, ...], **values) -> None:
    """Move the deal only if it still has one of ``from_statuses`` (one UPDATE): two people cannot both."""
    done = db.session.execute(update(Deal).where(Deal.id == deal.id, Deal.status.in_(from_statuses))
                              .values(**values).execution_options(synchronize_session=False)).rowcount
    db.session.refresh(deal)
    if done != 1:
        raise Conflict(_("Deal %(number)s was just changed by someone else; it is %(status)s now.",
                         number=deal.number, status=status_label(deal.status).lower()))


def _own(actor, deal_id: int) -> Deal:
    """The partner's own deal, for an action of the partner (suspended partners are read-only)."""
    if not actor.can(Permission.REGISTER_DEALS):
        raise Forbidden(_("You do not have permission to do that."))
    deal = get(actor, deal_id)
    require_trading(actor)
    return deal


def _not_now(deal: Deal, rule: str) -> Conflict:
    return Conflict(_("Deal %(number)s is %(status)s; %(rule)s", number=deal.number,
                      status=status_label(deal.status).lower(), rule=rule))


def withdraw(actor, deal_id: int) -> Deal:
    deal = _own(actor, deal_id)
    if deal.status != "submitted":
        raise _not_now(deal, _("only registrations under review can be withdrawn."))
    claim(deal, ("submitted",), status="withdrawn", closed_at=utcnow())
    record(actor, deal, "submitted", "withdrawn", tell=True)
    return deal


def extend(actor, deal_id: int) -> Deal:
    """One extension of the protection (the extension days setting), asked before it ends."""
    deal = _own(actor, deal_id)
    now = utcnow()
    if deal.extended_at is not None:
        raise _not_now(deal, _("its protection was extended once already."))
    if days_left(deal, now) is None:
        raise _not_now(deal, _("only protected registrations can be extended, before their protection ends."))
    days = deal_settings.current().extension_days
    claim(deal, ("approved",), extended_at=now, protection_ends_at=deal.protection_ends_at + timedelta(days=days))
    record(actor, deal, "approved", "approved", _("Protection extended by %(n)s days.", n=days), tell=True,
           event_key=f"deal:{deal.id}:extended", days=days, event="extended")
    return deal


def mark_won(actor, deal_id: int, value_text: str, won_on: date | None, today: date) -> Deal:
    deal = _own(actor, deal_id)
    if deal.status != "approved":
        raise _not_now(deal, _("only approved registrations can be closed as won or lost."))
    errors: dict[str, list[str]] = {}
    try:
        cents = money.parse_amount_text(value_text, "25,000.00")
    except ValueError as exc:
        errors["won_value"], cents = [str(exc)], 0
    if won_on is None:
        errors["won_on"] = [_("Enter the close date.")]
    elif won_on > today:
        errors["won_on"] = [_("The close date cannot be in the future.")]
    if errors:
        raise Invalid(errors)
    claim(deal, ("approved",), status="won", won_value_cents=cents, won_on=won_on, closed_at=utcnow())
    record(actor, deal, "approved", "won", tell=True)
    return deal


def mark_lost(actor, deal_id: int, reason: str) -> Deal:
    deal = _own(actor, deal_id)
    if deal.status != "approved":
        raise _not_now(deal, _("only approved registrations can be closed as won or lost."))
    reason, problem = clean_text(reason, REASON_MAX, multiline=True)
    if problem or not reason:
        raise Invalid({"reason": [problem or _("Say why the deal was lost.")]})
    claim(deal, ("approved",), status="lost", reason=reason, closed_at=utcnow())
    record(actor, deal, "approved", "lost", reason, tell=True)
    return deal
