"""Demo data: the accounts the README lists, and (``--scale large``) volume for `make bench`.

Idempotent: rows are looked up by natural key (e-mail, partner name) before being created, so
running the seed twice changes nothing.
"""

from __future__ import annotations

import random
from datetime import timedelta

from sqlalchemy import func, insert, select

from portal.accounts.models import User, new_session_token
from portal.accounts.passwords import hash_password
from portal.catalogue.models import Category, Product, ProductTierPrice, Tier
from portal.core.audit import AuditEntry
from portal.core.permissions import Role
from portal.core.time import utcnow
from portal.extensions import db
from portal.notifications.models import Notification
from portal.notifications.service import notify
from portal.partners.models import Partner

DEMO_PASSWORD = "portal-demo"

VENDOR = [
    ("admin@demo.test", "Ada Admin", Role.ADMIN),
    ("manager@demo.test", "Max Manager", Role.CHANNEL_MANAGER),
    ("trainer@demo.test", "Tess Trainer", Role.TRAINER),
]
PARTNERS = [
    ("Northwind Trading", "reseller", "EMEA", "en", "Europe/London", [
        ("anna@northwind.demo.test", "Anna Andersen", Role.PARTNER_ADMIN),
        ("ben@northwind.demo.test", "Ben Brooks", Role.PARTNER_USER),
    ]),
    ("东风贸易有限公司 (Eastwind)", "distributor", "APAC", "zh_Hans", "Asia/Shanghai", [
        ("chen@eastwind.demo.test", "陈静 (Chen Jing)", Role.PARTNER_ADMIN),
        ("dai@eastwind.demo.test", "戴伟 (Dai Wei)", Role.PARTNER_USER),
    ]),
]

