"""Partner agreements: the contract's period, annual sales target, exit terms and the signed document.

- An agreement runs from ``starts_on`` to ``ends_on`` (both included). A partner's agreements never overlap.
- One that ends within ``ENDING_DAYS`` (60) days and has no renewal is flagged ("ending soon") on the
  partner page and the vendor dashboard.
- A renewal is a new agreement starting the day after the old one ends; the old one is kept (history)
  and marked renewed.
- The signed document is a PDF stored outside ``static`` under a random key (``portal.catalogue.files``);
  the view commits, then discards a replaced file.
Admins write agreements; whoever may see the partner (admins, its channel manager, its own people) reads.
"""

from __future__ import annotations

from datetime import date, timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update

from portal.catalogue import files
from portal.core import audit
from portal.core.errors import Conflict, Forbidden, Invalid, NotFound
from portal.core.i18n import format_day
from portal.core.money import from_cents, parse_amount_text
from portal.core.permissions import Permission
from portal.core.time import utcnow
from portal.extensions import db
from portal.partners.models import Agreement, Partner
from portal.partners.service import clean_text, get_partner, partner_scope

ENDING_DAYS = 60
EXIT_TERMS_MAX = 4000
DOCUMENT_MAX_BYTES = 10 * files.MB
EARLIEST, LATEST = date(2000, 1, 1), date(2099, 12, 31)
FIELDS = ["starts_on", "ends_on", "annual_target_cents", "exit_terms"]
STATE_LABELS = {"upcoming": _l("Upcoming"), "active": _l("Active"), "ending_soon": _l("Ending soon"),
                "ended": _l("Ended"), "renewed": _l("Renewed")}


def today() -> date:
    return utcnow().date()


def state(agreement: Agreement, on: date | None = None) -> str:
    """upcoming, active, ending_soon (ends within 60 days, not renewed), ended or renewed."""
    on = on or today()
    if agreement.renewed:
        return "renewed"
    if agreement.starts_on > on:
        return "upcoming"
    if agreement.ends_on < on:
        return "ended"
    return "ending_soon" if agreement.ends_on <= on + timedelta(days=ENDING_DAYS) else "active"


def _scoped(actor):
    if not (actor.can(Permission.VIEW_PARTNERS) or actor.can(Permission.VIEW_PARTNERSHIP)):
        raise Forbidden(_("You do not have permission to do that."))
    return select(Agreement).where(partner_scope(actor, Agreement.partner_id))


def agreements_of(actor, partner_id: int) -> list[Agreement]:
    """The partner's agreements, newest first (the history)."""
    return list(db.session.scalars(_scoped(actor).where(Agreement.partner_id == partner_id)
                                   .order_by(Agreement.starts_on.desc(), Agreement.id.desc())))


def current(agreements: list[Agreement], on: date | None = None) -> Agreement | None:
    """The agreement in force ``on`` a day (else the latest one) of a partner's ``agreements_of`` list."""
    on = on or today()
    running = [a for a in agreements if a.starts_on <= on <= a.ends_on]
    return running[0] if running else (agreements[0] if agreements else None)


def get_agreement(actor, agreement_id: int) -> Agreement:
    agreement = db.session.scalar(_scoped(actor).where(Agreement.id == agreement_id))
    if agreement is None:
        raise NotFound(_("Agreement not found."))
    return agreement


def _date(data: dict, name: str, errors: dict) -> date | None:
    raw = str(data.get(name) or "").strip()
    try:
        value = date.fromisoformat(raw) if len(raw) == 10 else None
    except ValueError:
        value = None
    if value is None:
        errors[name] = [_("Enter a date, such as %(d)s.", d=today().isoformat())]
    elif not EARLIEST <= value <= LATEST:
        errors[name] = [_("Enter a date between %(first)s and %(last)s.", first=EARLIEST.isoformat(),
                          last=LATEST.isoformat())]
        value = None
    return value


def _clean(data: dict, partner_id: int, agreement_id: int | None) -> dict:
    errors: dict[str, list[str]] = {}
    starts, ends = _date(data, "starts_on", errors), _date(data, "ends_on", errors)
    if starts and ends and ends <= starts:
        errors["ends_on"] = [_("The end must be after the start.")]
    try:
        target = parse_amount_text(data.get("annual_target"), "1,200,000.00")
    except ValueError as exc:
        errors["annual_target"] = [str(exc)]
        target = 0
    exit_terms, problem = clean_text(data.get("exit_terms"), EXIT_TERMS_MAX, multiline=True)
    if problem:
        errors["exit_terms"] = [problem]
    if starts and ends and "ends_on" not in errors:
        clash = db.session.scalar(select(Agreement).where(
            Agreement.partner_id == partner_id, Agreement.id != (agreement_id or 0),
            Agreement.starts_on <= ends, Agreement.ends_on >= starts).limit(1))
        if clash is not None:
            errors["starts_on"] = [_("Overlaps the agreement from %(start)s to %(end)s.",
                                     start=format_day(clash.starts_on), end=format_day(clash.ends_on))]
    if errors:
        raise Invalid(errors)
    return {"starts_on": starts, "ends_on": ends, "annual_target_cents": target, "exit_terms": exit_terms}


def _writer(actor) -> None:
    if not actor.can(Permission.MANAGE_PARTNERS):
        raise Forbidden(_("You do not have permission to do that."))


