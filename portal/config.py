"""Settings from environment variables, each with an embedded default that runs on one machine."""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path


def _secret_key(instance_path: Path) -> str:
    """SECRET_KEY from the environment, else one generated once and kept in the instance folder.

    Several web processes and workers on one host must share it, so it is persisted rather than
    generated per process.
    """
    if key := os.environ.get("SECRET_KEY"):
        return key
    path = instance_path / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_urlsafe(48))
    return path.read_text().strip()


def database_url(raw: str | None, instance: Path) -> str:
    """DATABASE_URL as SQLAlchemy needs it: the usual ``postgres://`` / ``postgresql://`` forms
    (as hosting providers hand them out) use the psycopg 3 driver the portal installs."""
    if not raw:
        return f"sqlite:///{instance / 'portal.db'}"
    for prefix in ("postgres://", "postgresql://"):
        if raw.startswith(prefix):
            return "postgresql+psycopg://" + raw[len(prefix):]
    return raw


def _bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


def _number(name: str, default: int) -> int:
    raw = os.environ.get(name)
    return int(raw) if raw and raw.strip().isdigit() and int(raw) > 0 else default


def load(instance_path: str) -> dict:
    """The app's configuration. Every key is documented in the README's Configuration table."""
    inst = Path(instance_path)
    debug = _bool("PORTAL_DEBUG", False)
    return {
        "SECRET_KEY": _secret_key(inst),
        "SQLALCHEMY_DATABASE_URI": database_url(os.environ.get("DATABASE_URL"), inst),
        "REDIS_URL": os.environ.get("REDIS_URL") or None,
        "MAIL_URL": os.environ.get("MAIL_URL") or None,
        "MAIL_FROM": os.environ.get("MAIL_FROM", "Partner Portal <portal@localhost>"),
        "OUTBOX_DIR": os.environ.get("OUTBOX_DIR") or str(inst / "outbox"),
        "BASE_URL": os.environ.get("BASE_URL", "http://127.0.0.1:5000").rstrip("/"),
        "DEBUG": debug,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": _bool("SECURE_COOKIES", not debug),
        # A sign-in ends after SESSION_IDLE_MINUTES without a request (the session cookie is signed again on
        # every request and refused once older), and SESSION_MAX_HOURS after it began whatever happens
        # (accounts.service.start_session); with "remember me", REMEMBER_DAYS after it began.
        "PERMANENT_SESSION_LIFETIME": timedelta(minutes=_number("SESSION_IDLE_MINUTES", 120)),
        "SESSION_MAX_AGE": timedelta(hours=_number("SESSION_MAX_HOURS", 12)),
        "REMEMBER_COOKIE_DURATION": timedelta(days=_number("REMEMBER_DAYS", 14)),
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": _bool("SECURE_COOKIES", not debug),
        "WTF_CSRF_TIME_LIMIT": None,
        "MAX_CONTENT_LENGTH": 12 * 1024 * 1024,  # above the largest upload (a 10 MB datasheet); 413 beyond
        "UPLOAD_DIR": os.environ.get("UPLOAD_DIR") or str(inst / "uploads"),  # product images and datasheets
        "RESET_TOKEN_HOURS": 2,
        "INVITE_TOKEN_DAYS": 7,
        "LOGIN_LIMIT_PER_ACCOUNT": os.environ.get("LOGIN_LIMIT_PER_ACCOUNT", "5 per 15 minutes"),
        "LOGIN_LIMIT_PER_IP": os.environ.get("LOGIN_LIMIT_PER_IP", "30 per 15 minutes"),
        "APPLY_LIMIT_PER_IP": os.environ.get("APPLY_LIMIT_PER_IP", "5 per hour"),  # "Become a partner" sends
        "RATELIMIT_ENABLED": True,
        "BABEL_DEFAULT_LOCALE": "en",
        "BABEL_DEFAULT_TIMEZONE": "UTC",
        "LANGUAGES": {"en": "English", "zh_Hans": "简体中文", "zh_Hant": "繁體中文"},
        "PAGE_SIZE": 25,
        "KPI_CACHE_SECONDS": int(os.environ.get("KPI_CACHE_SECONDS", "120")),  # the queue's processing-time KPI
        # Reverse proxies in front of the web processes that set X-Forwarded-For / -Proto (Werkzeug's ProxyFix)
        "TRUSTED_PROXIES": max(int(os.environ.get("TRUSTED_PROXIES", "0")), 0),
    }
