"""What every page shares besides its content, and when a browser may keep a page.

The layout (templates/base.html, _layout.html) shows the signed-in user's name, their role's navigation
and two badges: unread notifications and, for users who order, the lines in their cart (``header_counts``).

Conditional GET (``conditional``): a list page carries an ETag and ``Cache-Control: private, no-cache``;
the browser keeps it and asks again with ``If-None-Match``, and an unchanged page is answered ``304 Not
Modified`` before any of its own queries run. The ETag is a digest of everything the page shows:
- the code that renders it: a digest of the portal's sources, templates and catalogs (``RELEASE``);
- the request: the path with its query string, and the htmx headers that choose the whole page or a block;
- the reader: the user and their sign-in (whose CSRF token the page's forms carry), name, role, partner,
  language and time zone, and the header's badge counts;
- the data: the versions (``portal.core.versions``) of the tables the page shows, named at each list view
  as ``@conditional(Model, …)``; pages showing waiting times also the current minute.
A page with flash messages to show is always sent whole.
"""

from __future__ import annotations

import hashlib
from dataclasses import astuple, dataclass
from functools import wraps
from pathlib import Path

from flask import current_app, g, get_flashed_messages, make_response, request
from flask_login import current_user
from sqlalchemy import bindparam, func, select

from portal.core import versions
from portal.core.i18n import locale_name, zone_name
from portal.core.permissions import Permission
from portal.core.time import utcnow
from portal.extensions import db
from portal.notifications.models import Notification
from portal.orders.models import CartLine


@dataclass(frozen=True)
class HeaderCounts:
    unread: int  # the user's unread notifications
    cart: int | None  # the lines in their cart; None for users who do not order (no cart badge)


# Every page asks: one statement with a bind parameter, built once (SQLAlchemy keeps its compiled form).
_HEADER_COUNTS = select(
    select(func.count()).where(Notification.user_id == bindparam("user_id"), Notification.read.is_(False))
    .scalar_subquery(),
    select(func.count()).where(CartLine.user_id == bindparam("user_id")).scalar_subquery())


def header_counts(user) -> HeaderCounts:
    """The header's badges for ``user``, both in one query."""
    unread, lines = db.session.execute(_HEADER_COUNTS, {"user_id": user.id}).one()
    return HeaderCounts(unread, lines if user.can(Permission.PLACE_ORDERS) else None)


def current_header_counts() -> HeaderCounts | None:
    """``header_counts`` of the request's signed-in user (None when nobody is), asked once per request: a
    page asks before it renders, after anything the request wrote."""
    if not current_user.is_authenticated:
        return None
    if "header_counts" not in g:
        g.header_counts = header_counts(current_user)
    return g.header_counts


def conditional(*models, per_minute: bool = False):
    """A list page's GET view (below its ``@require``) answered 304 while nothing it shows has changed: the
    tables of ``models`` and, with ``per_minute``, the minute (see the module docstring)."""

    def decorate(view):
        @wraps(view)
        def answer(*args, **kwargs):
            etag = page_etag(models, per_minute)
            if etag is None:
                return view(*args, **kwargs)
            if request.if_none_match.contains_weak(etag):
                response = current_app.response_class(status=304)
            else:
                response = make_response(view(*args, **kwargs))
                if response.status_code != 200:
                    return response
            response.set_etag(etag)
            response.headers["Cache-Control"] = "private, no-cache"
            response.vary.update(("Cookie", "HX-Request"))
            return response

        answer.shows_tables = tuple(model.__tablename__ for model in models)  # what the ETag covers, for tests
        return answer

    return decorate


def page_etag(models: tuple, per_minute: bool = False) -> str | None:
    """The ETag of the page this request asks for (None: the page is not to be kept)."""
    if not current_user.is_authenticated or get_flashed_messages():
        return None
    user = current_user
    minute = utcnow().replace(second=0, microsecond=0) if per_minute else None
    key = (current_app.config["RELEASE"], request.full_path,
           *(request.headers.get(name, "") for name in ("HX-Request", "HX-Boosted", "HX-History-Restore-Request")),
           user.id, user.sign_in_token, user.name, user.role, user.partner_id, locale_name(), zone_name(),
           astuple(current_header_counts()), versions.current(*models), minute)
    return hashlib.sha256(repr(key).encode()).hexdigest()[:40]


def release_digest(root: Path) -> str:
    """A digest of the Python sources, templates and compiled catalogs under ``root``: what renders pages."""
    digest = hashlib.sha256()
    for path in sorted(p for pattern in ("*.py", "*.html", "*.txt", "*.mo") for p in root.rglob(pattern)):
        digest.update(str(path.relative_to(root)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def install(app) -> None:
    """Templates get ``header_counts()`` (the layout, and the badges' own htmx answers); ``RELEASE`` is set."""
    app.config.setdefault("RELEASE", release_digest(Path(app.root_path)))
    app.context_processor(lambda: {"header_counts": current_header_counts})
