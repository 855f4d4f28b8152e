"""The signed-in home page: each area's "what to do next" panel for the user's role."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask import Blueprint
from flask_login import current_user

from portal.accounts import dashboard as accounts
from portal.announcements import service as announcements
from portal.core.htmx import render
from portal.core.permissions import public, require
from portal.deals import dashboard as deals
from portal.mdf import dashboard as mdf
from portal.notifications import service as notifications
from portal.orders import dashboard as orders
from portal.partners import dashboard as partners
from portal.rebates import statements as rebate_statements
from portal.training import dashboard as training

bp = Blueprint("main", __name__)


@dataclass(frozen=True)
class Panel:
    """One area's panel on the first screen. ``load(actor)`` is the area's service function: what the
    panel shows for this user (scoped like the rest of the area), or None when the panel is not for them.
    ``template`` (``templates/<area>/_dashboard.html``) renders it as ``panel``."""

    template: str
    load: Callable[[object], object | None]


# In the order they appear. A new area adds its line here and its ``_dashboard.html``.
PANELS: tuple[Panel, ...] = (
    Panel("orders/_dashboard.html", orders.partner_panel),
    Panel("order_queue/_dashboard.html", orders.reviewer_panel),
    Panel("users/_dashboard.html", accounts.admin_panel),
    Panel("partners/_dashboard.html", partners.dashboard_panel),
    Panel("notifications/_dashboard.html", notifications.dashboard_panel),
    Panel("training/_dashboard.html", training.dashboard_panel),
    Panel("announcements/_dashboard.html", announcements.dashboard_panel),
    Panel("deals/_dashboard.html", deals.partner_panel),
    Panel("deal_review/_dashboard.html", deals.reviewer_panel),
    Panel("rebates/_dashboard.html", rebate_statements.dashboard_panel),
    Panel("mdf/_dashboard.html", mdf.dashboard_panel),
)


@bp.get("/")
@require()
def dashboard():
    user = current_user._get_current_object()
    panels = [(p.template, data) for p in PANELS if (data := p.load(user)) is not None]
    return render("main/dashboard.html", panels=panels)


@bp.get("/healthz")
@public
def healthz():
    return {"status": "ok"}
