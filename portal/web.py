"""Request-wide behaviour: who is signed in, language and time zone, security headers,
template helpers. Installed once by create_app()."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlsplit

from flask import current_app, g, request, session, url_for
from flask_babel import format_datetime, format_decimal, get_locale, get_translations
from flask_babel import gettext as _
from flask_login import current_user

from portal.core import htmx, money
from portal.core.permissions import Permission, Role, deny_unmarked_endpoints
from portal.extensions import login_manager

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)


def _accept_language() -> str | None:
    """Map the browser's Accept-Language onto our three languages (zh-TW/HK/MO → Traditional)."""
    for value, _quality in request.accept_languages:
        tag = value.lower().replace("_", "-")
        if tag.startswith("en"):
            return "en"
        if tag.startswith("zh"):
            if "hant" in tag or tag.endswith(("-tw", "-hk", "-mo")):
                return "zh_Hant"
            return "zh_Hans"
    return None


def select_locale() -> str:
    if current_user and current_user.is_authenticated and current_user.locale:
        return current_user.locale
    if (chosen := session.get("locale")) in current_app.config["LANGUAGES"]:
        return chosen
    return _accept_language() or current_app.config["BABEL_DEFAULT_LOCALE"]


def select_timezone() -> str:
    if current_user and current_user.is_authenticated:
        return current_user.timezone
    return "UTC"


def safe_next(target: str | None) -> str | None:
    """Only a relative path on this site: no scheme, no host, no ``//`` or backslash tricks."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or "\\" in target or any(ord(c) < 32 for c in target):
        return None
    return target


def _return_path() -> str:
    """Where to come back to after signing in: the page itself, or for htmx the page the user
    was on (``HX-Current-URL``; the request's own URL may be a fragment or a POST-only action)."""
    if htmx.is_htmx() and (current := request.headers.get("HX-Current-URL")):
        parts = urlsplit(current)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        if parts.netloc == request.host and (safe := safe_next(path)):
            return safe
    return request.full_path.rstrip("?")


def install(app) -> None:
    from portal.accounts.service import load_session_user

    login_manager.login_view = "auth.login"
    login_manager.session_protection = "basic"

    @login_manager.user_loader
    def _load(session_id: str):
        return load_session_user(session_id)

    @login_manager.unauthorized_handler
    def _unauthorized():
        login_url = url_for("auth.login", next=_return_path())
        if request.path.startswith("/api/"):
            from portal.blueprints.api.base import error_response

            return error_response(401, _("Send a valid API token as 'Authorization: Bearer …'."))
        if htmx.is_htmx():
            return htmx.client_redirect(login_url)
        from flask import redirect

        return redirect(login_url)

    app.before_request(deny_unmarked_endpoints)

    @app.after_request
    def _security_headers(response):
        headers = response.headers
        headers.setdefault("Content-Security-Policy", CSP)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        if current_user and getattr(current_user, "is_authenticated", False):
            headers.setdefault("Cache-Control", "private, no-store")
        return response

    @app.context_processor
    def _template_globals():
        return {
            "Permission": Permission,
            "Role": Role,
            "languages": current_app.config["LANGUAGES"],
            "current_locale": str(get_locale()),
            "unread_count": _unread_count,
        }

    # Templates call gettext hundreds of times per page; Flask-Babel resolves the locale and its
    # catalogue cache on every call. Resolve once per locale and reuse (force_locale still works:
    # it swaps the locale object, which invalidates the cached pair).
    app.jinja_env.install_gettext_callables(
        lambda s: _translations().ugettext(s),
        lambda s, p, n: _translations().ungettext(s, p, n),
        newstyle=True,
    )
    app.jinja_env.filters["money"] = format_money
    app.jinja_env.filters["when"] = format_when
    app.jinja_env.filters["number"] = format_decimal
    app.jinja_env.filters["field_errors"] = field_errors


def _translations():
    namespace = g.get("_flask_babel")
    locale = getattr(namespace, "babel_locale", None)
    cached = getattr(namespace, "portal_translations", None)
    if cached is not None and locale is not None and cached[0] is locale:
        return cached[1]
    translations = get_translations()
    namespace = g._flask_babel  # created by get_translations()
    namespace.portal_translations = (getattr(namespace, "babel_locale", None), translations)
    return translations


def _unread_count() -> int:
    """Once per request, for the header badge."""
    if "unread" not in g:
        from portal.notifications.service import unread_count

        g.unread = unread_count(current_user) if current_user.is_authenticated else 0
    return g.unread


def format_money(cents: int | None, currency: str = "USD") -> str:
    if cents is None:
        return ""
    return money.format_money(cents, currency, str(get_locale()))


def format_when(value: datetime | None, fmt: str = "medium") -> str:
    """A stored UTC time shown in the user's time zone and locale."""
    return format_datetime(value, fmt) if value else ""


def field_errors(errors: dict, name: str) -> list[str]:
    return (errors or {}).get(name, [])
