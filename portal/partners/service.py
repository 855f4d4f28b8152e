"""Partner records and the one tenancy rule every area uses: ``partner_scope``."""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import urlsplit

from flask_babel import gettext as _
from sqlalchemy import ColumnElement, false, select, true
from sqlalchemy.orm import joinedload

from portal.core import audit, inputs
from portal.core.errors import Forbidden, Invalid, NotFound
from portal.core.permissions import Permission, Role
from portal.extensions import db
from portal.partners.models import Partner, PartnerStatus, PartnerType

FIELDS = ["name", "type", "region", "status", "status_reason", "channel_manager_id", "tier_id", "country",
          "website", "company_id"]


def partner_scope(actor, partner_id_column) -> ColumnElement[bool]:
    """The WHERE clause limiting partner-owned rows to those ``actor`` may see.

    admin and trainer: every partner. channel_manager: partners assigned to them.
    partner roles: their own company only. Rows with no partner (vendor-side rows) are seen by
    vendor staff only. Use it in every query that returns partner-owned rows.
    """
    kind, whose = scope_of(actor)
    if kind == "all":
        return true()
    if kind == "manager":
        return partner_id_column.in_(select(Partner.id).where(Partner.channel_manager_id == whose))
    if kind == "partner":
        return partner_id_column == whose
    return false()


def scope_of(actor) -> tuple[str, int | None]:
    """Whose rows ``actor`` sees (the rule of ``partner_scope``): ``("all", None)``, ``("manager", <their
    user id>)``, ``("partner", <their partner id>)`` or ``("none", None)``. Actors with the same answer see
    the same rows."""
    role = Role(actor.role)
    if role in (Role.ADMIN, Role.TRAINER):
        return "all", None
    if role is Role.CHANNEL_MANAGER:
        return "manager", actor.id
    if actor.partner_id is None:
        return "none", None
    return "partner", actor.partner_id


# --- trading: a suspended partner is read-only (SPEC §2) ------------------------------------------------

def suspension_notice(actor) -> str | None:
    """Why ``actor`` cannot trade now, for the banner on every page and the 403 of a refused action: their
    company is suspended (with the reason given); None when they may (vendor staff, partners in good standing).
    A terminated partner's people cannot sign in at all (``User.is_active``)."""
    partner = actor.partner if getattr(actor, "partner_id", None) else None
    if partner is None or partner.status != PartnerStatus.SUSPENDED:
        return None
    notice = _("%(partner)s is suspended: you can see your orders and documents, but not change the cart, "
               "place or cancel orders, request returns, register deals, request market development funds or "
               "take courses.", partner=partner.name)
    if partner.status_reason:
        notice += " " + _("Reason: %(reason)s", reason=partner.status_reason)
    return notice


def require_trading(actor) -> None:
    """Forbidden (403, saying why) when ``actor``'s company is suspended. Every service that trades calls it
    first — carts, checkout, placing, cancelling and returning orders, deal registrations, MDF requests and
    claims, enrolling and taking quizzes: one rule, so a suspended partner is read-only everywhere, web and API."""
    if (notice := suspension_notice(actor)) is not None:
        raise Forbidden(notice)


def visible_partners(actor):
    if not actor.can(Permission.VIEW_PARTNERS):
        raise Forbidden(_("You do not have permission to do that."))
    return select(Partner).options(joinedload(Partner.channel_manager)).where(partner_scope(actor, Partner.id))


def list_partners(actor, q: str = "", status: str = "", type_: str = ""):
    stmt = visible_partners(actor)
    if q:
        stmt = stmt.where(Partner.name.ilike(f"%{q.strip()}%"))
    if status:
        stmt = stmt.where(Partner.status == status)
    if type_:
        stmt = stmt.where(Partner.type == type_)
    return stmt.order_by(Partner.name)


def get_partner(actor, partner_id: int) -> Partner:
    partner = db.session.scalar(visible_partners(actor).where(Partner.id == partner_id))
    if partner is None:
        raise NotFound(_("Partner not found."))
    return partner


# --- text typed by people --------------------------------------------------------------------------

def clean_text(value, limit: int, multiline: bool = False) -> tuple[str, str | None]:
    """``value`` trimmed (line breaks as ``\n``) and the problem with it, if any: a control character
    (tab and, in multi-line text, line breaks are fine) or more than ``limit`` characters."""
    text = str(value or "").replace("\r\n", "\n").strip()
    allowed = "\t\n" if multiline else "\t"
    if any(unicodedata.category(ch) == "Cc" and ch not in allowed for ch in text):
        return text, str(inputs.MESSAGE)
    if len(text) > limit:
        return text, _("At most %(n)s characters.", n=limit)
    return text, None


