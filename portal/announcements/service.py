"""Announcements: admins and trainers post news to every partner or a segment (partner types, tiers,
regions), optionally pinned and with an expiry.

- Readers: partner people whose company is in the segment see it until it expires (vendor staff see all);
  any other id is NotFound. The dashboard panel lists pinned ones first, then the newest, with unread state.
- E-mail: after the post commits, a worker e-mails every active person of the segment once
  (``notify`` keys the outbox message by announcement and recipient), each in their own language.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import and_, or_, select

from portal.accounts.models import User
from portal.announcements.models import Announcement, AnnouncementRead
from portal.catalogue.models import Tier
from portal.core import audit, queue
from portal.core.errors import Forbidden, Invalid, NotFound
from portal.core.permissions import PARTNER_ROLES, Permission
from portal.core.time import DayError, day_end, parse_day, utcnow
from portal.extensions import db
from portal.partners.models import Partner, PartnerStatus, PartnerType
from portal.partners.service import take_text
from portal.training import audience

PANEL_SIZE = 5


def _poster(actor) -> None:
    if not actor.can(Permission.POST_ANNOUNCEMENTS):
        raise Forbidden(_("You do not have permission to do that."))


def visible(actor, at: datetime | None = None):
    """Announcements ``actor`` may read: vendor staff all; partner people those of their segment, unexpired."""
    stmt = select(Announcement)
    if actor.is_vendor:
        return stmt
    at = at or utcnow()
    return stmt.where(or_(Announcement.expires_at.is_(None), Announcement.expires_at > at),
                      audience.includes(actor, Announcement.audience_types, Announcement.audience_tiers,
                                        Announcement.audience_regions))


def regions() -> list[str]:
    return list(db.session.scalars(select(Partner.region).distinct().order_by(Partner.region)))


def post(actor, data: dict, tz_name: str = "UTC") -> Announcement:
    """Post an announcement: title (required), Markdown body, segment (none chosen = every partner), pin,
    optional expiry day (the end of that day in the poster's zone; not in the past). E-mailed after commit."""
    _poster(actor)
    errors: dict[str, list[str]] = {}
    title = take_text(data, "title", 160, errors, missing=_("Enter the title."))
    body = take_text(data, "body", 20_000, errors, multiline=True)
    types = [t for t in data.get("audience_types", []) if t]
    if any(t not in set(PartnerType) for t in types):
        errors["audience_types"] = [_("Choose partner types from the list.")]
    tiers = [t for t in data.get("audience_tiers", []) if t]
    if any(str(t) not in {str(i) for i in db.session.scalars(select(Tier.id))} for t in tiers):
        errors["audience_tiers"] = [_("Choose tiers from the list.")]
    chosen_regions = [r for r in data.get("audience_regions", []) if r]
    if any(r not in set(regions()) for r in chosen_regions):
        errors["audience_regions"] = [_("Choose regions from the list.")]
    expires_at = None
    try:
        day = parse_day(data.get("expires_on") or "")
    except DayError as exc:
        errors["expires_on"] = [str(exc)]
        day = None
    if day is not None:
        expires_at = day_end(day, tz_name)
        if expires_at <= utcnow():
            errors["expires_on"] = [_("Choose a day that has not passed.")]
    if errors:
        raise Invalid(errors)
    item = Announcement(title=title, body=body, audience_types=audience.pack(types),
                        audience_tiers=audience.pack(tiers), audience_regions=audience.pack(chosen_regions),
                        pinned=bool(data.get("pinned")), expires_at=expires_at, posted_by=actor.id)
    db.session.add(item)
    db.session.flush()
    audit.record(actor, "announcement.posted", item, summary=title)
    queue.enqueue_after_commit(db.session, "jobs.training.send_announcement", item.id)
    return item


def recipients(item: Announcement) -> list[User]:
    """Active partner people of the announcement's segment (terminated partners' people excluded)."""
    stmt = (select(User).join(Partner, Partner.id == User.partner_id)
            .where(User.active.is_(True), User.role.in_([r.value for r in PARTNER_ROLES]),
                   Partner.status != PartnerStatus.TERMINATED))
    if item.audience_types:
        stmt = stmt.where(Partner.type.in_(audience.unpack(item.audience_types)))
    if item.audience_tiers:
        stmt = stmt.where(Partner.tier_id.in_([int(t) for t in audience.unpack(item.audience_tiers)]))
    if item.audience_regions:
        stmt = stmt.where(Partner.region.in_(audience.unpack(item.audience_regions)))
    return list(db.session.scalars(stmt.order_by(User.id)))


def deliver(announcement_id: int) -> int:
    """E-mail the announcement to its recipients, once each (running it again sends nothing new)."""
    from portal.notifications.service import notify

    item = db.session.get(Announcement, announcement_id)
    if item is None:
        return 0
    people = recipients(item)
    notify(f"announcement-{item.id}", people, "announcement", link=f"/announcements/{item.id}", in_app=False,
           announcement=item)
    return len(people)


def get(actor, announcement_id: int) -> Announcement:
    found = db.session.scalar(visible(actor).where(Announcement.id == announcement_id))
    if found is None:
        raise NotFound(_("Announcement not found."))
    return found


@dataclass(frozen=True)
class Item:
    announcement: Announcement
    unread: bool


def listing(actor, limit: int = 50) -> list[Item]:
    """Pinned first, then newest, with the reader's unread state, in one query."""
    rows = db.session.execute(
        visible(actor).add_columns(AnnouncementRead.user_id)
        .outerjoin(AnnouncementRead, and_(AnnouncementRead.announcement_id == Announcement.id,
                                          AnnouncementRead.user_id == actor.id))
        .order_by(Announcement.pinned.desc(), Announcement.posted_at.desc(), Announcement.id.desc()).limit(limit))
    return [Item(a, reader is None) for a, reader in rows]


def mark_read(actor, announcement_id: int) -> Announcement:
    item = get(actor, announcement_id)
    exists = db.session.scalar(select(AnnouncementRead.user_id).where(
        AnnouncementRead.announcement_id == item.id, AnnouncementRead.user_id == actor.id))
    if exists is None:
        db.session.add(AnnouncementRead(announcement_id=item.id, user_id=actor.id))
        db.session.flush()
    return item


@dataclass(frozen=True)
class Panel:
    items: list[Item]
    unread: int


def dashboard_panel(actor) -> Panel | None:
    """Everyone's panel: the latest announcements for them (pinned first) and how many are unread."""
    items = listing(actor, PANEL_SIZE)
    if not items and not actor.can(Permission.POST_ANNOUNCEMENTS):
        return None
    return Panel(items, sum(1 for i in items if i.unread))
