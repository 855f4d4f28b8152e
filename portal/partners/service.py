"""Partner records and the one tenancy rule every area uses: ``partner_scope``."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import ColumnElement, false, select, true
from sqlalchemy.orm import joinedload

from portal.core import audit
from portal.core.errors import Forbidden, Invalid, NotFound
from portal.core.permissions import Permission, Role
from portal.extensions import db
from portal.partners.models import Partner, PartnerStatus, PartnerType

FIELDS = ["name", "type", "region", "status", "status_reason", "channel_manager_id"]


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
               "place or cancel orders or request returns.", partner=partner.name)
    if partner.status_reason:
        notice += " " + _("Reason: %(reason)s", reason=partner.status_reason)
    return notice


def require_trading(actor) -> None:
    """Forbidden (403, saying why) when ``actor``'s company is suspended. Every service that trades calls it
    first — carts, checkout, placing, cancelling and returning orders, and the areas still to come (deal
    registrations, MDF requests): one rule, so a suspended partner is read-only everywhere, web and API."""
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


def _validate(data: dict, partner: Partner | None) -> dict[str, list[str]]:
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
    manager_id = data.get("channel_manager_id")
    if manager_id is not None:
        manager = db.session.get(User, manager_id)
        if manager is None or manager.role != Role.CHANNEL_MANAGER or not manager.active:
            errors["channel_manager_id"] = [_("Choose an active channel manager.")]
    return errors


def save_partner(actor, data: dict, partner_id: int | None = None) -> Partner:
    """Create or edit a partner record (admins only). Status changes need a reason; all audited."""
    if not actor.can(Permission.MANAGE_PARTNERS):
        raise Forbidden(_("You do not have permission to do that."))
    partner = get_partner(actor, partner_id) if partner_id else None
    if errors := _validate(data, partner):
        raise Invalid(errors)
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
    db.session.flush()
    entry = audit.record(actor, "partner.created" if before is None else "partner.updated", partner,
                         partner_id=partner.id, before=before, after=audit.snapshot(partner, FIELDS),
                         summary=partner.name)
    if before is not None and before["status"] != partner.status:
        _announce_status(partner, entry)
    return partner


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
