"""The in-app notification list and its unread badge."""

from __future__ import annotations

from flask import Blueprint, redirect, request, url_for
from flask_login import current_user

from portal.core.htmx import is_htmx, render
from portal.core.pagination import page_number
from portal.core.permissions import require
from portal.core.urls import safe_next
from portal.extensions import db
from portal.notifications import service
from portal.notifications.models import Notification
from portal.pages import conditional

bp = Blueprint("notifications", __name__, url_prefix="/notifications")


@bp.get("/")
@require()
@conditional(Notification)
def index():
    page = service.page_of(current_user, page_number())
    return render("notifications/index.html", "list", page=page)


@bp.get("/badge")
@require()
def badge():
    return render("notifications/_badge.html")


@bp.post("/<id:notification_id>/read")
@require()
def read(notification_id: int):
    service.mark_read(current_user, notification_id)
    db.session.commit()
    return _after_read()


@bp.post("/read-all")
@require()
def read_all():
    service.mark_read(current_user)
    db.session.commit()
    return _after_read()


def _after_read():
    if is_htmx():
        page = service.page_of(current_user, page_number())
        response = render("notifications/index.html", "list", page=page)
        response.headers["HX-Trigger"] = "notifications-changed"
        return response
    return redirect(safe_next(request.form.get("next")) or url_for("notifications.index"), code=303)
