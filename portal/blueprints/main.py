"""The signed-in home page."""

from __future__ import annotations

from flask import Blueprint
from flask_login import current_user

from portal.core.htmx import render
from portal.core.pagination import paginate
from portal.core.permissions import public, require
from portal.notifications import service as notifications

bp = Blueprint("main", __name__)


@bp.get("/")
@require()
def dashboard():
    latest = paginate(notifications.for_user(current_user), 1, 5)
    return render("main/dashboard.html", latest=latest.items)


@bp.get("/healthz")
@public
def healthz():
    return {"status": "ok"}
