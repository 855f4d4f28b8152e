"""The resource library: vendor staff publish files or links for an audience; partners list, search and
download the resources of their audience only.

Rules:
- ``visible_resources`` is the one read path: active resources whose audience (partner types and tiers)
  includes the reader's company; vendor staff see all. Any other id — listing, page or download — is
  NotFound (404), so a direct link to another audience's file reveals nothing.
- A resource is a file (PDF, PNG, JPEG ≤ 10 MB, ``portal.training.attachments``) or an http(s) link.
  A new version replaces the current file or link and keeps the previous one in ``resource_versions``.
- Downloads are counted by a worker (a GET writes nothing): ``jobs.training.count_download``.
"""

from __future__ import annotations

import re
import uuid

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select, update

from portal.catalogue.models import Tier
from portal.core import audit, queue
from portal.core.errors import Forbidden, Invalid, NotFound
from portal.core.pagination import Page, paginate
from portal.core.permissions import Permission
from portal.core.time import utcnow
from portal.extensions import db
from portal.partners.models import PartnerType
from portal.partners.service import take_text
from portal.resources.models import Resource, ResourceVersion
from portal.training import attachments, audience
from portal.training.links import clean_url

CATEGORIES = {
    "marketing": _l("Marketing materials"), "sales_tool": _l("Sales tools"), "case_study": _l("Case studies"),
    "price_list": _l("Price lists"), "datasheet": _l("Datasheets"),
}


def _reader(actor) -> None:
    if not (actor.can(Permission.TAKE_COURSES) or actor.can(Permission.MANAGE_RESOURCES)):
        raise Forbidden(_("You do not have permission to do that."))


def _manager(actor) -> None:
    if not actor.can(Permission.MANAGE_RESOURCES):
        raise Forbidden(_("You do not have permission to do that."))


def visible_resources(actor):
    _reader(actor)
    if actor.can(Permission.MANAGE_RESOURCES):
        return select(Resource)
    return select(Resource).where(Resource.active.is_(True),
                                  audience.includes(actor, Resource.audience_types, Resource.audience_tiers))


def library(actor, q: str = "", category: str = "", number: int = 1, size: int = 25) -> Page:
    """A page of the library, title order; ``q`` searches titles and descriptions."""
    stmt = visible_resources(actor)
    if q:
        stmt = stmt.where(or_(Resource.title.icontains(q, autoescape=True),
                              Resource.description.icontains(q, autoescape=True)))
    if category in CATEGORIES:
        stmt = stmt.where(Resource.category == category)
    return paginate(stmt.order_by(Resource.title, Resource.id), number, size)


def get_resource(actor, resource_id: int) -> Resource:
    found = db.session.scalar(visible_resources(actor).where(Resource.id == resource_id))
    if found is None:
        raise NotFound(_("Resource not found."))
    return found


def versions_of(resource: Resource) -> list[ResourceVersion]:
    return list(db.session.scalars(select(ResourceVersion).where(ResourceVersion.resource_id == resource.id)
                                   .order_by(ResourceVersion.version.desc())))


def note_download(resource: Resource) -> None:
    """Have a worker add one to the resource's download count (may fail silently: a count, not data)."""
    queue.enqueue_once(f"resource-download:{resource.id}:{uuid.uuid4().hex}", 60, "jobs.training.count_download",
                       resource.id)


def count_download(resource_id: int) -> None:
    db.session.execute(update(Resource).where(Resource.id == resource_id)
                       .values(download_count=Resource.download_count + 1).execution_options(synchronize_session=False))


def save_resource(actor, data: dict, upload: tuple[bytes, str | None] | None,
                  resource_id: int | None = None) -> tuple[Resource, str | None]:
    """Create a resource or publish a new version of one (a new file or link; the previous stays in the
    history). Title and category are required; a new resource needs a file or a link, not both.
    Returns the resource and nothing to discard (files of old versions are kept as history)."""
    _manager(actor)
    resource = get_resource(actor, resource_id) if resource_id else None
    errors: dict[str, list[str]] = {}
    title = take_text(data, "title", 160, errors, missing=_("Enter the title."))
    description = take_text(data, "description", 2000, errors, multiline=True)
    category = data.get("category") or ""
    if category not in CATEGORIES:
        errors["category"] = [_("Choose a category.")]
    types = [t for t in data.get("audience_types", []) if t]
    if any(t not in set(PartnerType) for t in types):
        errors["audience_types"] = [_("Choose partner types from the list.")]
    tiers = [t for t in data.get("audience_tiers", []) if t]
    known = {str(i) for i in db.session.scalars(select(Tier.id))}
    if any(str(t) not in known for t in tiers):
        errors["audience_tiers"] = [_("Choose tiers from the list.")]
    url = clean_url(data, "url", errors)
    note = take_text(data, "note", 300, errors)
    if upload and url:
        errors["url"] = [_("Give a file or a link, not both.")]
    elif resource is None and not upload and not url and "url" not in errors:
        errors["file"] = [_("Upload a file or enter a link.")]
    stored = None
    if not errors and upload:
        stored = attachments.store("file", upload[0], upload[1])  # Invalid next to "file" when refused
    if errors:
        raise Invalid(errors)
    now = utcnow()
    if resource is None:
        resource = Resource(version=0, created_at=now)
        db.session.add(resource)
    resource.title, resource.description, resource.category = title, description, category
    resource.audience_types, resource.audience_tiers = audience.pack(types), audience.pack(tiers)
    resource.updated_at = now
    if stored or url:
        resource.version = (resource.version or 0) + 1
        resource.url = url
        resource.file_key, resource.file_name, resource.file_type = (
            (stored.key, stored.name, stored.content_type) if stored else (None, None, None))
        db.session.flush()
        db.session.add(ResourceVersion(resource_id=resource.id, version=resource.version, url=url,
                                       file_key=resource.file_key, file_name=resource.file_name,
                                       file_type=resource.file_type, note=note, created_by=actor.id))
    db.session.flush()
    audit.record(actor, "resource.saved", resource, summary=f"{title} v{resource.version}")
    return resource, None


def set_active(actor, resource_id: int, active: bool) -> Resource:
    _manager(actor)
    resource = get_resource(actor, resource_id)
    resource.active = active
    db.session.flush()
    return resource


# --- a product's related resources may be library resources ------------------------------------------------

_RESOURCE_PATH = re.compile(r"/resources/(\d{1,18})")


def resource_of_link(url: str) -> int | None:
    """The library resource a product link's address points at (``/resources/<id>``), or None; NotFound-free:
    an unknown id is Invalid next to the link's address."""
    match = _RESOURCE_PATH.fullmatch(url or "")
    if match is None:
        return None
    resource_id = int(match.group(1))
    if db.session.get(Resource, resource_id) is None:
        raise Invalid({"url": [_("There is no such resource in the library.")]})
    return resource_id


def visible_links(actor, links: list) -> list:
    """A product's links as ``actor`` may see them: a link to a library resource only when the resource is in
    their audience (one query); other links as they are."""
    wanted = {link.resource_id for link in links if link.resource_id}
    if not wanted:
        return links
    if actor.can(Permission.MANAGE_RESOURCES):
        allowed = wanted
    elif actor.can(Permission.TAKE_COURSES):
        allowed = set(db.session.scalars(visible_resources(actor).with_only_columns(Resource.id)
                                         .where(Resource.id.in_(wanted))))
    else:
        allowed = set()
    return [link for link in links if not link.resource_id or link.resource_id in allowed]
