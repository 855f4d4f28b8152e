"""People who sign in, their one-time links and their API tokens."""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core.permissions import ROLE_PERMISSIONS, Permission, Role
from portal.core.time import UTCDateTime, utcnow
from portal.extensions import db


def new_session_token() -> str:
    return secrets.token_urlsafe(32)


class User(db.Model):
    __tablename__ = "users"
    __table_args__ = (Index("ix_users_name_id", "name", "id"),)  # the users list's order

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    role: Mapped[str] = mapped_column(String(20))
    partner_id: Mapped[int | None] = mapped_column(ForeignKey("partners.id"), index=True)
    password_hash: Mapped[str | None] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    locale: Mapped[str | None] = mapped_column(String(10))
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    # a partner admin's profile setting: told about every order of the company, not only those they acted on
    follows_company_orders: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    partner = relationship("Partner", lazy="joined", foreign_keys=[partner_id])

    # The secret of the sign-in this object was loaded for (``accounts.service.start_session`` and
    # ``load_session_user`` set it); part of the login cookies, never stored (only its hash, in UserSession).
    sign_in_token = None

    # Flask-Login protocol
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return self.active and self.password_hash is not None and self.partner_allows_sign_in

    @property
    def partner_allows_sign_in(self) -> bool:
        return self.partner is None or self.partner.status != "terminated"

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        """What Flask-Login keeps in the session and remember-me cookies: this sign-in, not just the user."""
        if not self.sign_in_token:
            raise ValueError("no sign-in: call accounts.service.start_session first")
        return f"{self.id}:{self.sign_in_token}"

    # Permissions
    def can(self, permission: Permission) -> bool:
        return permission in ROLE_PERMISSIONS[Role(self.role)]

    @property
    def is_vendor(self) -> bool:
        return Role(self.role).is_vendor

    @property
    def is_partner(self) -> bool:
        return Role(self.role).is_partner

    @property
    def status(self) -> str:
        if not self.active:
            return "deactivated"
        if self.password_hash is None:
            return "invited"
        return "active"


class UserSession(db.Model):
    """One sign-in (a browser): its cookies carry the secret, only its SHA-256 is kept. Signing out deletes
    the row, so every cookie of that sign-in (session and remember-me) stops working on every web process;
    "sign out everywhere", a password change and deactivation delete all of a user's rows."""

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    remember: Mapped[bool] = mapped_column(Boolean, default=False)
    user_agent: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # the absolute lifetime: SESSION_MAX_HOURS after signing in, REMEMBER_DAYS with "remember me"
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class OneTimeToken(db.Model):
    """A password-reset or invitation link. Only a hash is stored; each is used once and expires."""

    __tablename__ = "one_time_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = mapped_column(String(10))  # "reset" | "invite"
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user = relationship(User)


class ApiToken(db.Model):
    """A personal API token. The secret is shown once; only its SHA-256 is kept."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    prefix: Mapped[str] = mapped_column(String(12))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user = relationship(User)
