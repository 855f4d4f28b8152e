"""Price book: tiers (discounts), categories, products, product-specific tier prices and the links to a
product's related resources."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, CheckConstraint, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core.time import UTCDateTime, utcnow
from portal.extensions import db


class Tier(db.Model):
    """A partner tier; ``discount_bp`` is in basis points (1000 = 10.00 %). ``rank`` orders the tiers (higher is
    better); a partner qualifies for a tier when both requirements are met (portal.partners.tiers)."""

    __tablename__ = "tiers"
    __table_args__ = (CheckConstraint("discount_bp >= 0 AND discount_bp <= 10000", name="discount_range"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(60), unique=True)
    rank: Mapped[int] = mapped_column(Integer, default=0)
    discount_bp: Mapped[int] = mapped_column(Integer, default=0)
    min_revenue_cents: Mapped[int] = mapped_column(BigInteger, default=0)  # trailing-12-month revenue
    min_certified: Mapped[int] = mapped_column(Integer, default=0)  # currently certified people


class Category(db.Model):
    __tablename__ = "categories"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)


class Product(db.Model):
    __tablename__ = "products"
    __table_args__ = (
        CheckConstraint("stock_on_hand >= 0", name="stock_not_negative"),
        CheckConstraint("min_order_qty >= 1", name="moq_positive"),
        CheckConstraint("list_price_cents >= 0", name="list_price_not_negative"),
        Index("ix_products_category_name", "category_id", "name", "id"),  # category filter, name order
        Index("ix_products_name_id", "name", "id"),  # the list's default order
        Index("ix_products_created_id", "created_at", "id"),  # newest first
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    sku: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id"))
    list_price_cents: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    unit: Mapped[str] = mapped_column(String(20), default="each")
    stock_on_hand: Mapped[int] = mapped_column(Integer, default=0)
    min_order_qty: Mapped[int] = mapped_column(Integer, default=1)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # uploaded files live in the instance folder (never under static); the key is the stored file's name
    image_key: Mapped[str | None] = mapped_column(String(80), nullable=True)
    image_type: Mapped[str | None] = mapped_column(String(40), nullable=True)
    datasheet_key: Mapped[str | None] = mapped_column(String(80), nullable=True)
    datasheet_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    datasheet_type: Mapped[str | None] = mapped_column(String(40), nullable=True)

    category = relationship(Category, lazy="raise")


class ProductTierPrice(db.Model):
    """A product's fixed price for one tier; it wins over the tier's discount."""

    __tablename__ = "product_tier_prices"
    __table_args__ = (
        UniqueConstraint("product_id", "tier_id"),
        CheckConstraint("price_cents >= 0", name="price_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"))
    tier_id: Mapped[int] = mapped_column(ForeignKey("tiers.id", ondelete="CASCADE"), index=True)
    price_cents: Mapped[int] = mapped_column(Integer)


class ProductLink(db.Model):
    """A related resource shown on a product's page: an installation guide, a case study, a video — a
    web address (http or https) or a page of the portal (a path), with the title partners see."""

    __tablename__ = "product_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(120))
    url: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # a resource of the library (portal.resources): the product page links to it for readers in its audience
    resource_id: Mapped[int | None] = mapped_column(ForeignKey("resources.id", ondelete="SET NULL"), index=True)