# Price book: (name, rank, discount in basis points); the demo partners' tiers.
TIERS = [("Registered", 0, 0), ("Silver", 1, 500), ("Gold", 2, 1000), ("Platinum", 3, 1500)]
PARTNER_TIERS = {"Northwind Trading": "Gold", "东风贸易有限公司 (Eastwind)": "Silver"}
# category → products: (sku, name, description, list price in cents, unit, stock, MOQ[, active])
CATALOGUE = {
    "Routers": [
        ("IR-200", "工业路由器 IR-200", "双 SIM 卡 4G/5G 工业路由器，宽温 -40~75°C，DIN 导轨安装。",
         64900, "each", 120, 1),
        ("IR-300", "Industrial Router IR-300", "5G industrial router with dual SIM, VPN and Modbus gateway.",
         89900, "each", 8, 1),
        ("ER-1000", "Edge Router ER-1000", "Rack-mount edge router, 8 × 10 GbE, BGP and OSPF.", 249900, "each", 35, 1),
        ("BR-50", "Branch Router BR-50", "Compact branch router with LTE failover.", 39900, "each", 0, 1),
        ("HR-10", "Home Office Router HR-10", "Wi-Fi 6 router for home offices, managed from the cloud.",
         12999, "each", 400, 5, False),
    ],
    "Switches": [
        ("SW-24G", "Managed Switch 24-port", "24 × 1 GbE PoE+, 4 × 10 GbE SFP+ uplinks, Layer 3 lite.",
         74900, "each", 60, 1),
        ("SW-48G", "Managed Switch 48-port", "48 × 1 GbE PoE+, 370 W budget, stackable.", 139900, "each", 22, 1),
        ("SW-8U", "Unmanaged Switch 8-port", "Desktop switch, fanless, 8 × 1 GbE.", 3999, "each", 500, 10),
        ("SW-IND8", "工业交换机 8 口", "八口工业以太网交换机，冗余电源，IP40 防护。", 45900, "each", 14, 2),
        ("SW-CORE", "Core Switch 32 × 100G", "Data-centre spine switch, 32 × 100 GbE QSFP28.", 1899900, "each", 3, 1),
    ],
    "Wireless": [
        ("AP-6E", "Wi-Fi 6E Access Point", "Tri-band ceiling access point, 2.5 GbE uplink.", 42900, "each", 90, 1),
        ("AP-OUT", "Outdoor Access Point", "IP67 outdoor access point with sector antennas.", 68900, "each", 6, 1),
        ("AP-MINI", "无线接入点 Mini", "小型吸顶无线接入点，适合会议室和酒店客房。", 14900, "each", 250, 4),
        ("WLC-500", "Wireless Controller WLC-500", "Controller for up to 500 access points.", 319900, "each", 11, 1),
        ("MESH-3", "Mesh Kit (3 pack)", "Three mesh nodes for small offices.", 29999, "pack", 40, 1),
    ],
    "Security": [
        ("FW-100", "Firewall FW-100", "Next-generation firewall, 1 Gbps threat protection.", 99900, "each", 28, 1),
        ("FW-500", "Firewall FW-500", "Next-generation firewall, 5 Gbps threat protection, HA pair ready.",
         449900, "each", 9, 1),
        ("VPN-KEY", "Hardware VPN Token", "FIDO2 hardware token for VPN sign-in.", 4500, "each", 1000, 25),
        ("CAM-4K", "安防摄像机 4K", "400 万像素网络摄像机，夜视 30 米，支持 PoE 供电。", 18900, "each", 0, 2),
    ],
    "Cables & Optics": [
        ("SFP-10G-SR", "SFP+ 10G SR Transceiver", "850 nm multimode, 300 m.", 3900, "each", 800, 10),
        ("SFP-10G-LR", "SFP+ 10G LR Transceiver", "1310 nm single mode, 10 km.", 8900, "each", 150, 10),
        ("QSFP-100G", "QSFP28 100G SR4", "100 GbE multimode transceiver, 100 m.", 24900, "each", 18, 4),
        ("CAT6A-3M", "Cat6A Patch Cable 3 m", "Shielded Cat6A patch cable, snagless boots.", 799, "each", 5000, 50),
        ("DAC-10G-1M", "DAC Cable 10G 1 m", "Passive direct-attach copper cable, SFP+.", 2499, "each", 60, 20),
    ],
    "Software & Services": [
        ("LIC-CLOUD-1Y", "Cloud Management Licence, 1 year", "Per-device cloud management licence.", 9900,
         "licence", 100000, 10),
        ("LIC-SEC-1Y", "Threat Protection Licence, 1 year", "IPS, URL filtering and sandboxing for FW series.",
         59900, "licence", 100000, 1),
        ("SVC-NBD", "Next Business Day Replacement", "Hardware replacement next business day, 1 year.", 19900,
         "contract", 100000, 1),
        ("SVC-INSTALL", "上门安装服务", "工程师上门安装与调试，每台设备。", 25000, "visit", 40, 1),
        ("TRN-NET101", "Networking Essentials Training", "Two-day instructor-led course, per seat.", 89000,
         "seat", 12, 1),
    ],
}
# (sku, tier, price in cents): a product-specific tier price that wins over the tier's discount
TIER_PRICES = [("SW-24G", "Gold", 64900)]

LARGE_PARTNERS = 1_000
LARGE_USERS_PER_PARTNER = 5
LARGE_AUDIT_ENTRIES = 200_000
LARGE_NOTIFICATIONS = 100_000
AUDIT_ACTIONS = ["user.invited", "user.deactivated", "user.reactivated", "user.password_changed",
                 "partner.created", "partner.updated", "api_token.created"]
DEMO_ACCOUNT_NOTIFICATIONS = 30


def _user(email: str, name: str, role: Role, password_hash: str, partner_id: int | None = None,
          locale: str | None = None, timezone: str = "UTC") -> User:
    user = db.session.scalar(select(User).where(User.email == email))
    if user is None:
        user = User(email=email, name=name, role=role, partner_id=partner_id, password_hash=password_hash,
                    locale=locale, timezone=timezone, active=True)
        db.session.add(user)
        db.session.flush()
    return user