def take_text(data: dict, name: str, limit: int, errors: dict[str, list[str]], missing: str | None = None,
              multiline: bool = False) -> str:
    """The cleaned text of field ``name``; its problem (or ``missing`` when it is required and empty) goes to
    ``errors``."""
    text, problem = clean_text(data.get(name), limit, multiline)
    if problem:
        errors[name] = [problem]
    elif missing and not text:
        errors[name] = [missing]
    return text


WEBSITE_MAX = 200
COMPANY_ID_MAX = 40
_HOST = re.compile(r"(?=.{4,200}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{1,62}")
_COMPANY_ID = re.compile(r"[A-Z0-9]{4,40}")


def normalise_website(raw: str) -> tuple[str, str]:
    """(the address to keep, its domain for duplicate detection): ``https://www.Acme.com/x`` →
    (``https://www.acme.com/x``, ``acme.com``). ValueError with a message for a bad address."""
    text = (raw or "").strip()
    if not re.match(r"(?i)https?://", text):
        text = "https://" + text
    try:
        parts = urlsplit(text)
        host = (parts.hostname or "").lower().rstrip(".")
    except ValueError:
        host = ""
    if not _HOST.fullmatch(host) or parts.username or parts.password or any(ch.isspace() for ch in text):
        raise ValueError(_("Enter the company's web address, e.g. https://www.example.com."))
    domain = host[4:] if host.startswith("www.") else host
    return text, domain


def normalise_company_id(raw: str | None) -> str | None:
    """A company ID (e.g. an 18-character unified social credit code) without spaces, dots, dashes or
    slashes, in capitals, or None when empty; ValueError with a message when it is not one."""
    text = re.sub(r"[\s./-]", "", raw or "").upper()
    if not text:
        return None
    if not _COMPANY_ID.fullmatch(text):
        raise ValueError(_("Enter the company ID with letters and digits only (4 to 40)."))
    return text


def _profile(data: dict, errors: dict[str, list[str]]) -> dict:
    """The optional profile fields (country, website, company ID), cleaned; problems go to ``errors``."""
    country = take_text(data, "country", 60, errors)
    website, problem = clean_text(data.get("website"), WEBSITE_MAX)
    domain = None
    if problem:
        errors["website"] = [problem]
    elif website:
        try:
            website, domain = normalise_website(website)
        except ValueError as exc:
            errors["website"] = [str(exc)]
    try:
        company_id = normalise_company_id(data.get("company_id"))
    except ValueError as exc:
        errors["company_id"] = [str(exc)]
        company_id = None
    return {"country": country, "website": website, "domain": domain, "company_id": company_id}


def validate_partner(data: dict, partner: Partner | None) -> dict[str, list[str]]:
    """Every problem with a partner record's fields at once (field → messages)."""
    from portal.accounts.models import User

    errors: dict[str, list[str]] = {}
    name = (data.get("name") or "").strip()
    if not name:
        errors["name"] = [_("Enter the company name.")]
    else:
        clash = db.session.scalar(select(Partner.id).where(Partner.name == name))
        if clash and (partner is None or clash != partner.id):
            errors["name"] = [_("A partner with this name already exists.")]
    if data.get("type") not in set(PartnerType):
        errors["type"] = [_("Choose a partner type.")]
    if not (data.get("region") or "").strip():
        errors["region"] = [_("Enter a region.")]
    if data.get("status", PartnerStatus.ACTIVE) not in set(PartnerStatus):
        errors["status"] = [_("Choose a status.")]
    elif data.get("status") in (PartnerStatus.SUSPENDED, PartnerStatus.TERMINATED) and not (
        data.get("status_reason") or ""
    ).strip():
        errors["status_reason"] = [_("Give a reason for suspending or terminating the partner.")]
    else:
        _text, problem = clean_text(data.get("status_reason"), 500, multiline=True)
        if problem:
            errors["status_reason"] = [problem]
    if (problem := clean_text(name, 160)[1]) and "name" not in errors:
        errors["name"] = [problem]
    if (problem := clean_text(data.get("region"), 60)[1]) and "region" not in errors:
        errors["region"] = [problem]
    manager_id = data.get("channel_manager_id")
    if manager_id is not None:
        manager = db.session.get(User, manager_id)
        if manager is None or manager.role != Role.CHANNEL_MANAGER or not manager.active:
            errors["channel_manager_id"] = [_("Choose an active channel manager.")]
    tier_id = data.get("tier_id")
    if tier_id is not None:
        from portal.catalogue.models import Tier

        if db.session.get(Tier, tier_id) is None:
            errors["tier_id"] = [_("Choose one of the tiers.")]
    _profile(data, errors)
    return errors


