"""Partner companies."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core.time import UTCDateTime, utcnow
from portal.extensions import db


class PartnerType(enum.StrEnum):
    DISTRIBUTOR = "distributor"
    RESELLER = "reseller"
    AGENT = "agent"
    RETAILER = "retailer"
    REFERRAL = "referral"


class PartnerStatus(enum.StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"
    TERMINATED = "terminated"


class Partner(db.Model):
    __tablename__ = "partners"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(160), unique=True)
    type: Mapped[str] = mapped_column(String(20))
    region: Mapped[str] = mapped_column(String(60))
    status: Mapped[str] = mapped_column(String(20), default=PartnerStatus.ACTIVE)
    status_reason: Mapped[str] = mapped_column(String(500), default="")
    channel_manager_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", use_alter=True), index=True)
    # The price book tier (portal.catalogue.models.Tier); none means list prices.
    tier_id: Mapped[int | None] = mapped_column(ForeignKey("tiers.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    # Not joined by default: every signed-in request loads User -> Partner, and the manager is only
    # shown on the partners pages (partners.service.visible_partners joins it there).
    channel_manager = relationship("User", foreign_keys=[channel_manager_id], lazy="select")
