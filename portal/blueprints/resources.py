"""The resource library: partners list, search and download the resources of their audience; vendor staff
with MANAGE_RESOURCES add resources and publish new versions."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from portal.catalogue.models import Tier
from portal.core.errors import NotFound
from portal.core.forms import status, submit
from portal.core.htmx import redirect_to, render
from portal.core.pagination import page_number
from portal.core.permissions import Permission, require
from portal.extensions import db
from portal.pages import conditional
from portal.partners.models import Partner
from portal.resources import service
from portal.resources.models import Resource, ResourceVersion
from portal.training import attachments
from portal.training.audience import unpack
from portal.training.forms import ResourceForm, choices

bp = Blueprint("resources", __name__, url_prefix="/resources")


@bp.app_template_filter("resource_category")
def _category(category: str) -> str:
    return str(service.CATEGORIES.get(category, category))


@bp.get("/")
@require()
@conditional(Resource, Partner)  # Partner: the audience (type, tier)
def index():
    args = {k: request.args.get(k, "").strip()[:100] for k in ("q", "category")}
    page = service.library(current_user, args["q"], args["category"], page_number())
    return render("resources/index.html", "results", page=page, filters=args, categories=service.CATEGORIES)


@bp.get("/<id:resource_id>")
@require()
def show(resource_id: int):
    resource = service.get_resource(current_user, resource_id)
    versions = service.versions_of(resource) if current_user.can(Permission.MANAGE_RESOURCES) else []
    return render("resources/show.html", resource=resource, versions=versions)


@bp.get("/<id:resource_id>/download")
@require()
def download(resource_id: int):
    resource = service.get_resource(current_user, resource_id)  # another audience's resource → 404
    if resource.file_key:
        response = attachments.serve(resource.file_key, resource.file_type, resource.file_name)
    elif resource.url:
        response = redirect(resource.url)
    else:
        raise NotFound(_("There is no such file."))
    service.note_download(resource)
    return response


@bp.get("/<id:resource_id>/versions/<id:version>")
@require(Permission.MANAGE_RESOURCES)
def old_version(resource_id: int, version: int):
    resource = service.get_resource(current_user, resource_id)
    found = db.session.scalar(select(ResourceVersion).where(ResourceVersion.resource_id == resource.id,
                                                            ResourceVersion.version == version))
    if found is None or not (found.file_key or found.url):
        raise NotFound(_("There is no such file."))
    if not found.file_key:
        return redirect(found.url)
    return attachments.serve(found.file_key, found.file_type, found.file_name)


def _form(resource: Resource | None = None) -> ResourceForm:
    if resource is not None and request.method == "GET":
        form = ResourceForm(obj=resource)
        form.url.data = ""
        form.audience_types.data = unpack(resource.audience_types)
        form.audience_tiers.data = unpack(resource.audience_tiers)
    else:
        form = ResourceForm()
    form.category.choices = choices(service.CATEGORIES.items())
    form.audience_tiers.choices = choices(db.session.execute(select(Tier.id, Tier.name).order_by(Tier.rank)))
    return form


def _save(form: ResourceForm, resource_id: int | None):
    upload = request.files.get("file")
    data = (upload.read(attachments.MAX_BYTES + 1), upload.filename) if upload and upload.filename else None
    return submit(form, lambda: service.save_resource(current_user, form.data, data, resource_id)[0])


@bp.route("/new", methods=["GET", "POST"])
@require(Permission.MANAGE_RESOURCES)
def manage():
    form = _form()
    if (resource := _save(form, None)) is not None:
        flash(_("Resource %(title)s is published.", title=resource.title), "success")
        return redirect_to(url_for("resources.show", resource_id=resource.id))
    return render("resources/form.html", status=status(form), form=form, resource=None)


@bp.route("/<id:resource_id>/edit", methods=["GET", "POST"])
@require(Permission.MANAGE_RESOURCES)
def edit(resource_id: int):
    resource = service.get_resource(current_user, resource_id)
    form = _form(resource)
    if _save(form, resource.id) is not None:
        flash(_("Resource %(title)s is saved.", title=resource.title), "success")
        return redirect_to(url_for("resources.show", resource_id=resource.id))
    return render("resources/form.html", status=status(form), form=form, resource=resource)