def save(actor, partner_id: int, data: dict, agreement_id: int | None = None) -> Agreement:
    """Add an agreement to a partner, or correct one (admins); audited."""
    _writer(actor)
    partner = get_partner(actor, partner_id)
    agreement = get_agreement(actor, agreement_id) if agreement_id else None
    if agreement is not None and agreement.partner_id != partner.id:
        raise NotFound(_("Agreement not found."))
    values = _clean(data, partner.id, agreement_id)
    before = audit.snapshot(agreement, FIELDS) if agreement else None
    if agreement is None:
        agreement = Agreement(partner_id=partner.id, created_by=actor.id, created_at=utcnow())
        db.session.add(agreement)
    for name, value in values.items():
        setattr(agreement, name, value)
    db.session.flush()
    audit.record(actor, "agreement.created" if before is None else "agreement.updated", agreement,
                 partner_id=partner.id, before=before, after=audit.snapshot(agreement, FIELDS),
                 summary=f"{partner.name} {agreement.starts_on.isoformat()}–{agreement.ends_on.isoformat()}")
    return agreement


def renewal_defaults(agreement: Agreement) -> dict:
    """The renewal form's first values: the next period of the same length, the same target and terms."""
    length = agreement.ends_on - agreement.starts_on
    starts = agreement.ends_on + timedelta(days=1)
    return {"starts_on": starts.isoformat(), "ends_on": (starts + length).isoformat(),
            "annual_target": str(from_cents(agreement.annual_target_cents)),
            "exit_terms": agreement.exit_terms}


def renew(actor, agreement_id: int, data: dict) -> Agreement:
    """Renew: a new agreement for the next period (the old one is kept and marked renewed); audited."""
    _writer(actor)
    old = get_agreement(actor, agreement_id)
    if old.renewed:
        raise Conflict(_("This agreement was already renewed."))
    new = save(actor, old.partner_id, data)
    if new.starts_on <= old.ends_on:
        raise Invalid({"starts_on": [_("A renewal starts after %(end)s.", end=format_day(old.ends_on))]})
    claimed = db.session.execute(update(Agreement).where(Agreement.id == old.id, Agreement.renewed.is_(False))
                                 .values(renewed=True).execution_options(synchronize_session=False)).rowcount
    if claimed != 1:
        raise Conflict(_("This agreement was already renewed."))
    new.previous_id = old.id
    db.session.refresh(old)
    audit.record(actor, "agreement.renewed", new, partner_id=old.partner_id,
                 before={"agreement": old.id, "ends_on": old.ends_on.isoformat()},
                 after={"agreement": new.id, "starts_on": new.starts_on.isoformat(),
                        "ends_on": new.ends_on.isoformat()})
    return new


# --- the signed document ----------------------------------------------------------------------------------

def attach(actor, agreement_id: int, data: bytes, filename: str | None) -> files.Change:
    """Store the signed PDF (replacing any). The caller commits, then discards ``old_key`` (or ``new_key``
    when the commit fails). Refused → Invalid on ``document`` and nothing written."""
    _writer(actor)
    agreement = get_agreement(actor, agreement_id)
    if not data:
        raise Invalid({"document": [_("Choose a file.")]})
    if len(data) > DOCUMENT_MAX_BYTES:
        raise Invalid({"document": [_("The file is larger than %(mb)s MB.", mb=DOCUMENT_MAX_BYTES // files.MB)]})
    if files.sniff(data[:16]) != "application/pdf":
        raise Invalid({"document": [_("Upload a PDF file.")]})
    old_key = agreement.document_key
    key = files.store(data, "application/pdf")
    try:
        agreement.document_key = key
        agreement.document_name = files.pdf_name(filename, "agreement.pdf")
        db.session.flush()
        audit.record(actor, "agreement.document_uploaded", agreement, partner_id=agreement.partner_id,
                     after={"document": agreement.document_name})
    except BaseException:
        files.discard(key)
        raise
    return files.Change(key, old_key)


def document(actor, agreement_id: int) -> files.Stored:
    """The signed document for download, for whoever may see the partner."""
    agreement = get_agreement(actor, agreement_id)
    path = files.path_for(agreement.document_key)
    if path is None or path.suffix != ".pdf" or not path.is_file():
        raise NotFound(_("There is no such file."))
    return files.Stored(path, "application/pdf", agreement.document_name or "agreement.pdf", attachment=True)


# --- what needs attention ---------------------------------------------------------------------------------

def ending_soon(actor, on: date | None = None, limit: int = 10) -> tuple[int, list[tuple[Agreement, str]]]:
    """Agreements in ``actor``'s scope ending within 60 days without a renewal: (how many, the first
    ``limit`` with their partner's name, soonest first)."""
    on = on or today()
    window = (Agreement.ends_on >= on, Agreement.ends_on <= on + timedelta(days=ENDING_DAYS),
              Agreement.renewed.is_(False), partner_scope(actor, Agreement.partner_id))
    total = db.session.scalar(select(func.count()).select_from(Agreement).where(*window)) or 0
    if not total:
        return 0, []
    rows = db.session.execute(select(Agreement, Partner.name).join(Partner, Partner.id == Agreement.partner_id)
                              .where(*window).order_by(Agreement.ends_on, Agreement.id).limit(limit)).all()
    return total, [(a, name) for a, name in rows]


def annual_target_on(partner_ids: list[int], on: date) -> dict[int, int]:
    """Per partner: the annual sales target (cents) of the agreement in force on a day (one query)."""
    if not partner_ids:
        return {}
    rows = db.session.execute(select(Agreement.partner_id, Agreement.annual_target_cents).where(
        Agreement.partner_id.in_(partner_ids), Agreement.starts_on <= on, Agreement.ends_on >= on))
    return {partner_id: cents for partner_id, cents in rows}
