"""Accounts: sign-in, one-time links (reset, invitation), users, profile, API tokens."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import bindparam, inspect, select, update
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

from portal.accounts import passwords
from portal.accounts.models import ApiToken, OneTimeToken, User, new_session_token
from portal.core import audit, queue, reads
from portal.core.errors import Conflict, Forbidden, Invalid, NotFound
from portal.core.permissions import PARTNER_ROLES, Permission, Role
from portal.core.time import is_valid_zone, utcnow
from portal.extensions import db
from portal.notifications.service import notify
from portal.partners.models import Partner
from portal.partners.service import partner_scope

USER_FIELDS = ["email", "name", "role", "partner_id", "active"]


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def normalise_email(raw: str) -> str:
    """A syntactically valid, lower-cased address, or Invalid on field ``email``."""
    try:
        return validate_email((raw or "").strip(), check_deliverability=False, test_environment=True).normalized.lower()
    except EmailNotValidError:
        raise Invalid({"email": [_("Enter a valid e-mail address.")]}) from None


def find_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == (email or "").strip().lower()))


def users_by_id(ids: set[int]) -> dict[int, User]:
    """Users by id in one query (for showing who did what next to rows)."""
    if not ids:
        return {}
    return {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(ids)))}


# --- sign-in -------------------------------------------------------------------------------

def authenticate(email: str, password: str) -> User:
    """The user for these credentials. Wrong e-mail, wrong password, deactivated and not yet
    activated accounts all get the same message, so sign-in does not reveal who has an account."""
    user = find_by_email(email)
    if not passwords.verify(user.password_hash if user else None, password or "") or not user.is_active:
        raise Invalid({"password": [_("E-mail or password is not correct.")]})
    return user


def load_session_user(session_id: str, attach: bool = True) -> User | None:
    """The user behind a login cookie, or None when it is stale (deactivated, password changed, partner
    terminated). Every signed-in request runs this: one statement on the hot read path (``core.reads``)
    for the user and their partner.

    ``attach``: the user (and partner) are persistent objects of the session, to change and save like
    any loaded object. Without it (a read-only request) they are detached copies: the request never
    sets up an ORM session just for who is signed in, and nothing it changes on them is saved.
    """
    user_id, _sep, token = (session_id or "").partition(":")
    if not user_id.isdigit() or not token:
        return None
    row = reads.first(_SESSION_USER, {"user_id": int(user_id)})
    if row is None:
        return None
    user_values = dict(zip(_USER_COLUMNS, row[:len(_USER_COLUMNS)], strict=True))
    if not secrets.compare_digest(user_values["session_token"], token):
        return None
    partner = None
    if user_values["partner_id"] is not None:
        partner = _loaded(Partner, dict(zip(_PARTNER_COLUMNS, row[len(_USER_COLUMNS):], strict=True)), attach)
    user = _loaded(User, user_values, attach, partner=partner)
    return user if user.is_active else None


# One Core statement for the user and their partner, in one row. Loading the same through the ORM
# (``select(User)`` joined to Partner) cost ~0.15 ms more per request in result processing and object
# loading than the query itself.
_USER_COLUMNS = tuple(c.key for c in User.__table__.c)
_PARTNER_COLUMNS = tuple(c.key for c in Partner.__table__.c)
_SESSION_USER = (select(*User.__table__.c, *Partner.__table__.c)
                 .outerjoin_from(User.__table__, Partner.__table__, Partner.__table__.c.id == User.partner_id)
                 .where(User.__table__.c.id == bindparam("user_id")))


def _loaded(model, values: dict, attach: bool, **related):
    """The ``model`` instance with these column ``values`` (every column, as loaded) and ``related`` objects,
    built without another query, as if the ORM had loaded it (relationships not given load lazily when
    read). ``attach``: in the session — the one it already holds for that identity, else this one as
    a clean persistent object; otherwise a detached copy."""
    if attach:
        known = db.session.identity_map.get(db.session.identity_key(model, values["id"]))
        if known is not None:
            # held already (tests share the session): fill in what a commit expired, as its refresh would
            state = inspect(known)
            for name in state.expired_attributes & values.keys():
                set_committed_value(known, name, values[name])
            return known
    instance = model.__mapper__.class_manager.new_instance()
    instance.__dict__.update(values, **related)
    make_transient_to_detached(instance)
    # it marks everything not given as expired (a refresh of the whole row when one is read): a
    # relationship not given is simply not loaded yet, like after a query
    inspect(instance).expired_attributes.difference_update(model.__mapper__.relationships.keys())
    if attach:
        db.session.add(instance)
    return instance


# --- one-time links ------------------------------------------------------------------------

def _issue_token(user: User, purpose: str, lifetime: timedelta) -> str:
    # A new link replaces the old ones for the same purpose.
    db.session.execute(update(OneTimeToken).where(
        OneTimeToken.user_id == user.id, OneTimeToken.purpose == purpose, OneTimeToken.used_at.is_(None)
    ).values(used_at=utcnow()))
    secret = secrets.token_urlsafe(32)
    db.session.add(OneTimeToken(user_id=user.id, purpose=purpose, token_hash=_digest(secret),
                                expires_at=utcnow() + lifetime))
    db.session.flush()
    return secret


def token_user(secret: str, purpose: str) -> tuple[OneTimeToken, User]:
    """The unused, unexpired token and its user, or Invalid with a message for the page."""
    token = db.session.scalar(select(OneTimeToken).where(
        OneTimeToken.token_hash == _digest(secret or ""), OneTimeToken.purpose == purpose))
    if token is None or token.used_at is not None or token.expires_at <= utcnow() or not token.user.active:
        raise Invalid(_("This link has expired or was already used. Ask for a new one."))
    return token, token.user


def request_password_reset(email: str) -> None:
    """E-mail a reset link if an active account has this address. Says nothing either way."""
    user = find_by_email(email)
    if user is None or not user.active or not user.partner_allows_sign_in:
        return
    hours = current_app.config["RESET_TOKEN_HOURS"]
    secret = _issue_token(user, "reset", timedelta(hours=hours))
    notify(f"password-reset:{_digest(secret)[:16]}", [user], "password_reset", in_app=False,
           link=f"/reset/{secret}", hours=hours)


def set_password_with_token(secret: str, purpose: str, password: str, confirm: str) -> User:
    """Use a reset or invitation link once: sets the password, ends other sessions."""
    token, user = token_user(secret, purpose)
    errors = passwords.problems(password, user.email)
    if password != confirm:
        errors.append(_("The two passwords do not match."))
    if errors:
        raise Invalid({"password": errors})
    token.used_at = utcnow()
    user.password_hash = passwords.hash_password(password)
    user.session_token = new_session_token()
    audit.record(user, f"user.{'password_reset' if purpose == 'reset' else 'invitation_accepted'}", user,
                 partner_id=user.partner_id, summary=user.email)
    if purpose == "invite":
        _tell_inviter(user)
    return user


def _tell_inviter(user: User) -> None:
    """The person who sent the invitation hears that it was accepted (in the portal and by e-mail)."""
    inviter_id = db.session.scalar(select(audit.AuditEntry.actor_id).where(
        audit.AuditEntry.action == "user.invited", audit.AuditEntry.entity_id == user.id,
        audit.AuditEntry.entity_type == "User").order_by(audit.AuditEntry.id.desc()).limit(1))
    inviter = db.session.get(User, inviter_id) if inviter_id else None
    if inviter is not None and inviter.active and inviter.id != user.id:
        notify(f"invitation-accepted:{user.id}", [inviter], "invitation_accepted", link="/users/",
               invitee_name=user.name, invitee_email=user.email)


def purge_expired_tokens() -> int:
    """Delete one-time links that expired or were used more than a day ago."""
    cutoff = utcnow() - timedelta(days=1)
    stale = select(OneTimeToken.id).where(
        (OneTimeToken.expires_at < utcnow()) | (OneTimeToken.used_at < cutoff))
    ids = list(db.session.scalars(stale))
    if ids:
        db.session.execute(OneTimeToken.__table__.delete().where(OneTimeToken.id.in_(ids)))
    return len(ids)


# --- users -----------------------------------------------------------------------------------

def visible_users(actor):
    """Users ``actor`` may list: admins all; others only users of partners they can see."""
    if not actor.can(Permission.MANAGE_USERS) and actor.role != Role.CHANNEL_MANAGER:
        raise Forbidden(_("You do not have permission to do that."))
    stmt = select(User)
    if actor.role != Role.ADMIN:
        stmt = stmt.where(User.partner_id.is_not(None), partner_scope(actor, User.partner_id))
    return stmt


def list_users(actor, q: str = "", role: str = "", status: str = "", partner_id: int | None = None):
    stmt = visible_users(actor)
    if q:
        like = f"%{q.strip().lower()}%"
        stmt = stmt.where(User.email.ilike(like) | User.name.ilike(like))
    if role:
        stmt = stmt.where(User.role == role)
    if partner_id:
        stmt = stmt.where(User.partner_id == partner_id)
    if status == "deactivated":
        stmt = stmt.where(User.active.is_(False))
    elif status == "invited":
        stmt = stmt.where(User.active.is_(True), User.password_hash.is_(None))
    elif status == "active":
        stmt = stmt.where(User.active.is_(True), User.password_hash.is_not(None))
    return stmt.order_by(User.name, User.id)


def get_user(actor, user_id: int) -> User:
    user = db.session.scalar(visible_users(actor).where(User.id == user_id))
    if user is None:
        raise NotFound(_("User not found."))
    return user


def invitable_roles(actor) -> list[Role]:
    if actor.role == Role.ADMIN:
        return list(Role)
    if actor.can(Permission.MANAGE_USERS):
        return [Role.PARTNER_ADMIN, Role.PARTNER_USER]
    return []


def invite_user(actor, email: str, name: str, role: str, partner_id: int | None) -> User:
    """Create an account without a password and e-mail an invitation link.

    A partner admin may invite only into their own company and only partner roles; vendor
    roles carry no partner, partner roles need one the actor may see."""
    if not actor.can(Permission.MANAGE_USERS):
        raise Forbidden(_("You do not have permission to do that."))
    errors: dict[str, list[str]] = {}
    try:
        email = normalise_email(email)
    except Invalid as exc:
        errors.update(exc.field_errors)
    else:
        if find_by_email(email):
            errors["email"] = [_("Someone with this e-mail address already has an account.")]
    name = (name or "").strip()
    if not name:
        errors["name"] = [_("Enter the person's name.")]
    if role not in invitable_roles(actor):
        errors["role"] = [_("Choose a role you may give.")]
    if actor.role != Role.ADMIN:
        partner_id = actor.partner_id
    if role in PARTNER_ROLES:
        partner = db.session.scalar(select(Partner).where(Partner.id == (partner_id or 0),
                                                          partner_scope(actor, Partner.id)))
        if partner is None:
            errors["partner_id"] = [_("Choose the partner company.")]
    else:
        partner_id = None
    if errors:
        raise Invalid(errors)
    user = User(email=email, name=name, role=role, partner_id=partner_id, active=True,
                locale=actor.locale)
    db.session.add(user)
    db.session.flush()
    send_invitation(actor, user)
    audit.record(actor, "user.invited", user, partner_id=partner_id, after=audit.snapshot(user, USER_FIELDS),
                 summary=email)
    return user


def send_invitation(actor, user: User) -> None:
    if user.password_hash is not None:
        raise Conflict(_("This person has already set a password."))
    days = current_app.config["INVITE_TOKEN_DAYS"]
    secret = _issue_token(user, "invite", timedelta(days=days))
    notify(f"invitation:{_digest(secret)[:16]}", [user], "invitation", in_app=False,
           link=f"/invitation/{secret}", inviter=actor.name, days=days)


def set_active(actor, user_id: int, active: bool) -> User:
    """Deactivate (their sessions end at the next request, their API tokens are revoked for good) or
    reactivate a user (who makes new tokens if they need them)."""
    user = get_user(actor, user_id)
    if not actor.can(Permission.MANAGE_USERS):
        raise Forbidden(_("You do not have permission to do that."))
    if user.id == actor.id:
        raise Conflict(_("You cannot deactivate your own account."))
    if actor.role != Role.ADMIN and user.role not in PARTNER_ROLES:
        raise Forbidden(_("You do not have permission to do that."))
    if user.active == active:
        return user
    before = audit.snapshot(user, USER_FIELDS)
    user.active = active
    user.session_token = new_session_token()
    after = audit.snapshot(user, USER_FIELDS)
    if not active:
        revoked = db.session.execute(update(ApiToken).where(ApiToken.user_id == user.id,
                                                            ApiToken.revoked_at.is_(None))
                                     .values(revoked_at=utcnow()).execution_options(synchronize_session=False))
        if revoked.rowcount:
            after["api_tokens_revoked"] = revoked.rowcount
    audit.record(actor, "user.reactivated" if active else "user.deactivated", user, partner_id=user.partner_id,
                 before=before, after=after, summary=user.email)
    return user


# --- profile ---------------------------------------------------------------------------------

def update_profile(actor, name: str, locale: str | None, timezone: str) -> User:
    errors: dict[str, list[str]] = {}
    name = (name or "").strip()
    if not name or len(name) > 120:
        errors["name"] = [_("Enter your name (at most 120 characters).")]
    if locale and locale not in current_app.config["LANGUAGES"]:
        errors["locale"] = [_("Choose one of the offered languages.")]
    if not is_valid_zone(timezone or ""):
        errors["timezone"] = [_("Choose a time zone from the list.")]
    if errors:
        raise Invalid(errors)
    actor.name, actor.locale, actor.timezone = name, locale or None, timezone
    return actor


def set_locale(actor, locale: str) -> None:
    if locale not in current_app.config["LANGUAGES"]:
        raise Invalid({"locale": [_("Choose one of the offered languages.")]})
    actor.locale = locale


def change_password(actor, current: str, new: str, confirm: str) -> User:
    """Needs the current password; ends every other session of the user."""
    errors: dict[str, list[str]] = {}
    if not passwords.verify(actor.password_hash, current or ""):
        errors["current_password"] = [_("Your current password is not correct.")]
    problems = passwords.problems(new or "", actor.email)
    if new != confirm:
        problems.append(_("The two passwords do not match."))
    if problems:
        errors["new_password"] = problems
    if errors:
        raise Invalid(errors)
    actor.password_hash = passwords.hash_password(new)
    actor.session_token = new_session_token()
    audit.record(actor, "user.password_changed", actor, partner_id=actor.partner_id, summary=actor.email)
    return actor


# --- API tokens ------------------------------------------------------------------------------

TOKEN_PREFIX = "pp_"


def create_api_token(actor, name: str) -> tuple[ApiToken, str]:
    """A new token; the secret is returned once and never stored."""
    name = (name or "").strip()
    if not name or len(name) > 80:
        raise Invalid({"name": [_("Name the token (at most 80 characters), e.g. 'ERP sync'.")]})
    if not actor.can(Permission.USE_API):
        raise Forbidden(_("You do not have permission to do that."))
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user_id=actor.id, name=name, prefix=secret[:10], token_hash=_digest(secret))
    db.session.add(token)
    db.session.flush()
    audit.record(actor, "api_token.created", token, partner_id=actor.partner_id, summary=name)
    return token, secret


def api_tokens(actor):
    return db.session.scalars(select(ApiToken).where(ApiToken.user_id == actor.id).order_by(
        ApiToken.created_at.desc(), ApiToken.id.desc())).all()


def revoke_api_token(actor, token_id: int) -> ApiToken:
    token = db.session.scalar(select(ApiToken).where(ApiToken.id == token_id, ApiToken.user_id == actor.id))
    if token is None:
        raise NotFound(_("Token not found."))
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        audit.record(actor, "api_token.revoked", token, partner_id=actor.partner_id, summary=token.name)
    return token


# When a token was last used is kept to this precision: a worker records it at most once per interval.
TOKEN_USE_EVERY = timedelta(minutes=5)


def api_token(secret: str) -> ApiToken | None:
    """The unrevoked bearer token with this secret whose owner is active, or None. Only reads: its use is
    recorded by a worker (``note_token_use``), never in the request using it — a GET does not write (on
    SQLite a read transaction that wants to write fails once another writer has committed)."""
    if not secret or not secret.startswith(TOKEN_PREFIX):
        return None
    token = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == _digest(secret)))
    if token is None or token.revoked_at is not None or not token.user.is_active:
        return None
    return token


def note_token_use(token: ApiToken, now) -> None:
    """Have a worker record that ``token`` was used ``now`` (``jobs.accounts.record_token_use``), at most once
    per TOKEN_USE_EVERY; nothing when the recorded use is recent enough. May fail silently (Redis down)."""
    if token.last_used_at is not None and now - token.last_used_at < TOKEN_USE_EVERY:
        return
    queue.enqueue_once(f"api-token-used:{token.id}", int(TOKEN_USE_EVERY.total_seconds()),
                       "jobs.accounts.record_token_use", token.id, now.isoformat())


def record_token_use(token_id: int, at) -> bool:
    """The token was used at ``at``: one UPDATE, only forward in time (an older report changes nothing)."""
    done = db.session.execute(update(ApiToken).where(
        ApiToken.id == token_id, (ApiToken.last_used_at.is_(None)) | (ApiToken.last_used_at < at))
        .values(last_used_at=at).execution_options(synchronize_session=False))
    return done.rowcount == 1
