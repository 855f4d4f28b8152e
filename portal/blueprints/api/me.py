"""GET /api/v1/me — who the token belongs to."""

from __future__ import annotations

from pydantic import BaseModel

from portal.blueprints.api.base import operation


class PartnerRef(BaseModel):
    id: int
    name: str
    type: str
    region: str
    status: str


class MeOut(BaseModel):
    id: int
    email: str
    name: str
    role: str
    locale: str | None
    timezone: str
    permissions: list[str]
    partner: PartnerRef | None


@operation("/me", summary="The user the token belongs to", response=MeOut, tags=("account",))
def me(user) -> MeOut:
    from portal.core.permissions import ROLE_PERMISSIONS, Role

    partner = user.partner
    return MeOut(
        id=user.id, email=user.email, name=user.name, role=user.role, locale=user.locale,
        timezone=user.timezone, permissions=sorted(ROLE_PERMISSIONS[Role(user.role)]),
        partner=PartnerRef(id=partner.id, name=partner.name, type=partner.type, region=partner.region,
                           status=partner.status) if partner else None,
    )
