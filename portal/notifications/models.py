"""In-app notifications and the e-mail outbox."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from portal.core.time import UTCDateTime, utcnow
from portal.extensions import db


class Notification(db.Model):
    """An event told to one user in the portal: ``template`` (``templates/email/<template>.html``, block
    ``notice``) and its ``params`` (plain values, ``notifications.params``) render it in the reader's
    language when shown. ``message`` is plain text kept for rows from before events were kept."""

    __tablename__ = "notifications"
    __table_args__ = (
        UniqueConstraint("event_key", "user_id"),
        Index("ix_notifications_user_read", "user_id", "read"),
        Index("ix_notifications_user_created", "user_id", "created_at", "id"),  # the list's order
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    event_key: Mapped[str] = mapped_column(String(120))
    template: Mapped[str] = mapped_column(String(60), default="")
    params: Mapped[dict | None] = mapped_column(JSON)
    message: Mapped[str] = mapped_column(String(300), default="")
    link: Mapped[str] = mapped_column(String(300), default="")
    read: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class OutboxMessage(db.Model):
    """One e-mail for one event and one recipient: the unique key makes a second send impossible."""

    __tablename__ = "outbox_messages"
    __table_args__ = (UniqueConstraint("event_key", "recipient"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_key: Mapped[str] = mapped_column(String(120))
    recipient: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(300))
    text_body: Mapped[str] = mapped_column(Text)
    html_body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), default="pending", index=True)  # pending|sending|sent|failed
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # When the current send attempt started (status "sending": a claim older than
    # service.STALE_CLAIM is taken over) or when the message went out (status "sent").
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