def seed(scale: str = "small") -> str:
    password_hash = hash_password(DEMO_PASSWORD)
    before = db.session.scalar(select(func.count()).select_from(User))
    vendor = {email: _user(email, name, role, password_hash) for email, name, role in VENDOR}
    manager = vendor["manager@demo.test"]
    for name, type_, region, locale, tz, people in PARTNERS:
        partner = db.session.scalar(select(Partner).where(Partner.name == name))
        if partner is None:
            partner = Partner(name=name, type=type_, region=region, status="active",
                              channel_manager_id=manager.id)
            db.session.add(partner)
            db.session.flush()
        for email, person, role in people:
            _user(email, person, role, password_hash, partner.id, locale, tz)
    _seed_catalogue()
    _seed_orders()
    demo_users = db.session.scalars(select(User).where(User.email.like("%demo.test"))).all()
    # One notification each (in their language), so the header badge and the list are not empty.
    notify("demo-welcome", demo_users, "welcome", link="/account/", email=False)
    db.session.commit()
    added = db.session.scalar(select(func.count()).select_from(User)) - before
    summary = f"{added} users added"
    if scale == "large":
        summary += "; " + _seed_large(password_hash, manager.id)
    return summary


def _seed_catalogue() -> None:
    """Tiers, categories and ~30 products (some in Chinese), the demo partners' tiers and one Gold
    tier price. Looked up by natural key (name, SKU), so a second run adds nothing."""
    tiers = {t.name: t for t in db.session.scalars(select(Tier))}
    for name, rank, discount_bp in TIERS:
        if name not in tiers:
            tiers[name] = Tier(name=name, rank=rank, discount_bp=discount_bp)
            db.session.add(tiers[name])
    categories = {c.name: c for c in db.session.scalars(select(Category))}
    for name in CATALOGUE:
        if name not in categories:
            categories[name] = Category(name=name)
            db.session.add(categories[name])
    db.session.flush()
    products = {p.sku: p for p in db.session.scalars(select(Product))}
    now = utcnow()
    n = 0
    for category, items in CATALOGUE.items():
        for sku, name, description, price, unit, stock, moq, *active in items:
            n += 1
            if sku not in products:
                products[sku] = Product(sku=sku, name=name, description=description,
                                        category_id=categories[category].id, list_price_cents=price,
                                        currency="USD", unit=unit, stock_on_hand=stock, min_order_qty=moq,
                                        active=active[0] if active else True, created_at=now - timedelta(days=n))
                db.session.add(products[sku])
    db.session.flush()
    for sku, tier, price in TIER_PRICES:
        exists = db.session.scalar(select(ProductTierPrice.id).where(
            ProductTierPrice.product_id == products[sku].id, ProductTierPrice.tier_id == tiers[tier].id))
        if exists is None:
            db.session.add(ProductTierPrice(product_id=products[sku].id, tier_id=tiers[tier].id, price_cents=price))
    for partner in db.session.scalars(select(Partner).where(Partner.name.in_(PARTNER_TIERS))):
        if partner.tier_id is None:
            partner.tier_id = tiers[PARTNER_TIERS[partner.name]].id
    db.session.flush()


# Per demo partner: a saved shipping address and orders (key, PO, [(sku, quantity)], days ago).
DEMO_ADDRESSES = {
    "Northwind Trading": ("Head office", "12 Harbour Street", "London", "E14 5AB", "United Kingdom"),
    "东风贸易有限公司 (Eastwind)": ("上海仓库", "浦东新区张江路 88 号", "上海", "201203", "中国"),
}
DEMO_ORDERS = [
    ("demo-order-1", "PO-DEMO-1001", [("IR-300", 2), ("SW-24G", 1)], 20),
    ("demo-order-2", "PO-DEMO-1002", [("ER-1000", 4)], 9),
    ("demo-order-3", "PO-DEMO-1003", [("IR-200", 3)], 2),
]


