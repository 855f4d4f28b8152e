"""/api/v1/me — who the token belongs to, and their own settings."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

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


class MeUpdate(BaseModel):
    """Only the fields sent change; ``"locale": null`` means "follow the browser"."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, max_length=120)
    locale: str | None = Field(default=None, description="en, zh_Hans or zh_Hant")
    timezone: str | None = Field(default=None, description="An IANA time zone, e.g. Asia/Shanghai")


def _out(user) -> MeOut:
    from portal.core.permissions import ROLE_PERMISSIONS, Role

    partner = user.partner
    return MeOut(
        id=user.id, email=user.email, name=user.name, role=user.role, locale=user.locale,
        timezone=user.timezone, permissions=sorted(ROLE_PERMISSIONS[Role(user.role)]),
        partner=PartnerRef(id=partner.id, name=partner.name, type=partner.type, region=partner.region,
                           status=partner.status) if partner else None,
    )


@operation("/me", summary="The user the token belongs to", response=MeOut, tags=("account",))
def me(user) -> MeOut:
    return _out(user)


@operation("/me", "PATCH", summary="Change your name, language or time zone", body=MeUpdate, response=MeOut,
           tags=("account",))
def update_me(user, body: MeUpdate) -> MeOut:
    from portal.accounts.service import update_profile

    sent = body.model_fields_set
    update_profile(user, body.name if "name" in sent else user.name,
                   body.locale if "locale" in sent else user.locale,
                   body.timezone if "timezone" in sent else user.timezone)
    return _out(user)
