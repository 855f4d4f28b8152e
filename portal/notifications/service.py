"""Events → in-app notifications and e-mail, each exactly once per (event, recipient).

``notify`` adds the rows to the current transaction; delivery of the e-mail happens in a worker job
after commit. The unique key (event_key, recipient) means that re-running the code that raised the event
adds nothing.

An e-mail is rendered when the event happens, in the recipient's language. An in-app notification keeps
the event instead — its template and its parameters as plain values (``notifications.params``) — and is
rendered when it is shown, in the reader's language at that time, escaped once by the page.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from flask import current_app, render_template
from flask_babel import force_locale, get_locale
from flask_babel import gettext as _
from jinja2 import TemplateError
from jinja2_fragments.flask import render_block
from markupsafe import Markup
from sqlalchemy import select, update

from portal.core import mail, queue
from portal.core.errors import NotFound
from portal.core.pagination import Page, paginate
from portal.core.time import utcnow
from portal.extensions import db
from portal.notifications.models import Notification, OutboxMessage
from portal.notifications.params import plain, restore

log = logging.getLogger(__name__)

NOTICE_MAX = 300  # characters of a notice shown in a list (the whole event is one click away)


def absolute(path: str) -> str:
    return current_app.config["BASE_URL"] + path


def notify(event_key: str, recipients, template: str, *, link: str = "", in_app: bool = True,
           email: bool = True, **context) -> None:
    """Tell ``recipients`` (users) about an event once: an e-mail in their language, and an in-app
    notification that keeps the event (``template`` and ``context`` as plain values) to be shown in the
    reader's language.

    ``template`` names ``templates/email/<template>.html`` (blocks ``subject``, ``notice`` and ``body``)
    and ``.txt`` (the plain-text part). The ``notice`` block must read only columns of the objects in
    ``context`` or plain values (see ``notifications.params``); in debug and tests a notice that would
    read differently from the stored parameters raises at once.
    """
    params = plain(context) if in_app else {}
    for user in recipients:
        locale = user.locale or current_app.config["BABEL_DEFAULT_LOCALE"]
        with force_locale(locale):
            # mail_lang: the HTML part's lang attribute (BCP 47), e.g. zh-Hans
            ctx = {"user": user, "link": absolute(link) if link else "",
                   "mail_lang": str(get_locale()).replace("_", "-"), **context}
            html_name = f"email/{template}.html"
            if in_app and not _exists(Notification, event_key, Notification.user_id == user.id):
                _check_stored_notice(html_name, ctx, params)
                db.session.add(Notification(user_id=user.id, event_key=event_key, template=template,
                                            params=params, message="", link=link))
            if email and not _exists(OutboxMessage, event_key, OutboxMessage.recipient == user.email):
                message = OutboxMessage(
                    event_key=event_key,
                    recipient=user.email,
                    subject=render_block(html_name, "subject", **ctx).strip()[:300],
                    html_body=render_template(html_name, **ctx),
                    text_body=render_template(f"email/{template}.txt", **ctx),
                )
                db.session.add(message)
                db.session.flush()
                queue.enqueue_after_commit(db.session, "jobs.mail.deliver", message.id)


def _check_stored_notice(html_name: str, ctx: dict, params: dict) -> None:
    """The notice rendered from the stored parameters must read like the one from the live objects (a
    notice block that follows a relationship would lose it). A mistake of the caller: raised in debug and
    tests, logged in production (the event itself must not fail)."""
    live = _plain_text(render_block(html_name, "notice", **ctx))
    stored = _plain_text(render_block(html_name, "notice", **{**ctx, **restore(params)}))
    if live != stored:
        problem = f"{html_name}: the notice reads {stored!r} from its stored parameters, {live!r} live"
        if current_app.debug or current_app.testing:
            raise ValueError(problem)
        log.error(problem)


def _plain_text(html: str) -> str:
    return Markup(html).striptags()


@dataclass(frozen=True)
class Notice:
    """A notification as the reader sees it: ``text`` is plain (the page escapes it)."""

    id: int
    text: str
    link: str
    read: bool
    created_at: datetime


def notice_text(notification: Notification, reader) -> str:
    """The notification in the current language, as plain text of at most ``NOTICE_MAX`` characters.

    Rows written before notifications kept their event (and any whose template is gone) show their stored
    text."""
    text = notification.message
    if notification.template:
        ctx = {"user": reader, "link": absolute(notification.link) if notification.link else "",
               "mail_lang": str(get_locale()).replace("_", "-"), **restore(notification.params or {})}
        try:
            text = _plain_text(render_block(f"email/{notification.template}.html", "notice", **ctx))
        except TemplateError:
            log.exception("notification %s: cannot render %s", notification.id, notification.template)
    text = " ".join(text.split())
    return text if len(text) <= NOTICE_MAX else text[:NOTICE_MAX - 1].rstrip() + "…"


def notices(reader, rows: list[Notification]) -> list[Notice]:
    return [Notice(n.id, notice_text(n, reader), n.link, n.read, n.created_at) for n in rows]


def page_of(reader, number: int, size: int = 25) -> Page:
    """One page of the reader's notifications, newest first, each rendered for the reader."""
    page = paginate(for_user(reader), number, size)
    return replace(page, items=notices(reader, page.items))


