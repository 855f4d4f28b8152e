"""Language and time zone: which ones a request gets, and how amounts and times are written in them.

The rule: a signed-in user's own language and time zone (their profile); before signing in, the language
chosen in the footer (kept in the session), else the browser's Accept-Language (zh-TW/HK/MO → Traditional
Chinese, other zh → Simplified), else English; times in UTC. Flask-Babel calls the two selectors once per
request and keeps the answer (``get_locale()``, ``get_timezone()``).

Templates translate with ``_()``, ``gettext()`` and ``ngettext()`` as Jinja's "newstyle" gettext does
(autoescaped, always %-formatted), from the request's catalogue looked up once (``translations``): a list
page looks up a hundred strings, and Jinja's i18n wrappers around Flask-Babel's lookup cost more than the
rest of a row.

Caches — the web layer's only ones, all here:
- ``functools.lru_cache`` on pure functions of their arguments (Babel's formatting of an amount, or of a
  time, in a locale and zone). Key: every input of the text (value, currency or format, zone, locale).
  Bound: ``FORMAT_CACHE_SIZE`` entries each, least recently used dropped. Invalidation: none needed — the
  same inputs always give the same text.
- ``translations``: Flask-Babel's catalogue for the request's locale, on ``g`` for the rest of the request,
  next to the locale object it is for (``force_locale`` swaps that object: an e-mail rendered in its
  reader's language gets that language's catalogue).
"""

from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache

from babel.dates import format_date, format_datetime, get_timezone
from flask import current_app, g, has_request_context, request, session
from flask_babel import format_decimal, get_translations
from flask_babel import get_locale as babel_locale
from flask_babel import get_timezone as babel_timezone
from flask_login import current_user
from jinja2 import pass_eval_context
from markupsafe import Markup

from portal.core import money

FORMAT_CACHE_SIZE = 4096


def select_locale() -> str:
    """Flask-Babel's locale selector (see the module docstring for the rule). Outside a request (a job, the
    CLI) the default: code that writes for a person chooses their language itself (``force_locale``)."""
    if not has_request_context():
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    if current_user.is_authenticated and current_user.locale:
        return current_user.locale
    if (chosen := session.get("locale")) in current_app.config["LANGUAGES"]:
        return chosen
    return _accept_language() or current_app.config["BABEL_DEFAULT_LOCALE"]


def select_timezone() -> str:
    """Flask-Babel's time zone selector: the signed-in user's zone, else (or outside a request) UTC."""
    return current_user.timezone if has_request_context() and current_user.is_authenticated else "UTC"


def _accept_language() -> str | None:
    """The browser's Accept-Language mapped onto our three languages."""
    for value, _quality in request.accept_languages:
        tag = value.lower().replace("_", "-")
        if tag.startswith("en"):
            return "en"
        if tag.startswith("zh"):
            if "hant" in tag or tag.endswith(("-tw", "-hk", "-mo")):
                return "zh_Hant"
            return "zh_Hans"
    return None


def locale_name() -> str:
    """The request's language as our code (``en``, ``zh_Hans``, ``zh_Hant``)."""
    return str(babel_locale())


def zone_name() -> str:
    """The request's time zone name (``Europe/London``)."""
    return str(babel_timezone())


def format_money(cents: int | None, currency: str = "USD") -> str:
    """An amount in the request's language ('' for none): the ``money`` filter."""
    return "" if cents is None else _money(cents, currency, locale_name())


def format_when(value: datetime | None, fmt: str = "medium") -> str:
    """A stored UTC time in the request's time zone and language ('' for none): the ``when`` filter."""
    return _when(value, fmt, zone_name(), locale_name()) if value else ""


def format_day(value: date | datetime | None, fmt: str = "medium") -> str:
    """A calendar day (a requested delivery date, an expiry date) in the request's language, in the same
    medium format as ``when`` ('' for none): the ``day`` filter. A datetime is taken in the user's zone."""
    if not value:
        return ""
    if isinstance(value, datetime):
        return _day_of(value, fmt, zone_name(), locale_name())
    return _day(value, fmt, locale_name())


@lru_cache(maxsize=FORMAT_CACHE_SIZE)
def _day(value: date, fmt: str, locale: str) -> str:
    return format_date(value, fmt, locale=locale)


@lru_cache(maxsize=FORMAT_CACHE_SIZE)
def _day_of(value: datetime, fmt: str, zone: str, locale: str) -> str:
    return format_date(value.astimezone(get_timezone(zone)).date(), fmt, locale=locale)


@lru_cache(maxsize=FORMAT_CACHE_SIZE)
def _money(cents: int, currency: str, locale: str) -> str:
    return money.format_money(cents, currency, locale)


@lru_cache(maxsize=FORMAT_CACHE_SIZE)
def _when(value: datetime, fmt: str, zone: str, locale: str) -> str:
    return format_datetime(value, fmt, tzinfo=get_timezone(zone), locale=locale)


def translations():
    """Flask-Babel's ``get_translations()`` for the request's locale, looked up once (see the module docstring)."""
    locale = babel_locale()
    kept = g.get("portal_translations")
    if kept is None or kept[0] is not locale:
        kept = g.portal_translations = (locale, get_translations())
    return kept[1]


@pass_eval_context
def template_gettext(eval_ctx, string: str, /, **variables) -> str:
    return _formatted(eval_ctx, translations().ugettext(string), variables)


@pass_eval_context
def template_ngettext(eval_ctx, singular: str, plural: str, num: int, /, **variables) -> str:
    variables.setdefault("num", num)
    return _formatted(eval_ctx, translations().ungettext(singular, plural, num), variables)


@pass_eval_context
def template_pgettext(eval_ctx, context: str, string: str, /, **variables) -> str:
    """One English word with two meanings ("Name" of a person, "Name" as a sort order): the context tells."""
    return _formatted(eval_ctx, translations().upgettext(context, string), variables)


@pass_eval_context
def template_npgettext(eval_ctx, context: str, singular: str, plural: str, num: int, /, **variables) -> str:
    variables.setdefault("num", num)
    return _formatted(eval_ctx, translations().unpgettext(context, singular, plural, num), variables)


def _formatted(eval_ctx, text: str, variables: dict) -> str:
    if eval_ctx.autoescape:
        text = Markup(text)
    return text % variables


def install(app) -> None:
    """For templates: ``_``/``gettext``/``ngettext``/``pgettext``/``npgettext``, the formatting filters
    ``money``, ``when``, ``day`` and ``number``, and ``current_locale()``."""
    app.jinja_env.globals.update(_=template_gettext, gettext=template_gettext, ngettext=template_ngettext,
                                 pgettext=template_pgettext, npgettext=template_npgettext, current_locale=locale_name)
    app.jinja_env.filters.update(money=format_money, when=format_when, day=format_day, number=format_decimal)
