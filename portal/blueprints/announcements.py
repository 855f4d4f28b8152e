"""Announcements: admins and trainers post news; everyone reads what is for them and marks it read."""

from __future__ import annotations

from flask import Blueprint, flash, url_for
from flask_babel import get_timezone
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from portal.announcements import service
from portal.announcements.models import Announcement, AnnouncementRead
from portal.catalogue.models import Tier
from portal.core.forms import status, submit
from portal.core.htmx import is_htmx, redirect_to, render
from portal.core.permissions import Permission, require
from portal.extensions import db
from portal.pages import conditional
from portal.partners.models import Partner
from portal.training.forms import ActionForm, AnnouncementForm, choices

bp = Blueprint("announcements", __name__, url_prefix="/announcements")


@bp.get("/")
@require()
@conditional(Announcement, AnnouncementRead, Partner, per_minute=True)  # expiry by the minute; audience
def index():
    return render("announcements/index.html", items=service.listing(current_user, 100), form=ActionForm())


@bp.get("/<id:announcement_id>")
@require()
def show(announcement_id: int):
    item = service.get(current_user, announcement_id)
    return render("announcements/show.html", item=item, form=ActionForm())


@bp.post("/<id:announcement_id>/read")
@require()
def read(announcement_id: int):
    item = submit(ActionForm(), lambda: service.mark_read(current_user, announcement_id))
    if is_htmx() and item is not None:
        return render("announcements/_read.html")
    return redirect_to(url_for("announcements.show", announcement_id=announcement_id))


def _form() -> AnnouncementForm:
    form = AnnouncementForm()
    form.audience_tiers.choices = choices(db.session.execute(select(Tier.id, Tier.name).order_by(Tier.rank)))
    form.audience_regions.choices = choices((r, r) for r in service.regions())
    return form


@bp.route("/new", methods=["GET", "POST"])
@require(Permission.POST_ANNOUNCEMENTS)
def manage():
    form = _form()
    item = submit(form, lambda: service.post(current_user, form.data, str(get_timezone())))
    if item is not None:
        flash(_("The announcement is posted; its e-mails are on their way."), "success")
        return redirect_to(url_for("announcements.show", announcement_id=item.id))
    return render("announcements/form.html", status=status(form), form=form)