def _exists(model, event_key: str, recipient_clause) -> bool:
    return db.session.scalar(
        select(model.id).where(model.event_key == event_key, recipient_clause)
    ) is not None


# A message still 'sending' after this long belongs to a worker that died mid-send: claim it again.
# Longer than any send can take (SMTP timeouts are 30 s, RQ kills a job after 3 minutes).
STALE_CLAIM = timedelta(minutes=10)
# After this many failed sends (the job's retries, then the 5-minute sweep) a message is marked 'failed'
# and left alone: an address that bounces for hours should not be retried forever.
MAX_ATTEMPTS = 12


def _claimable(now):
    return ((OutboxMessage.status == "pending") | (
        (OutboxMessage.status == "sending") & (OutboxMessage.sent_at < now - STALE_CLAIM))) & (
        OutboxMessage.attempts < MAX_ATTEMPTS)


def claim(message_id: int) -> OutboxMessage | None:
    """Claim an outbox message for sending, or None if another run has it or it is sent.

    A conditional UPDATE, so two workers (or a job run twice) never both send one message.
    A claim older than ``STALE_CLAIM`` is taken over. The caller commits the claim before the
    slow send."""
    now = utcnow()
    claimed = db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id, _claimable(now))
        .values(status="sending", sent_at=now, attempts=OutboxMessage.attempts + 1)
    ).rowcount
    return db.session.get(OutboxMessage, message_id) if claimed else None


def send(message: OutboxMessage) -> None:
    mail.send(mail.build_message(current_app.config["MAIL_FROM"], message.recipient, message.subject,
                                 message.text_body, message.html_body, f"outbox-{message.id}"))
    message.status = "sent"
    message.sent_at = utcnow()
    message.last_error = ""


def release(message: OutboxMessage, error: Exception) -> None:
    """Sending failed: put the message back so the retried job can claim it again — or, after
    ``MAX_ATTEMPTS``, mark it 'failed' for good (logged with its last error)."""
    message.status = "failed" if message.attempts >= MAX_ATTEMPTS else "pending"
    message.sent_at = None
    message.last_error = f"{type(error).__name__}: {error}"[:500]
    if message.status == "failed":
        current_app.logger.error("outbox message %s to %s failed %s times, giving up: %s", message.id,
                                 message.recipient, message.attempts, message.last_error)


def pending_message_ids() -> list[int]:
    """Messages waiting to be sent, and those whose sender died mid-send."""
    return list(db.session.scalars(
        select(OutboxMessage.id).where(_claimable(utcnow())).order_by(OutboxMessage.id)))


def for_user(user):
    return select(Notification).where(Notification.user_id == user.id).order_by(
        Notification.created_at.desc(), Notification.id.desc())


def dashboard_panel(user, size: int = 5) -> list[Notice]:
    """The first screen's panel for everyone: the latest notifications, newest first."""
    return notices(user, list(db.session.scalars(for_user(user).limit(size))))


def mark_read(user, notification_id: int | None = None) -> int:
    """Mark one of the user's notifications read (or all when no id). Others' ids are not found."""
    stmt = update(Notification).where(Notification.user_id == user.id, Notification.read.is_(False))
    if notification_id is not None:
        if db.session.scalar(select(Notification.id).where(
                Notification.id == notification_id, Notification.user_id == user.id)) is None:
            raise NotFound(_("Notification not found."))
        stmt = stmt.where(Notification.id == notification_id)
    return db.session.execute(stmt.values(read=True)).rowcount