def save_partner(actor, data: dict, partner_id: int | None = None) -> Partner:
    """Create or edit a partner record (admins only). Status changes need a reason; all audited."""
    if not actor.can(Permission.MANAGE_PARTNERS):
        raise Forbidden(_("You do not have permission to do that."))
    partner = get_partner(actor, partner_id) if partner_id else None
    if errors := validate_partner(data, partner):
        raise Invalid(errors)
    profile = _profile(data, {})
    before = audit.snapshot(partner, FIELDS) if partner else None
    if partner is None:
        partner = Partner()
        db.session.add(partner)
    partner.name = data["name"].strip()
    partner.type = data["type"]
    partner.region = data["region"].strip()
    partner.status = data.get("status") or PartnerStatus.ACTIVE
    partner.status_reason = (data.get("status_reason") or "").strip() if partner.status != "active" else ""
    partner.channel_manager_id = data.get("channel_manager_id")
    # the price book tier (a tier review proposes changes; an admin may also set it here, audited the same)
    partner.tier_id = data.get("tier_id")
    for name, value in profile.items():
        setattr(partner, name, value)
    db.session.flush()
    entry = audit.record(actor, "partner.created" if before is None else "partner.updated", partner,
                         partner_id=partner.id, before=before, after=audit.snapshot(partner, FIELDS),
                         summary=partner.name)
    if before is not None and before["status"] != partner.status:
        _announce_status(partner, entry)
        if partner.status == PartnerStatus.TERMINATED:  # its open deal registrations no longer block others
            from portal.deals.review import release_partner

            release_partner(actor, partner.id)
    return partner


def change_status(actor, partner_id: int, status: str, reason: str) -> Partner:
    """Suspend, terminate or reactivate a partner from its page: the edit's rules (a reason for a suspension
    or termination, audited, the partner's people told), the other fields as they are."""
    partner = get_partner(actor, partner_id)
    data = {name: getattr(partner, name) for name in FIELDS}
    data.update(status=status, status_reason=reason)
    return save_partner(actor, data, partner_id)


def _announce_status(partner: Partner, entry) -> None:
    """A suspension, termination or reinstatement is told to the partner's people and its manager."""
    from portal.accounts.models import User
    from portal.notifications.service import notify

    db.session.flush()  # the audit entry's id keys the event: one message per change
    people = list(db.session.scalars(select(User).where(
        User.partner_id == partner.id, User.active.is_(True), User.password_hash.is_not(None))))
    if partner.channel_manager is not None and partner.channel_manager.active:
        people.append(partner.channel_manager)
    notify(f"partner-status:{entry.id}", people, "partner_status", link="/",
           partner_name=partner.name, status=partner.status, reason=partner.status_reason)


def partner_names(actor) -> list[tuple[int, str]]:
    """(id, name) of the partners ``actor`` may see, by name — for pickers."""
    stmt = select(Partner.id, Partner.name).where(partner_scope(actor, Partner.id)).order_by(Partner.name)
    return [(pid, name) for pid, name in db.session.execute(stmt)]


def channel_managers():
    from portal.accounts.models import User

    return db.session.scalars(
        select(User).where(User.role == Role.CHANNEL_MANAGER, User.active.is_(True)).order_by(User.name)
    ).all()


def recent_activity(actor, partner: Partner, size: int = 8) -> dict:
    """The partner page's activity: its latest orders, deal registrations and certificates, and (for whoever may
    read the audit log) audit entries."""
    from portal.deals.models import Deal
    from portal.orders.models import Order
    from portal.training.service import partner_certificates

    orders = list(db.session.scalars(select(Order).where(Order.partner_id == partner.id, partner_scope(
        actor, Order.partner_id)).order_by(Order.created_at.desc(), Order.id.desc()).limit(size)))
    deals = list(db.session.scalars(select(Deal).where(Deal.partner_id == partner.id, partner_scope(
        actor, Deal.partner_id)).order_by(Deal.created_at.desc(), Deal.id.desc()).limit(size)))
    entries = []
    if actor.can(Permission.VIEW_AUDIT):
        entries = list(db.session.scalars(audit.visible_entries(actor, partner_scope).where(
            audit.AuditEntry.partner_id == partner.id).order_by(*audit.NEWEST_FIRST).limit(size)))
    return {"orders": orders, "deals": deals, "audit": entries,
            "certificates": partner_certificates(partner.id, size)}