def _seed_orders() -> None:
    """A saved address and three orders for each demo partner, placed by its partner admin at the
    tier's net prices (lines snapshotted like a checkout). Looked up by key, so a second run adds nothing."""
    from portal.catalogue.pricing import net_price_cents
    from portal.orders import settings
    from portal.orders.checkout import order_number, status_for
    from portal.orders.models import Order, OrderEvent, OrderLine, ShippingAddress

    limit = settings.get_int("auto_approval_limit_cents")
    products = {p.sku: p for p in db.session.scalars(select(Product))}
    now = utcnow()
    for partner in db.session.scalars(select(Partner).where(Partner.name.in_(DEMO_ADDRESSES))):
        label, lines, city, postcode, country = DEMO_ADDRESSES[partner.name]
        address = db.session.scalar(select(ShippingAddress).where(ShippingAddress.partner_id == partner.id,
                                                                  ShippingAddress.label == label))
        if address is None:
            address = ShippingAddress(partner_id=partner.id, label=label, lines=lines, city=city, postcode=postcode,
                                      country=country)
            db.session.add(address)
        admin = db.session.scalar(select(User).where(User.partner_id == partner.id, User.role == Role.PARTNER_ADMIN)
                                  .order_by(User.id))
        tier = db.session.get(Tier, partner.tier_id) if partner.tier_id else None
        tier_prices = dict(db.session.execute(select(ProductTierPrice.product_id, ProductTierPrice.price_cents)
                                              .where(ProductTierPrice.tier_id == (partner.tier_id or -1))).all())
        for key, po, items, days_ago in DEMO_ORDERS:
            if admin is None or db.session.scalar(select(Order.id).where(Order.placed_by == admin.id,
                                                                         Order.idempotency_key == key)):
                continue
            at = now - timedelta(days=days_ago)
            snap = []
            for sku, quantity in items:
                product = products[sku]
                tier_price = tier_prices.get(product.id)
                discount = tier.discount_bp if tier else 0
                unit = net_price_cents(product.list_price_cents, discount, tier_price)
                snap.append(OrderLine(product_id=product.id, sku=sku, name=product.name, quantity=quantity,
                                      list_price_cents=product.list_price_cents, net_unit_cents=unit,
                                      tier_name=tier.name if tier else "",
                                      discount_bp=discount if tier_price is None else 0,
                                      line_total_cents=unit * quantity))
            total = sum(line.line_total_cents for line in snap)
            status = status_for(total, limit)
            order = Order(partner_id=partner.id, placed_by=admin.id, idempotency_key=key, po_number=po,
                          shipping_address=address.text, requested_date=(at + timedelta(days=7)).date(),
                          notes="", status=status, currency="USD", total_cents=total, created_at=at,
                          approved_at=at if status == "approved" else None)
            db.session.add(order)
            db.session.flush()
            order.number = order_number(order.id)
            for line in snap:
                line.order_id = order.id
            db.session.add_all(snap)
            db.session.add(OrderEvent(order_id=order.id, at=at, actor_id=admin.id, from_status="",
                                      to_status="submitted"))
            if status == "approved":
                db.session.add(OrderEvent(order_id=order.id, at=at, actor_id=None, from_status="submitted",
                                          to_status="approved"))
    db.session.flush()


