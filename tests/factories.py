"""factory_boy factories. Rows are flushed into the test's transaction (rolled back after)."""

from __future__ import annotations

import functools

import factory
from factory.alchemy import SQLAlchemyModelFactory

from portal.accounts.models import User
from portal.core.permissions import Role
from portal.partners.models import Partner

PASSWORD = "correct horse battery"


@functools.cache
def password_hash() -> str:
    from portal.accounts.passwords import hash_password

    return hash_password(PASSWORD)  # argon2 is slow on purpose: hash once per test process


def _session():
    from portal.extensions import db

    return db.session


class Base(SQLAlchemyModelFactory):
    class Meta:
        abstract = True
        sqlalchemy_session_factory = _session
        sqlalchemy_session_persistence = "flush"


class UserFactory(Base):
    class Meta:
        model = User

    email = factory.Sequence(lambda n: f"user{n}@example.test")
    name = factory.Sequence(lambda n: f"User {n}")
    role = Role.PARTNER_USER
    password_hash = factory.LazyFunction(password_hash)
    active = True
    timezone = "UTC"
    partner = None


class PartnerFactory(Base):
    class Meta:
        model = Partner

    name = factory.Sequence(lambda n: f"Partner {n} Ltd")
    type = "reseller"
    region = "EMEA"
    status = "active"
    status_reason = ""


def vendor(role: Role = Role.ADMIN, **kw) -> User:
    return UserFactory(role=role, partner=None, **kw)


def partner_user(partner: Partner | None = None, role: Role = Role.PARTNER_USER, **kw) -> User:
    return UserFactory(role=role, partner=partner or PartnerFactory(), **kw)
