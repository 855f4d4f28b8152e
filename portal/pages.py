"""What every page shows besides its content: the layout's header (templates/base.html, _layout.html) has the
signed-in user's name, their role's navigation and two badges — unread notifications and, for users who
order, the lines in their cart."""

from __future__ import annotations

from dataclasses import dataclass

from flask import g
from flask_login import current_user
from sqlalchemy import func, select

from portal.core.permissions import Permission
from portal.extensions import db
from portal.notifications.models import Notification
from portal.orders.models import CartLine


@dataclass(frozen=True)
class HeaderCounts:
    unread: int  # the user's unread notifications
    cart: int | None  # the lines in their cart; None for users who do not order (no cart badge)


def header_counts(user) -> HeaderCounts:
    """The header's badges for ``user``, both in one query."""
    unread = select(func.count()).where(Notification.user_id == user.id, Notification.read.is_(False))
    if not user.can(Permission.PLACE_ORDERS):
        return HeaderCounts(db.session.execute(select(unread.scalar_subquery())).scalar_one(), None)
    lines = select(func.count()).where(CartLine.user_id == user.id)
    found = db.session.execute(select(unread.scalar_subquery(), lines.scalar_subquery())).one()
    return HeaderCounts(*found)


def current_header_counts() -> HeaderCounts | None:
    """``header_counts`` of the request's signed-in user (None when nobody is), asked once per request: a
    page asks before it renders, after anything the request wrote."""
    if not current_user.is_authenticated:
        return None
    if "header_counts" not in g:
        g.header_counts = header_counts(current_user)
    return g.header_counts


def install(app) -> None:
    """Templates get ``header_counts()`` (the layout and the badges' own htmx answers call it)."""
    app.context_processor(lambda: {"header_counts": current_header_counts})