def _seed_large(password_hash: str, manager_id: int) -> str:
    """Bulk volume: 1,000 partners with 5 users each, audit history and notifications.

    Inserted with executemany in chunks (no ORM objects), so it takes seconds, not minutes.
    Deterministic (seeded RNG) and idempotent (skipped when the partners exist). The first
    large user (``user0@p<first id>.large.test``, a partner admin) gets a tenth of the
    notifications — the bench reads that list — and every demo account gets a few, so their
    dashboards are not empty.
    """
    if db.session.scalar(select(func.count()).select_from(Partner).where(Partner.name.like("Large %"))):
        return "large data already present"
    rng = random.Random(20261125)
    now = utcnow()
    regions = ["EMEA", "APAC", "NA", "LATAM"]
    types = ["distributor", "reseller", "agent", "retailer", "referral"]
    db.session.execute(insert(Partner), [
        {"name": f"Large {i:04d} {rng.choice(['Systems', 'Trading', 'Solutions', 'Retail'])}",
         "type": rng.choice(types), "region": rng.choice(regions), "status": "active", "status_reason": "",
         "channel_manager_id": manager_id, "created_at": now - timedelta(days=rng.randint(30, 900))}
        for i in range(LARGE_PARTNERS)])
    partner_ids = list(db.session.scalars(
        select(Partner.id).where(Partner.name.like("Large %")).order_by(Partner.id)))
    users = []
    for pid in partner_ids:
        for j in range(LARGE_USERS_PER_PARTNER):
            users.append({"email": f"user{j}@p{pid}.large.test", "name": f"User {j} of {pid}",
                          "role": Role.PARTNER_ADMIN if j == 0 else Role.PARTNER_USER, "partner_id": pid,
                          "password_hash": password_hash, "active": True, "locale": None, "timezone": "UTC",
                          "session_token": new_session_token(), "created_at": now})
    db.session.execute(insert(User), users)
    user_ids = list(db.session.scalars(select(User.id).where(User.email.like("%.large.test")).order_by(User.id)))
    user_partner = dict(db.session.execute(select(User.id, User.partner_id).where(User.id.in_(user_ids))).all())
    chunk = 20_000
    for start in range(0, LARGE_AUDIT_ENTRIES, chunk):
        rows = []
        for _ in range(start, min(start + chunk, LARGE_AUDIT_ENTRIES)):
            actor = rng.choice(user_ids)
            action = rng.choice(AUDIT_ACTIONS)
            if action.startswith("partner."):
                entity_type, entity_id, summary = "Partner", user_partner[actor], "bulk demo history: partner"
            elif action.startswith("api_token."):
                entity_type, entity_id, summary = "ApiToken", None, "bulk demo history: API token"
            else:
                entity_type, entity_id, summary = "User", rng.choice(user_ids), "bulk demo history: user"
            rows.append({"at": now - timedelta(minutes=rng.randint(0, 60 * 24 * 720)), "actor_id": actor,
                         "action": action, "entity_type": entity_type, "entity_id": entity_id,
                         "partner_id": user_partner[actor], "summary": summary, "before": None, "after": None})
        db.session.execute(insert(AuditEntry), rows)
    heavy = user_ids[0]
    demo_ids = list(db.session.scalars(select(User.id).where(User.email.in_(
        [email for email, _n, _r in VENDOR] + [email for *_p, people in PARTNERS for email, _n, _r in people]))))
    demo_share = DEMO_ACCOUNT_NOTIFICATIONS * len(demo_ids)
    for start in range(0, LARGE_NOTIFICATIONS, chunk):
        rows = []
        for n in range(start, min(start + chunk, LARGE_NOTIFICATIONS)):
            if n < demo_share:
                user_id = demo_ids[n % len(demo_ids)]
            elif n % 10 == 0:
                user_id = heavy
            else:
                user_id = rng.choice(user_ids)
            rows.append({"user_id": user_id, "event_key": f"demo:{n}", "message": f"Demo notification {n}",
                         "link": "", "read": rng.random() < 0.7,
                         "created_at": now - timedelta(hours=rng.randint(0, 8000))})
        db.session.execute(insert(Notification), rows)
    db.session.commit()
    return (f"{len(partner_ids)} partners, {len(user_ids)} users, {LARGE_AUDIT_ENTRIES} audit entries, "
            f"{LARGE_NOTIFICATIONS} notifications")
