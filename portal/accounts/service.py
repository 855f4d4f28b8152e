"""Accounts: sign-in, one-time links (reset, invitation), users, profile, API tokens."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import bindparam, delete, select, update

from portal.accounts import passwords
from portal.accounts.models import ApiToken, OneTimeToken, User, UserSession, new_session_token
from portal.core import audit, queue
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
    """The user for these credentials. A wrong e-mail, a wrong password and an account not activated yet
    get the same message, so sign-in does not reveal who has an account. Only after the right password is
    a person told why they cannot come in (their account deactivated, their company's access ended) and
    whom to ask."""
    user = find_by_email(email)
    if not passwords.verify(user.password_hash if user else None, password or ""):
        raise Invalid({"password": [_("E-mail or password is not correct.")]})
    if not user.partner_allows_sign_in:
        manager = user.partner.channel_manager
        if manager is not None and manager.active:
            raise Invalid(_("%(company)s's access to the portal has ended. For questions, contact your channel "
                            "manager, %(name)s (%(email)s).", company=user.partner.name, name=manager.name,
                            email=manager.email))
        raise Invalid(_("%(company)s's access to the portal has ended. For questions, contact the vendor's "
                        "channel team.", company=user.partner.name))
    if not user.active:
        raise Invalid(_("Your account is deactivated. Ask whoever manages your company's portal users to "
                        "reactivate it."))
    return user


def start_session(user: User, remember: bool, user_agent: str = "") -> None:
    """A new sign-in of ``user``: its row (absolute lifetime: ``SESSION_MAX_HOURS``, or ``REMEMBER_DAYS``
    with "remember me") and the secret its cookies carry (``user.get_id()``)."""
    config = current_app.config
    lifetime = config["REMEMBER_COOKIE_DURATION"] if remember else config["SESSION_MAX_AGE"]
    secret, now = new_session_token(), utcnow()
    db.session.add(UserSession(user_id=user.id, token_hash=_digest(secret), remember=remember,
                               user_agent=(user_agent or "")[:200], created_at=now, expires_at=now + lifetime))
    db.session.flush()
    user.sign_in_token = secret


# Every request runs it: one statement with bind parameters, built once (SQLAlchemy keeps its compiled form).
_SIGNED_IN = select(User).join(UserSession, UserSession.user_id == User.id).where(
    User.id == bindparam("user_id"), UserSession.token_hash == bindparam("token_hash"),
    UserSession.expires_at > bindparam("now"))


def load_session_user(session_id: str) -> User | None:
    """The user behind a login cookie (``"<user id>:<sign-in secret>"``), or None when that sign-in
    ended (signed out, signed out everywhere, password changed, deactivated), outlived its absolute
    lifetime, or the account can no longer sign in (partner terminated)."""
    user_id, _sep, secret = (session_id or "").partition(":")
    if not (user_id.isascii() and user_id.isdigit() and len(user_id) <= 18) or not secret:
        return None
    user = db.session.scalar(_SIGNED_IN, {"user_id": int(user_id), "token_hash": _digest(secret), "now": utcnow()})
    if user is None or not user.is_active:
        return None
    user.sign_in_token = secret
    return user


def end_session(user: User) -> None:
    """Sign-out: this sign-in's cookies stop working (on every web process: the row is gone)."""
    if user.sign_in_token:
        db.session.execute(delete(UserSession).where(UserSession.user_id == user.id,
                                                     UserSession.token_hash == _digest(user.sign_in_token)))


def end_all_sessions(user: User, keep_current: bool = False) -> int:
    """Every sign-in of ``user`` ends ("sign out everywhere", password change, deactivation); with
    ``keep_current``, all but the one ``user`` was loaded for. Returns how many ended."""
    stmt = delete(UserSession).where(UserSession.user_id == user.id)
    if keep_current and user.sign_in_token:
        stmt = stmt.where(UserSession.token_hash != _digest(user.sign_in_token))
    return db.session.execute(stmt).rowcount


def sessions_of(user: User) -> list[UserSession]:
    """The user's current sign-ins, newest first (the profile page lists them)."""
    return list(db.session.scalars(select(UserSession).where(
        UserSession.user_id == user.id, UserSession.expires_at > utcnow()).order_by(
        UserSession.created_at.desc(), UserSession.id.desc())))


def is_current_session(user: User, row: UserSession) -> bool:
    return bool(user.sign_in_token) and secrets.compare_digest(row.token_hash, _digest(user.sign_in_token))


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
    end_all_sessions(user)
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
    """Delete one-time links that expired or were used more than a day ago, and sign-ins past their
    absolute lifetime."""
    cutoff = utcnow() - timedelta(days=1)
    stale = select(OneTimeToken.id).where(
        (OneTimeToken.expires_at < utcnow()) | (OneTimeToken.used_at < cutoff))
    ids = list(db.session.scalars(stale))
    if ids:
        db.session.execute(OneTimeToken.__table__.delete().where(OneTimeToken.id.in_(ids)))
    ended = db.session.execute(delete(UserSession).where(UserSession.expires_at < utcnow())).rowcount
    return len(ids) + ended


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


# least privileged first: the first role is the invitation form's default
_ROLES_BY_PRIVILEGE = (Role.PARTNER_USER, Role.PARTNER_ADMIN, Role.TRAINER, Role.CHANNEL_MANAGER, Role.ADMIN)


def invitable_roles(actor) -> list[Role]:
    """The roles ``actor`` may give, least privileged first: an admin any, a partner admin partner roles."""
    if actor.role == Role.ADMIN:
        return list(_ROLES_BY_PRIVILEGE)
    if actor.can(Permission.MANAGE_USERS):
        return [Role.PARTNER_USER, Role.PARTNER_ADMIN]
    return []


def listable_roles(actor) -> list[Role]:
    """The roles the users list can show ``actor`` (its role filter): a partner admin only sees partner roles."""
    if actor.role == Role.ADMIN:
        return list(_ROLES_BY_PRIVILEGE)
    return [Role.PARTNER_USER, Role.PARTNER_ADMIN]


def invite_user(actor, email: str, name: str, role: str, partner_id: int | None, locale: str | None = None) -> User:
    """Create an account without a password and e-mail an invitation link (in ``locale``, else the actor's).

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
                locale=locale or actor.locale)
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
    end_all_sessions(user)
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


def set_follows_company_orders(actor, follows: bool) -> User:
    """A partner admin chooses to be told about every order of the company (``orders.lifecycle.involved``),
    not only those they placed or acted on."""
    if not actor.can(Permission.FOLLOW_COMPANY_ORDERS):
        raise Forbidden(_("You do not have permission to do that."))
    actor.follows_company_orders = bool(follows)
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
    end_all_sessions(actor, keep_current=True)
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
