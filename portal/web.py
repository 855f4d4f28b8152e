"""Request-wide behaviour: who is signed in, language and time zone, security headers,
template helpers. Installed once by create_app()."""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from urllib.parse import urlsplit

import pytz
from babel import Locale
from flask import current_app, request, session, url_for
from flask.globals import _cv_app
from flask_babel import Domain, format_datetime, format_decimal, get_locale, get_timezone, get_translations
from flask_babel import gettext as _
from flask_login import current_user
from jinja2 import pass_context, pass_eval_context
from markupsafe import Markup, escape

from portal.core import htmx, money, reads
from portal.core.permissions import Permission, Role, deny_unmarked_endpoints, role_has
from portal.core.urls import safe_next
from portal.extensions import login_manager

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)

SECURITY_HEADERS = (
    ("Content-Security-Policy", CSP),
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "strict-origin-when-cross-origin"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
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


def _user():
    """The signed-in user (or Flask-Login's anonymous user) itself, not the proxy: once loaded for
    the request it is read from ``g`` (where Flask-Login keeps it)."""
    namespace = _g()
    user = vars(namespace).get("_login_user") if namespace is not None else None
    return user if user is not None else current_user._get_current_object()


def _babel_namespace():
    """Flask-Babel's per-request namespace (``g._flask_babel``), or None outside an app context."""
    namespace = _g()
    return vars(namespace).get("_flask_babel") if namespace is not None else None


def _g():
    """The app context's ``g`` itself, or None outside one. Reading through the ``g`` proxy costs a few
    µs per access (werkzeug's LocalProxy); the per-request helpers here are read dozens of times a page."""
    context = _cv_app.get(None)
    return context.g if context is not None else None


def select_locale() -> str:
    user = _user()
    if user and user.is_authenticated and user.locale:
        return user.locale
    if (chosen := session.get("locale")) in current_app.config["LANGUAGES"]:
        return chosen
    return _accept_language() or current_app.config["BABEL_DEFAULT_LOCALE"]


def select_timezone() -> str:
    user = _user()
    if user and user.is_authenticated:
        return user.timezone
    return "UTC"


def babel_locale() -> Locale:
    """Flask-Babel's locale selector: ``select_locale()`` as a Locale object made once per name (given a
    name, Flask-Babel parses it again on every request, ~0.1 ms)."""
    return _locale_object(select_locale())


def babel_timezone():
    """Flask-Babel's time zone selector: ``select_timezone()`` as a zone object made once per name."""
    return _zone_object(select_timezone())


@lru_cache(maxsize=64)
def _locale_object(name: str) -> Locale:
    return Locale.parse(name)


@lru_cache(maxsize=1024)
def _zone_object(name: str):
    return pytz.timezone(name)


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

    login_manager.user_loader(load_session_user)

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

    # Flask-Babel's gettext/lazy_gettext (views, forms, flash messages) look the locale and its catalogue
    # up again on every string; its domain now keeps them per request like _translations() does.
    babel = app.extensions["babel"]
    if not isinstance(babel.instance.__dict__.get("domain_instance"), _RequestDomain):
        babel.instance.__dict__["domain_instance"] = _RequestDomain(domain=babel.default_domain)

    app.before_request(deny_unmarked_endpoints)

    @app.after_request
    def _security_headers(response):
        headers = response.headers
        present = {name.lower() for name, _value in headers.items()}
        headers.extend([pair for pair in SECURITY_HEADERS if pair[0].lower() not in present])
        # signed in: the user loaded for this request, or a session naming one (no user load just for this)
        user = vars(_g()).get("_login_user")
        if "cache-control" not in present and (
                (user is not None and user.is_authenticated) or "_user_id" in session):
            headers["Cache-Control"] = "private, no-store"
        return response

    @app.context_processor
    def _template_globals():
        return {
            "current_locale": _locale_name(),
            "current_zone": _zone_name(),
            # The user object itself, not Flask-Login's proxy: templates read it dozens of times
            # per page and every read through the proxy costs a context lookup.
            "current_user": _user(),
            **_bound_gettext(),
        }

    # ours sets current_user (the object, not the proxy): Flask-Login's own processor would only
    # resolve the proxy once more per render
    processors = app.template_context_processors[None]
    processors[:] = [p for p in processors if getattr(p, "__name__", "") != "_user_context_processor"]

    # Templates call gettext hundreds of times per page; Flask-Babel resolves the locale and its
    # catalogue cache on every call. Resolve once per locale and reuse (force_locale still works:
    # it swaps the locale object, which invalidates the cached pair).
    app.jinja_env.install_gettext_callables(
        lambda s: _translations().ugettext(s),
        lambda s, p, n: _translations().ungettext(s, p, n),
        newstyle=True,
        pgettext=lambda c, s: _translations().pgettext(c, s),
        npgettext=lambda c, s, p, n: _translations().npgettext(c, s, p, n),
    )
    # The same semantics as Jinja's "newstyle" wrappers installed just above (autoescape-aware,
    # always %-formatted), without their second trip through ``context.call`` on every string.
    app.jinja_env.globals.update(gettext=_template_gettext, _=_template_gettext, ngettext=_template_ngettext)
    # for pages and for imported macros (which see globals, not the context processor's values)
    app.jinja_env.globals.update(unread_count=_unread_count, header_cart_count=_cart_count)
    app.jinja_env.globals.update(Permission=Permission, Role=Role, role_has=role_has, fixed_url=fixed_url,
                                 badge=badge, layout=layout_fragment, fragment=fragment, rendered_rows=rendered_rows,
                                 pager=pager, page_header=page_header, page_footer=page_footer)
    app.jinja_env.filters["money"] = _money_filter
    app.jinja_env.filters["when"] = _when_filter
    app.jinja_env.filters["number"] = format_decimal
    app.jinja_env.filters["field_errors"] = field_errors


class _RequestDomain(Domain):
    """The default domain, remembering the request's catalogue next to the locale it is for."""

    def get_translations(self):
        return _per_request("babel_locale", "portal_translations", super().get_translations)


def _translations():
    return _per_request("babel_locale", "portal_translations", get_translations)


def _per_request(source: str, slot: str, compute):
    """``compute()`` once per request for the Flask-Babel state ``g._flask_babel.<source>`` (the locale or
    the time zone object): the result is kept in ``slot`` next to that object, so ``force_locale``, which
    swaps the object, invalidates it. Pages ask for the locale name, zone name and catalogue dozens of times."""
    # (read through __dict__: a missing attribute of g raises and catches an exception inside getattr)
    namespace = _babel_namespace()
    state = vars(namespace) if namespace is not None else {}
    current, cached = state.get(source), state.get(slot)
    if cached is not None and current is not None and cached[0] is current:
        return cached[1]
    value = compute()
    namespace = _babel_namespace()  # compute() creates it when this request had none yet
    if namespace is not None:
        state = vars(namespace)
        state[slot] = (state.get(source), value)
    return value


@pass_eval_context
def _template_gettext(eval_ctx, string: str, /, **variables) -> str:
    return _format(eval_ctx, _translations().ugettext(string), variables)


@pass_eval_context
def _template_ngettext(eval_ctx, singular: str, plural: str, num: int, /, **variables) -> str:
    variables.setdefault("num", num)
    return _format(eval_ctx, _translations().ungettext(singular, plural, num), variables)


def _format(eval_ctx, rv: str, variables: dict) -> str:
    if eval_ctx.autoescape:
        if not variables and "%" not in rv:  # the common case: a plain label
            return Markup(rv)
        rv = Markup(rv)
    return rv % variables


def _bound_gettext() -> dict:
    """``_``/``gettext``/``ngettext`` bound to the request's translations (a page renders ~50 strings), made
    once per catalogue. Imported macros and layout fragments use the globals above."""
    translations = _translations()
    bound = _bound.get(translations)
    if bound is None:
        bound = _bound[translations] = _gettext_for(translations)
    return bound


_bound: dict = {}  # Babel translations (one per language, kept by Flask-Babel) → their template functions


def _gettext_for(translations) -> dict:
    ugettext, ungettext = translations.ugettext, translations.ungettext

    @pass_eval_context
    def gettext(eval_ctx, string: str, /, **variables) -> str:
        return _format(eval_ctx, ugettext(string), variables)

    @pass_eval_context
    def ngettext(eval_ctx, singular: str, plural: str, num: int, /, **variables) -> str:
        variables.setdefault("num", num)
        return _format(eval_ctx, ungettext(singular, plural, num), variables)

    return {"_": gettext, "gettext": gettext, "ngettext": ngettext}


# Rendered pieces of pages that are a pure function of their arguments and the locale: the layout's
# header (per role, name and badge counts) and footer, a filter's <option> list (keyed by the rows
# themselves, so a renamed category is a new key), a pager. The key is everything a piece shows, so
# nothing is ever stale and one rendering serves every page with the same key; a session's CSRF token
# and a page's own address go in per page (CSRF_SLOT, NEXT_SLOT).
_fragments: dict[tuple, Markup] = {}
_MAX_FRAGMENTS = 5_000


def fragment(template: str, name: str, **args) -> Markup:
    """The macro ``name`` of ``template`` rendered with ``args`` (hashable; lists count as tuples),
    cached per app, locale and mount point (not in debug, where templates reload)."""
    values = tuple(sorted((k, tuple(v) if isinstance(v, list) else v) for k, v in args.items()))
    return _remembered((template, name, values), lambda: _macro(template, name)(**args))


def _remembered(key: tuple, render) -> Markup:
    """``render()`` as Markup, kept per app, mount point, locale and ``key`` (see ``fragment``)."""
    cache_key = (current_app._get_current_object(), request.script_root, _locale_name(), key)
    html = _fragments.get(cache_key)
    if html is None:
        html = _keep(_fragments, _MAX_FRAGMENTS, cache_key, Markup(str(render())))
    return html


def _keep(cache: dict, limit: int, key: tuple, value):
    """``value``, kept in ``cache`` under ``key`` (emptied when it holds ``limit`` entries) unless in debug,
    where templates reload and a kept rendering would go stale."""
    if not current_app.debug:
        if len(cache) >= limit:
            cache.clear()
        cache[key] = value
    return value


def _macro(template: str, name: str):
    """The macro ``name`` of ``template`` (its module, made once per template by Jinja)."""
    return getattr(current_app.jinja_env.get_template(template).module, name)


def badge(template: str, count: int) -> Markup:
    """A header badge (``cart/_badge.html``, ``notifications/_badge.html``) for ``count``: a pure function
    of the count, the locale and the mount point, so rendered once per key like ``fragment`` (an
    ``{% include %}`` per badge cost ~0.1 ms a page). Their htmx refreshes render the templates directly."""
    return _remembered((template, count), lambda: current_app.jinja_env.get_template(template).render(n=count))


# Rendered rows of list pages, each a pure function of its row's values and the page's shared arguments
# (Russian-doll fragment caching, keyed by content rather than expired: a changed row is a new key, so
# nothing is ever stale). A list shows the same rows again and again — paging back, filtering, another
# user of the same tier browsing the catalogue — and a 25-row table costs 0.5–2 ms to render.
_rows: dict[tuple, str] = {}
_MAX_ROWS = 10_000
# What a kept piece's forms carry as the CSRF token: the session's own token replaces it per page. Markup, so
# it goes into the HTML as it is, where anything a user wrote is escaped and can never read like it.
CSRF_SLOT = Markup("<!--csrf-->")


def rendered_rows(template: str, name: str, rows, **shared) -> Markup:
    """Each of ``rows`` rendered by the macro ``name`` of ``template`` as ``macro(row, **shared)``, joined,
    kept per row, ``shared`` (hashable), locale, time zone and mount point (not in debug, where templates
    reload). Rows must be hashable and equal only when everything the macro shows is equal (named tuples,
    frozen dataclasses). A ``csrf`` argument is the session's token: rows are rendered (and kept) with a
    placeholder that the token replaces, so one rendering serves every session."""
    app = current_app._get_current_object()
    token = shared.pop("csrf", None)
    if token is not None:
        shared["csrf"] = CSRF_SLOT
    base = (app, request.script_root, _locale_name(), _zone_name(), template, name, tuple(sorted(shared.items())))
    macro = None
    out = []
    for row in rows:
        key = (base, row)
        html = _rows.get(key)
        if html is None:
            macro = macro or _macro(template, name)
            html = _keep(_rows, _MAX_ROWS, key, str(macro(row, **shared)))
        out.append(html)
    html = "".join(out)
    if token is not None:
        html = html.replace(CSRF_SLOT, str(escape(token)))
    return Markup(html)


def pager(page, endpoint: str, args: dict) -> Markup:
    """A list's previous / next links (``_macros.html`` ``pager_links``) for ``page`` of ``endpoint`` with the
    list's other query ``args``: nothing on a single page, else rendered once per key (see ``fragment``)."""
    if not (page.has_prev or page.has_next):
        return Markup("")
    return fragment("_macros.html", "pager_links", number=page.number, has_prev=page.has_prev,
                    has_next=page.has_next, endpoint=endpoint, args=tuple(sorted(args.items())))


def page_header(csrf: str) -> Markup:
    """The page header (``_layout.html`` ``header``) for the signed-in user: their role's navigation, name and
    badge counts. Rendered once per what it shows and kept (see ``fragment``); the session's CSRF token
    goes into its sign-out form per page."""
    user = _user()
    if user.is_authenticated:
        cart = _cart_count() if user.can(Permission.PLACE_ORDERS) else None
        args = (user.role, user.name, cart, _unread_count())
    else:
        args = (None, None, None, 0)
    html = _remembered(("_layout.html", "header", args),
                       lambda: _macro("_layout.html", "header")(*args, csrf=CSRF_SLOT))
    return Markup(str(html).replace(CSRF_SLOT, str(escape(csrf))))


def page_footer(csrf: str) -> Markup:
    """The page footer (``_layout.html`` ``footer``): the language switcher for the current language, posting
    back to this page; kept per language like ``page_header``."""
    locale = _locale_name()
    html = _remembered(("_layout.html", "footer"), lambda: _macro("_layout.html", "footer")(
        locale, csrf=CSRF_SLOT, next=NEXT_SLOT))
    return Markup(str(html).replace(CSRF_SLOT, str(escape(csrf))).replace(
        NEXT_SLOT, str(escape(request.full_path.rstrip("?")))))


# The page's own address in the footer's language form while kept (see ``page_footer``, ``CSRF_SLOT``).
NEXT_SLOT = Markup("<!--next-->")


def layout_fragment(name: str, **args) -> Markup:
    """A piece of base.html from _layout.html (see ``fragment``)."""
    return fragment("_layout.html", name, **args)


_fixed_urls: dict[tuple, str] = {}


def fixed_url(endpoint: str) -> str:
    """``url_for(endpoint)`` for an endpoint without arguments (the layout's links), built once."""
    key = (current_app._get_current_object(), request.script_root, endpoint)
    url = _fixed_urls.get(key)
    if url is None:
        url = _fixed_urls[key] = url_for(endpoint)
    return url


def _unread_count() -> int:
    """The header's unread badge, once per request (see ``_header_counts``)."""
    state = vars(_g())
    if "unread" not in state:
        _header_counts()
    return state["unread"]


def _cart_count() -> int:
    """The header's cart badge, once per request: the same ``g.cart_count`` the cart pages set from the
    lines they already loaded (blueprints/cart.py), else from ``_header_counts``."""
    state = vars(_g())
    if "cart_count" not in state:
        _header_counts()
    return state["cart_count"]


_HEADER_COUNTS = None


def _header_counts() -> None:
    """Both header badges in one statement (built once): unread notifications and, for users who
    order, cart lines. Sets ``g.unread`` and ``g.cart_count`` where not set yet."""
    global _HEADER_COUNTS
    user = _user()
    if not user.is_authenticated:
        unread = cart = 0
    else:
        if _HEADER_COUNTS is None:
            from sqlalchemy import bindparam, func, select

            from portal.notifications.service import UNREAD
            from portal.orders.models import CartLine

            lines = CartLine.__table__
            cart_lines = select(func.count()).select_from(lines).where(lines.c.user_id == bindparam("user_id"))
            _HEADER_COUNTS = select(UNREAD.scalar_subquery(), cart_lines.scalar_subquery())
        unread, cart = reads.first(_HEADER_COUNTS, {"user_id": user.id})
        if not user.can(Permission.PLACE_ORDERS):
            cart = 0
    state = vars(_g())
    state.setdefault("unread", unread or 0)
    state.setdefault("cart_count", cart or 0)


def format_money(cents: int | None, currency: str = "USD") -> str:
    if cents is None:
        return ""
    return _money(cents, currency, _locale_name())


@pass_context
def _money_filter(context, cents: int | None, currency: str = "USD") -> str:
    """The ``money`` filter. A page's context carries its locale (``current_locale``, set per render, so
    ``force_locale`` renders follow it): one dict lookup per amount instead of a Flask-Babel lookup."""
    if cents is None:
        return ""
    return _money(cents, currency, context.get("current_locale") or _locale_name())


def _locale_name() -> str:
    """``str(get_locale())``, once per request and locale (a list page formats dozens of amounts)."""
    return _per_request("babel_locale", "portal_locale_name", lambda: str(get_locale()))


def _zone_name() -> str:
    """``str(get_timezone())``, once per request and zone (a list page shows a time per row)."""
    return _per_request("babel_tzinfo", "portal_zone_name", lambda: str(get_timezone()))


@lru_cache(maxsize=8192)
def _money(cents: int, currency: str, locale: str) -> str:
    """Babel's currency formatting costs ~0.1 ms; the same amounts recur on every page."""
    return money.format_money(cents, currency, locale)


def format_when(value: datetime | None, fmt: str = "medium") -> str:
    """A stored UTC time shown in the user's time zone and locale."""
    return _when(value, fmt, _zone_name(), _locale_name()) if value else ""


@pass_context
def _when_filter(context, value: datetime | None, fmt: str = "medium") -> str:
    """The ``when`` filter: zone and locale come from the page's context, like ``_money_filter``."""
    if not value:
        return ""
    zone, locale = context.get("current_zone") or _zone_name(), context.get("current_locale") or _locale_name()
    return _when(value, fmt, zone, locale)


def _when(value: datetime, fmt: str, zone: str, locale: str) -> str:
    """Babel takes ~50 µs per call and list pages show a time per row; the result is a pure function
    of (time, format, time zone, locale), so it is kept (bounded) for the rows shown again."""
    key = (value, fmt, zone, locale)
    text = _when_cache.get(key)
    if text is None:
        if len(_when_cache) >= 20_000:
            _when_cache.clear()
        text = _when_cache[key] = format_datetime(value, fmt)
    return text


_when_cache: dict[tuple, str] = {}


def field_errors(errors: dict, name: str) -> list[str]:
    return (errors or {}).get(name, [])
