"""Cart lines (one row per user and product), orders with their snapshotted lines and timeline, settings."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, CheckConstraint, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from portal.core.time import UTCDateTime, utcnow
from portal.extensions import db


class CartLine(db.Model):
    """A product in a partner user's cart. Prices are not stored: the cart shows the current net price."""

    __tablename__ = "cart_lines"
    __table_args__ = (
        UniqueConstraint("user_id", "product_id"),  # also the index for "this user's cart"
        CheckConstraint("quantity > 0", name="quantity_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"), index=True)
    quantity: Mapped[int] = mapped_column(Integer)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Setting(db.Model):
    """A vendor-wide setting (e.g. ``auto_approval_limit_cents``), stored as text."""

    __tablename__ = "settings"

    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    value: Mapped[str] = mapped_column(String(500))


class ShippingAddress(db.Model):
    """A partner's saved delivery address."""

    __tablename__ = "shipping_addresses"

    id: Mapped[int] = mapped_column(primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id", ondelete="CASCADE"), index=True)
    label: Mapped[str] = mapped_column(String(80))
    lines: Mapped[str] = mapped_column(String(300))
    city: Mapped[str] = mapped_column(String(100))
    postcode: Mapped[str] = mapped_column(String(20))
    country: Mapped[str] = mapped_column(String(60))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def text(self) -> str:
        return "\n".join(part for part in (self.label, self.lines, f"{self.postcode} {self.city}".strip(),
                                           self.country) if part)


class Order(db.Model):
    """A placed order; its lines carry the prices as they were when it was placed."""

    __tablename__ = "orders"
    __table_args__ = (
        UniqueConstraint("placed_by", "idempotency_key"),
        CheckConstraint("total_cents >= 0", name="total_not_negative"),
        Index("ix_orders_partner_created", "partner_id", "created_at", "id"),
        Index("ix_orders_partner_status_created", "partner_id", "status", "created_at", "id"),  # ... by status
        Index("ix_orders_status_created", "status", "created_at", "id"),  # the vendor queue, oldest first
        Index("ix_orders_created", "created_at", "id"),  # the vendor's list of all orders, newest first
        Index("ix_orders_po_number", "po_number"),  # ... and its lookup by PO number
        Index("ix_orders_partner_delivered", "partner_id", "delivered_at"),  # revenue (portal.partners.tiers)
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str | None] = mapped_column(String(30), unique=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id", ondelete="CASCADE"))
    placed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    idempotency_key: Mapped[str] = mapped_column(String(64))
    po_number: Mapped[str] = mapped_column(String(40))
    shipping_address: Mapped[str] = mapped_column(Text)
    requested_date: Mapped[date] = mapped_column(Date)
    notes: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20), default="submitted")
    currency: Mapped[str] = mapped_column(String(3))
    total_cents: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    shipped_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    carrier: Mapped[str] = mapped_column(String(60), default="")
    tracking_number: Mapped[str] = mapped_column(String(100), default="")
    # the processing-time KPI, stored when each step happens: seconds from submission to approval / shipping
    approval_seconds: Mapped[int | None] = mapped_column(Integer, nullable=True)
    shipping_seconds: Mapped[int | None] = mapped_column(Integer, nullable=True)


class OrderLine(db.Model):
    __tablename__ = "order_lines"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="order_quantity_positive"),
        Index("ix_order_lines_sku_order", "sku", "order_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    product_id: Mapped[int | None] = mapped_column(ForeignKey("products.id", ondelete="SET NULL"))
    sku: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    quantity: Mapped[int] = mapped_column(Integer)
    list_price_cents: Mapped[int] = mapped_column(BigInteger)
    net_unit_cents: Mapped[int] = mapped_column(BigInteger)
    tier_name: Mapped[str] = mapped_column(String(60), default="")
    discount_bp: Mapped[int] = mapped_column(Integer, default=0)
    line_total_cents: Mapped[int] = mapped_column(BigInteger)


class OrderEvent(db.Model):
    """One step of an order's status timeline (``from_status`` is empty for the first)."""

    __tablename__ = "order_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    from_status: Mapped[str] = mapped_column(String(20), default="")
    to_status: Mapped[str] = mapped_column(String(20))
    note: Mapped[str] = mapped_column(String(500), default="")


class ReturnRequest(db.Model):
    """A partner's request to return some or all delivered quantities of an order, with a reason.

    ``status``: requested → accepted (a credit is made) or declined.
    """

    __tablename__ = "order_returns"
    __table_args__ = (Index("ix_order_returns_status_created", "status", "created_at", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str | None] = mapped_column(String(30), unique=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id", ondelete="CASCADE"), index=True)
    requested_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="requested")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decision_note: Mapped[str] = mapped_column(String(500), default="")


class ReturnLine(db.Model):
    __tablename__ = "order_return_lines"
    __table_args__ = (CheckConstraint("quantity > 0", name="return_quantity_positive"),
                      UniqueConstraint("return_id", "order_line_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    return_id: Mapped[int] = mapped_column(ForeignKey("order_returns.id", ondelete="CASCADE"))
    order_line_id: Mapped[int] = mapped_column(ForeignKey("order_lines.id", ondelete="CASCADE"), index=True)
    quantity: Mapped[int] = mapped_column(Integer)


class Credit(db.Model):
    """Money owed back to a partner for an accepted return; rebates subtract credits from revenue."""

    __tablename__ = "credits"
    __table_args__ = (CheckConstraint("total_cents >= 0", name="credit_total_not_negative"),
                      Index("ix_credits_partner_created", "partner_id", "created_at", "id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str | None] = mapped_column(String(30), unique=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id", ondelete="CASCADE"))
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    return_id: Mapped[int] = mapped_column(ForeignKey("order_returns.id", ondelete="CASCADE"), unique=True)
    currency: Mapped[str] = mapped_column(String(3))
    total_cents: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CreditLine(db.Model):
    """One credited order line: the returned quantity at the line's snapshotted net unit price."""

    __tablename__ = "credit_lines"
    __table_args__ = (CheckConstraint("quantity > 0", name="credit_quantity_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    credit_id: Mapped[int] = mapped_column(ForeignKey("credits.id", ondelete="CASCADE"), index=True)
    order_line_id: Mapped[int | None] = mapped_column(ForeignKey("order_lines.id", ondelete="SET NULL"))
    sku: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    quantity: Mapped[int] = mapped_column(Integer)
    net_unit_cents: Mapped[int] = mapped_column(BigInteger)
    line_total_cents: Mapped[int] = mapped_column(BigInteger)
