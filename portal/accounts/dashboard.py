"""The admin's panel on the first screen: people and partners that need someone to act."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from portal.accounts.models import User
from portal.core.permissions import Role
from portal.extensions import db
from portal.partners.models import Partner, PartnerStatus

SHOWN = 5


@dataclass(frozen=True)
class Attention:
    invitations: list          # (id, name, email, partner name, invited at), newest first
    invitations_total: int
    suspended: list[Partner]   # suspended partners, with their reason
    suspended_total: int


def admin_panel(user) -> Attention | None:
    """Admins only: invitations nobody accepted yet and suspended partners."""
    if user.role != Role.ADMIN:
        return None
    invitations = db.session.execute(
        select(User.id, User.name, User.email, Partner.name.label("partner_name"), User.created_at,
               func.count().over().label("total"))
        .outerjoin(Partner, Partner.id == User.partner_id)
        .where(User.active.is_(True), User.password_hash.is_(None))
        .order_by(User.created_at.desc(), User.id.desc()).limit(SHOWN)).all()
    suspended = db.session.execute(
        select(Partner, func.count().over().label("total")).where(Partner.status == PartnerStatus.SUSPENDED)
        .order_by(Partner.name).limit(SHOWN)).all()
    return Attention(invitations, invitations[0].total if invitations else 0,
                     [row.Partner for row in suspended], suspended[0].total if suspended else 0)
