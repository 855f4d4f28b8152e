"""Events → in-app notifications and e-mail, each exactly once per (event, recipient).

``notify`` renders the message in each recipient's language and adds the rows to the current
transaction; delivery of the e-mail happens in a worker job after commit. The unique key
(event_key, recipient) means that re-running the code that raised the event adds nothing.
"""

from __future__ import annotations

from flask import current_app, render_template
from flask_babel import force_locale
from jinja2_fragments.flask import render_block
from sqlalchemy import func, select, update

from portal.core import mail, queue
from portal.core.errors import NotFound
from portal.core.time import utcnow
from portal.extensions import db
from portal.notifications.models import Notification, OutboxMessage


def absolute(path: str) -> str:
    return current_app.config["BASE_URL"] + path


def notify(event_key: str, recipients, template: str, *, link: str = "", in_app: bool = True,
           email: bool = True, **context) -> None:
    """Tell ``recipients`` (users) about an event, in their language, once.

    ``template`` names ``templates/email/<template>.html`` (blocks ``subject``, ``notice`` and
    ``body``) and ``.txt`` (the plain-text part).
    """
    for user in recipients:
        with force_locale(user.locale or current_app.config["BABEL_DEFAULT_LOCALE"]):
            ctx = {"user": user, "link": absolute(link) if link else "", **context}
            html_name = f"email/{template}.html"
            if in_app and not _exists(Notification, event_key, Notification.user_id == user.id):
                notice = render_block(html_name, "notice", **ctx).strip()
                db.session.add(Notification(user_id=user.id, event_key=event_key, message=notice[:300],
                                            link=link))
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


def _exists(model, event_key: str, recipient_clause) -> bool:
    return db.session.scalar(
        select(model.id).where(model.event_key == event_key, recipient_clause)
    ) is not None


def claim(message_id: int) -> OutboxMessage | None:
    """Claim a pending outbox message for sending, or None if another run has it or it is sent.

    A conditional UPDATE, so two workers (or a job run twice) never both send one message.
    The caller commits the claim before the slow send."""
    claimed = db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.status == "pending")
        .values(status="sending", attempts=OutboxMessage.attempts + 1)
    ).rowcount
    return db.session.get(OutboxMessage, message_id) if claimed else None


def send(message: OutboxMessage) -> None:
    mail.send(mail.build_message(current_app.config["MAIL_FROM"], message.recipient, message.subject,
                                 message.text_body, message.html_body,
                                 f"<outbox-{message.id}@partner-portal>"))
    message.status = "sent"
    message.sent_at = utcnow()
    message.last_error = ""


def release(message: OutboxMessage, error: Exception) -> None:
    """Sending failed: put the message back so the retried job can claim it again."""
    message.status = "pending"
    message.last_error = str(error)[:500]


def pending_message_ids() -> list[int]:
    return list(db.session.scalars(select(OutboxMessage.id).where(OutboxMessage.status == "pending")))


def for_user(user):
    return select(Notification).where(Notification.user_id == user.id).order_by(
        Notification.created_at.desc(), Notification.id.desc())


def unread_count(user) -> int:
    return db.session.scalar(
        select(func.count()).select_from(Notification).where(
            Notification.user_id == user.id, Notification.read.is_(False))
    ) or 0


def mark_read(user, notification_id: int | None = None) -> int:
    """Mark one of the user's notifications read (or all when no id). Others' ids are not found."""
    stmt = update(Notification).where(Notification.user_id == user.id, Notification.read.is_(False))
    if notification_id is not None:
        if db.session.scalar(select(Notification.id).where(
                Notification.id == notification_id, Notification.user_id == user.id)) is None:
            raise NotFound("Notification not found.")
        stmt = stmt.where(Notification.id == notification_id)
    return db.session.execute(stmt.values(read=True)).rowcount
