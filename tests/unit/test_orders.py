"""Order rules: the auto-approval threshold, order numbers, the price snapshot and exact totals."""

from __future__ import annotations

from itertools import count

import pytest

from portal.catalogue.models import Category, Product, ProductTierPrice, Tier
from portal.orders import checkout, settings
from portal.orders.models import CartLine
from tests import factories

_serial = count()


def test_an_order_exactly_at_the_limit_is_approved():
    assert checkout.status_for(500000, 500000) == "approved"


def test_an_order_one_cent_above_the_limit_waits_for_approval():
    assert checkout.status_for(500001, 500000) == "submitted"


def test_order_numbers_are_human_friendly_and_zero_padded():
    assert checkout.order_number(123) == "ORD-000123"


def test_the_auto_approval_limit_defaults_to_5000_and_can_be_changed(db):
    assert settings.get_int("auto_approval_limit_cents") == 500000
    settings.set("auto_approval_limit_cents", 1234)
    assert settings.get_int("auto_approval_limit_cents") == 1234


def test_the_snapshot_keeps_tier_name_discount_and_exact_cents(db):
    tier = Tier(name=f"Unit Silver {next(_serial)}", rank=1, discount_bp=1250)
    cat = Category(name=f"Unit cat {next(_serial)}")
    db.session.add_all([tier, cat])
    db.session.flush()
    user = factories.partner_user(factories.PartnerFactory(tier_id=tier.id))
    plain = Product(sku=f"U-P{next(_serial)}", name="Plain", description="", category_id=cat.id,
                    list_price_cents=999, currency="USD", unit="each", stock_on_hand=50, min_order_qty=1, active=True)
    special = Product(sku=f"U-S{next(_serial)}", name="Special", description="", category_id=cat.id,
                      list_price_cents=2000, currency="USD", unit="each", stock_on_hand=50, min_order_qty=1,
                      active=True)
    db.session.add_all([plain, special])
    db.session.flush()
    db.session.add_all([ProductTierPrice(product_id=special.id, tier_id=tier.id, price_cents=1500),
                        CartLine(user_id=user.id, product_id=plain.id, quantity=7),
                        CartLine(user_id=user.id, product_id=special.id, quantity=3)])
    db.session.flush()
    lines = checkout.snapshot(user)
    # 9.99 × 0.875 = 8.74125 → 8.74 half-up; the tier price 15.00 wins over the discount
    assert [(ln.net_unit_cents, ln.total_cents, ln.tier_name, ln.discount_bp) for ln in lines] == [
        (874, 6118, tier.name, 1250), (1500, 4500, tier.name, 0)]
    assert sum(ln.total_cents for ln in lines) == 10618
    assert all(isinstance(ln.total_cents, int) for ln in lines)


@pytest.mark.parametrize("key", ["", "x", "not a key!", "a" * 65])
def test_a_missing_or_odd_idempotency_key_is_refused(app, db, key):
    from portal.core.errors import Invalid

    user = factories.partner_user(factories.PartnerFactory())
    with app.test_request_context(), pytest.raises(Invalid):
        checkout.place(user, {"idempotency_key": key}, today=None)


def test_the_demo_seed_gives_each_demo_partner_an_address_and_its_demo_orders_once(db):
    from sqlalchemy import func, select

    from portal import demo
    from portal.orders.models import Order, ShippingAddress
    from portal.partners.models import Partner

    demo.seed()
    demo.seed()
    for name in demo.DEMO_ADDRESSES:
        partner_id = db.session.scalar(select(Partner.id).where(Partner.name == name))
        orders = db.session.scalars(select(Order).where(Order.partner_id == partner_id)).all()
        assert len(orders) == len(demo.DEMO_ORDERS)
        assert all(o.total_cents > 0 and o.number.startswith("ORD-") for o in orders)
        assert db.session.scalar(select(func.count()).select_from(ShippingAddress)
                                 .where(ShippingAddress.partner_id == partner_id)) == 1
