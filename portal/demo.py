"""Demo data: the accounts the README lists, and (``--scale large``) volume for `make bench`.

Small (``make run``): seven accounts, two partners, ~30 products, and for each demo partner an order
in every state (waiting for approval, approved, shipped with tracking, delivered, partly returned
with its credit, cancelled). Large adds 1,000 partners with users, audit history and notifications,
10,000 products in 100 categories and ≥ 1,000,000 order lines over 24 months — in about 2–3 minutes
on SQLite (executemany in chunks; the sizes are the LARGE_* constants, which tests shrink).

Idempotent: rows are looked up by natural key (e-mail, partner name, SKU, order key) before being
created, and each bulk part is skipped when its rows exist, so running the seed twice changes nothing.
"""

from __future__ import annotations

import itertools
import json
import random
from datetime import UTC, date, timedelta

from sqlalchemy import JSON, Date, func, insert, select, text, update

from portal.accounts.models import User
from portal.accounts.passwords import hash_password
from portal.catalogue.models import Category, Product, ProductLink, ProductTierPrice, Tier
from portal.catalogue.service import optimize_search_index
from portal.core.audit import AuditEntry
from portal.core.permissions import Role
from portal.core.time import UTCDateTime, utcnow
from portal.deals import demo as deals_demo
from portal.extensions import db
from portal.mdf import demo as mdf_demo
from portal.notifications.models import Notification
from portal.notifications.service import notify
from portal.orders.models import (
    Credit,
    CreditLine,
    Order,
    OrderEvent,
    OrderLine,
    ReturnLine,
    ReturnRequest,
    ShippingAddress,
)
from portal.partners import demo as partners_demo
from portal.partners.models import Partner
from portal.rebates import demo as rebates_demo
from portal.training import demo as training_demo

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
# (sku, title, address): related resources on the product's page (example.com: addresses reserved for examples)
PRODUCT_LINKS = [
    ("ER-1000", "Installation guide (PDF)", "https://docs.example.com/er-1000/installation-guide.pdf"),
    ("ER-1000", "Case study: a regional bank's new WAN edge", "https://www.example.com/case-studies/er-1000-bank"),
    ("IR-300", "Configuration video: VPN and Modbus gateway", "https://video.example.com/ir-300-setup"),
    ("FW-100", "Threat Protection Licence for the FW series", "/catalogue/?q=LIC-SEC-1Y"),
]

LARGE_PARTNERS = 1_000
LARGE_USERS_PER_PARTNER = 5
LARGE_AUDIT_ENTRIES = 200_000
LARGE_NOTIFICATIONS = 100_000
LARGE_PRODUCTS = 10_000  # in 100 categories (FAMILIES × SEGMENTS)
LARGE_TIER_PRICES = 300
LARGE_ORDER_LINES = 1_000_000  # at least; spread over the large partners and the demo partners
LARGE_DEMO_ORDERS = {"Northwind Trading": 3_000, "东风贸易有限公司 (Eastwind)": 1_000}  # the bench's history
LARGE_QUEUE = 300  # extra orders waiting for approval, up to four days old
LARGE_MANAGERS = 20  # the large partners' channel managers, manager@demo.test the first of them
LARGE_PARTNERS_PER_MANAGER = 50
LARGE_MONTHS = 24
CHUNK = 20_000  # rows per executemany
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
    _seed_orders(manager.id)
    demo_users = db.session.scalars(select(User).where(User.email.like("%demo.test"))).all()
    # One notification each (in their language), so the header badge and the list are not empty.
    notify("demo-welcome", demo_users, "welcome", link="/account/", email=False)
    db.session.commit()
    added = db.session.scalar(select(func.count()).select_from(User)) - before
    summary = f"{added} users added"
    if scale == "large":
        summary += "; " + _seed_large(password_hash, manager.id)
    if enablement := training_demo.seed(scale):  # courses, certificates (Gold needs them), resources, news
        summary += "; " + enablement
    if lifecycle := partners_demo.seed(scale):  # applications, agreements, tier requirements, evaluations
        summary += "; " + lifecycle
    deals_demo.seed(scale)  # a conflicting pair and more; the large seed: 100,000 open registrations
    if rebates := rebates_demo.seed(scale):  # rebate programs with ladders, last quarter's statements
        summary += "; " + rebates
    mdf_demo.seed(scale)  # MDF budgets, a paid claim, an approval to claim, a request waiting (not in the summary)
    optimize_search_index()  # the products were written one by one through the index's triggers
    db.session.commit()
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
    for sku, title, url in PRODUCT_LINKS:
        exists = db.session.scalar(select(ProductLink.id).where(
            ProductLink.product_id == products[sku].id, ProductLink.url == url))
        if exists is None:
            db.session.add(ProductLink(product_id=products[sku].id, title=title, url=url))
    for partner in db.session.scalars(select(Partner).where(Partner.name.in_(PARTNER_TIERS))):
        if partner.tier_id is None:
            partner.tier_id = tiers[PARTNER_TIERS[partner.name]].id
    db.session.flush()


# Per demo partner: a saved shipping address and orders in every state the UI shows:
# (key, PO, [(sku, quantity)], days ago, status). Totals over the auto-approval limit (5,000.00)
# were approved by the channel manager; smaller ones were approved on submit.
DEMO_ADDRESSES = {
    "Northwind Trading": ("Head office", "12 Harbour Street", "London", "E14 5AB", "United Kingdom"),
    "东风贸易有限公司 (Eastwind)": ("上海仓库", "浦东新区张江路 88 号", "上海", "201203", "中国"),
}
DEMO_ORDERS = [
    ("demo-order-1", "PO-DEMO-1001", [("IR-300", 2), ("SW-24G", 1)], 20, "delivered"),
    ("demo-order-2", "PO-DEMO-1002", [("ER-1000", 4)], 9, "shipped"),
    ("demo-order-3", "PO-DEMO-1003", [("IR-200", 3)], 2, "approved"),
    ("demo-order-4", "PO-DEMO-1004", [("FW-500", 2), ("SW-48G", 1)], 1, "submitted"),
    ("demo-order-5", "PO-DEMO-1005", [("SW-24G", 2), ("SFP-10G-SR", 20), ("CAT6A-3M", 100)], 45, "returned"),
    ("demo-order-6", "PO-DEMO-1006", [("AP-6E", 5)], 12, "cancelled"),
]
# the partial return of demo-order-5: {sku: quantity returned}
DEMO_RETURN = {"SFP-10G-SR": 5, "CAT6A-3M": 20}
DEMO_RETURN_REASON = "Surplus to the project: five transceivers and twenty patch cables were not needed."
DEMO_CANCEL_REASON = "Ordered twice by mistake."
# a return the partner requested on demo-order-1 that the manager has not decided yet: (key, sku, quantity, reason)
DEMO_OPEN_RETURN = ("demo-order-1", "IR-300", 1, "One router arrived with a cracked housing.")
DEMO_SHIPMENTS = {"demo-order-1": ("UPS", "1Z999AA1012345678"), "demo-order-2": ("DHL Express", "JD01460000661"),
                  "demo-order-5": ("DPD", "1550123456789")}
STEP = {"approve": timedelta(hours=6), "ship": timedelta(days=1), "deliver": timedelta(days=3),
        "return": timedelta(days=5), "decide": timedelta(days=1), "cancel": timedelta(hours=3)}


def _seed_orders(manager_id: int) -> None:
    """A saved address and six orders for each demo partner, placed by its partner admin at the
    tier's net prices (lines snapshotted like a checkout), one in each state: waiting for approval,
    approved (to ship), shipped with a tracking number, delivered (with a return request waiting for
    the manager), partly returned with its credit, cancelled. Rows only (timeline events, KPI seconds,
    returns, credit). Looked up by key, so a second run adds nothing."""
    from portal.catalogue.pricing import net_price_cents
    from portal.orders import settings
    from portal.orders.checkout import order_number

    limit = settings.get_int("auto_approval_limit_cents")
    products = {p.sku: p for p in db.session.scalars(select(Product))}
    now = utcnow()
    for partner in db.session.scalars(select(Partner).where(Partner.name.in_(DEMO_ADDRESSES)).order_by(Partner.id)):
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
        for key, po, items, days_ago, status in DEMO_ORDERS:
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
            auto = total <= limit
            # the timeline: (time, actor, from, to, note); the order's columns follow from it
            steps = [(at, admin.id, "", "submitted", "")]
            approved_at = None if status == "submitted" else at if auto else at + STEP["approve"]
            if approved_at is not None:
                steps.append((approved_at, None if auto else manager_id, "submitted", "approved", ""))
            shipped_at = delivered_at = cancelled_at = None
            carrier, tracking = DEMO_SHIPMENTS.get(key, ("", ""))
            tracking = f"{tracking}{partner.id}" if tracking else ""
            if status in ("shipped", "delivered", "returned"):
                shipped_at = at + STEP["ship"]
                steps.append((shipped_at, manager_id, "approved", "shipped", ""))
            if status in ("delivered", "returned"):
                delivered_at = shipped_at + STEP["deliver"]
                steps.append((delivered_at, manager_id, "shipped", "delivered", ""))
            if status == "cancelled":
                cancelled_at = at + STEP["cancel"]
                steps.append((cancelled_at, admin.id, "approved" if approved_at else "submitted", "cancelled",
                              DEMO_CANCEL_REASON))
            order = Order(partner_id=partner.id, placed_by=admin.id, idempotency_key=key, po_number=po,
                          shipping_address=address.text, requested_date=(at + timedelta(days=7)).date(),
                          notes="", status=status, currency="USD", total_cents=total, created_at=at,
                          approved_at=approved_at, shipped_at=shipped_at, delivered_at=delivered_at,
                          cancelled_at=cancelled_at, carrier=carrier, tracking_number=tracking,
                          approval_seconds=int((approved_at - at).total_seconds()) if approved_at else None,
                          shipping_seconds=int((shipped_at - at).total_seconds()) if shipped_at else None)
            db.session.add(order)
            db.session.flush()
            order.number = order_number(order.id)
            for line in snap:
                line.order_id = order.id
            db.session.add_all(snap)
            if status == "returned":
                db.session.flush()
                requested_at = delivered_at + STEP["return"]
                decided_at = requested_at + STEP["decide"]
                steps.append((decided_at, manager_id, "delivered", "returned", ""))
                _demo_return(order, snap, admin.id, manager_id, requested_at, decided_at)
            elif key == DEMO_OPEN_RETURN[0]:  # delivered, and a return waiting for the vendor's decision
                db.session.flush()
                request = ReturnRequest(order_id=order.id, partner_id=partner.id, requested_by=admin.id,
                                        reason=DEMO_OPEN_RETURN[3], status="requested",
                                        created_at=delivered_at + STEP["return"])
                db.session.add(request)
                db.session.flush()
                request.number = f"RET-{request.id:06d}"
                line = next(line for line in snap if line.sku == DEMO_OPEN_RETURN[1])
                db.session.add(ReturnLine(return_id=request.id, order_line_id=line.id, quantity=DEMO_OPEN_RETURN[2]))
            db.session.add_all(OrderEvent(order_id=order.id, at=when, actor_id=actor, from_status=before,
                                          to_status=after, note=note) for when, actor, before, after, note in steps)
    db.session.flush()


def _demo_return(order, lines, requested_by, manager_id, requested_at, decided_at) -> None:
    """demo-order-5's accepted partial return and its credit (quantity × snapshotted net unit price)."""
    request = ReturnRequest(order_id=order.id, partner_id=order.partner_id, requested_by=requested_by,
                            reason=DEMO_RETURN_REASON, status="accepted", created_at=requested_at,
                            decided_at=decided_at, decided_by=manager_id, decision_note="")
    db.session.add(request)
    db.session.flush()
    request.number = f"RET-{request.id:06d}"
    returned = [(line, DEMO_RETURN[line.sku]) for line in lines if line.sku in DEMO_RETURN]
    db.session.add_all(ReturnLine(return_id=request.id, order_line_id=line.id, quantity=quantity)
                       for line, quantity in returned)
    credit = Credit(partner_id=order.partner_id, order_id=order.id, return_id=request.id, currency=order.currency,
                    total_cents=sum(line.net_unit_cents * quantity for line, quantity in returned),
                    created_at=decided_at)
    db.session.add(credit)
    db.session.flush()
    credit.number = f"CR-{credit.id:06d}"
    db.session.add_all(CreditLine(credit_id=credit.id, order_line_id=line.id, sku=line.sku, name=line.name,
                                  quantity=quantity, net_unit_cents=line.net_unit_cents,
                                  line_total_cents=line.net_unit_cents * quantity) for line, quantity in returned)


def _seed_large(password_hash: str, manager_id: int) -> str:
    """Bulk volume for `make bench`, in three parts, each skipped when its rows exist (so a second
    run, or a run on an instance seeded before a part existed, only adds what is missing):
    accounts (partners, users, audit, notifications), catalogue, orders.

    Inserted with executemany in chunks (no ORM objects). Deterministic: each part has its own
    seeded RNG, and times are relative to now.
    """
    parts = []
    if not db.session.scalar(select(func.count()).select_from(Partner).where(Partner.name.like("Large %"))):
        parts.append(_seed_large_accounts(password_hash, manager_id))
    if db.session.scalar(select(Category.id).where(Category.name == _category_names()[0])) is None:
        parts.append(_seed_large_catalogue())
    if db.session.scalar(select(Order.id).where(Order.idempotency_key.like("bulk-%")).limit(1)) is None:
        parts.append(_seed_large_orders(manager_id))
    if managers := _seed_large_managers(password_hash):
        parts.append(managers)
    db.session.commit()
    return "; ".join(parts) if parts else "large data already present"


def insert_rows(model, rows: list[dict]) -> None:
    """Bulk rows for the large seeds (every area's demo module): executemany in chunks of CHUNK rows, every row
    with the same keys.

    A Core insert of the table, not the ORM's bulk insert (that one splits the rows into a statement
    per run of rows with the same None columns: thousands of small statements). On SQLite the rows
    go to the driver as tuples with times pre-formatted the way SQLAlchemy stores them (naive UTC
    text, UTCDateTime + DateTime; JSON as json.dumps text): SQLAlchemy's per-value bind processing would
    double the seed's time.
    """
    if not rows:
        return
    table = model.__table__
    connection = db.session.connection()
    if connection.dialect.name != "sqlite":
        for start in range(0, len(rows), CHUNK):
            connection.execute(insert(table), rows[start:start + CHUNK])
        return
    keys = list(rows[0])
    converters = [_sqlite_converter(table.columns[key].type) for key in keys]
    plain = all(convert is None for convert in converters)
    quote = connection.dialect.identifier_preparer.quote  # e.g. quiz_attempts.order, an SQL keyword
    sql = (f"INSERT INTO {quote(table.name)} ({', '.join(quote(key) for key in keys)}) "  # noqa: S608
           f"VALUES ({', '.join('?' * len(keys))})")
    for start in range(0, len(rows), CHUNK):
        chunk = rows[start:start + CHUNK]
        if plain:
            params = [tuple(row[key] for key in keys) for row in chunk]
        else:
            params = [tuple(value if convert is None or value is None else convert(value)
                            for value, convert in zip((row[key] for key in keys), converters, strict=True))
                      for row in chunk]
        connection.exec_driver_sql(sql, params)


def _sqlite_converter(type_):
    if isinstance(type_, UTCDateTime):
        return lambda value: f"{value.astimezone(UTC):%Y-%m-%d %H:%M:%S.%f}"
    if isinstance(type_, Date):
        return date.isoformat
    if isinstance(type_, JSON):
        return json.dumps
    return None  # ints, text and booleans go to sqlite3 as they are


def first_free_id(model) -> int:
    return (db.session.scalar(select(func.max(model.id))) or 0) + 1


def sync_id_sequences(*models) -> None:
    """Rows inserted with explicit ids: move PostgreSQL's id sequences past them (SQLite needs nothing)."""
    if db.session.get_bind().dialect.name != "postgresql":
        return
    for model in models:
        table = model.__table__.name
        db.session.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608 - names
                                f"(SELECT coalesce(max(id), 0) + 1 FROM {table}), false)"))


def _seed_large_managers(password_hash: str) -> str:
    """A vendor's channel team at scale: the large partners in blocks of ``LARGE_PARTNERS_PER_MANAGER``, the
    first block manager@demo.test's, each next one a channel manager of its own (``manager<n>@staff.large.example``,
    ``LARGE_MANAGERS`` in all) — so the vendor's pages have many readers, each with their own partners.
    '' when they exist (or there is only the first block)."""
    if db.session.scalar(select(User.id).where(User.email.like("%@staff.large.example")).limit(1)) is not None:
        return ""
    partner_ids = list(db.session.scalars(
        select(Partner.id).where(Partner.name.like("Large %")).order_by(Partner.id)))
    blocks = [partner_ids[start:start + LARGE_PARTNERS_PER_MANAGER]
              for start in range(0, len(partner_ids), LARGE_PARTNERS_PER_MANAGER)][1:LARGE_MANAGERS]
    for number, block in enumerate(blocks, 1):
        manager = _user(f"manager{number:02d}@staff.large.example", f"Channel Manager {number:02d}",
                        Role.CHANNEL_MANAGER, password_hash)
        db.session.execute(update(Partner).where(Partner.id.in_(block)).values(channel_manager_id=manager.id))
    db.session.flush()
    return f"{len(blocks)} more channel managers" if blocks else ""


def _seed_large_accounts(password_hash: str, manager_id: int) -> str:
    """1,000 partners (a mix of tiers, one saved address each) with 5 users each, audit history and
    notifications. The first large user (``user0@p<first id>.large.test``, a partner admin) gets a
    tenth of the notifications — the bench reads that list — and every demo account gets a few,
    so their dashboards are not empty."""
    rng = random.Random(20261125)
    now = utcnow()
    regions = ["EMEA", "APAC", "NA", "LATAM"]
    types = ["distributor", "reseller", "agent", "retailer", "referral"]
    tier_ids = dict(db.session.execute(select(Tier.name, Tier.id)).all())
    tier_mix = [tier_ids[name] for name in ("Registered", "Registered", "Silver", "Silver", "Gold", "Platinum")
                if name in tier_ids] or [None]
    db.session.execute(insert(Partner), [
        {"name": f"Large {i:04d} {rng.choice(['Systems', 'Trading', 'Solutions', 'Retail'])}",
         "type": rng.choice(types), "region": rng.choice(regions), "status": "active", "status_reason": "",
         "channel_manager_id": manager_id, "tier_id": rng.choice(tier_mix),
         "created_at": now - timedelta(days=rng.randint(30, 900))}
        for i in range(LARGE_PARTNERS)])
    partner_ids = list(db.session.scalars(
        select(Partner.id).where(Partner.name.like("Large %")).order_by(Partner.id)))
    cities = ["Manchester", "Lyon", "Singapore", "Austin", "São Paulo", "Munich", "Osaka", "Toronto"]
    db.session.execute(insert(ShippingAddress), [
        {"partner_id": pid, "label": "Main warehouse", "lines": f"{pid % 180 + 1} Commerce Park",
         "city": cities[pid % len(cities)], "postcode": f"{10000 + pid}", "country": "", "created_at": now}
        for pid in partner_ids])
    users = []
    for pid in partner_ids:
        for j in range(LARGE_USERS_PER_PARTNER):
            users.append({"email": f"user{j}@p{pid}.large.test", "name": f"User {j} of {pid}",
                          "role": Role.PARTNER_ADMIN if j == 0 else Role.PARTNER_USER, "partner_id": pid,
                          "password_hash": password_hash, "active": True, "locale": None, "timezone": "UTC",
                          "created_at": now})
    insert_rows(User, users)
    user_ids = list(db.session.scalars(select(User.id).where(User.email.like("%.large.test")).order_by(User.id)))
    user_partner = dict(db.session.execute(select(User.id, User.partner_id).where(User.id.in_(user_ids))).all())
    for start in range(0, LARGE_AUDIT_ENTRIES, CHUNK):
        rows = []
        for _ in range(start, min(start + CHUNK, LARGE_AUDIT_ENTRIES)):
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
                         "partner_id": user_partner[actor], "summary": summary})  # before/after: SQL NULL
        insert_rows(AuditEntry, rows)
    heavy = user_ids[0]
    demo_ids = list(db.session.scalars(select(User.id).where(User.email.in_(
        [email for email, _n, _r in VENDOR] + [email for *_p, people in PARTNERS for email, _n, _r in people]))))
    demo_share = DEMO_ACCOUNT_NOTIFICATIONS * len(demo_ids)
    for start in range(0, LARGE_NOTIFICATIONS, CHUNK):
        rows = []
        for n in range(start, min(start + CHUNK, LARGE_NOTIFICATIONS)):
            if n < demo_share:
                user_id = demo_ids[n % len(demo_ids)]
            elif n % 10 == 0:
                user_id = heavy
            else:
                user_id = rng.choice(user_ids)
            rows.append({"user_id": user_id, "event_key": f"demo:{n}", "message": f"Demo notification {n}",
                         "link": "", "read": rng.random() < 0.7,
                         "created_at": now - timedelta(hours=rng.randint(0, 8000))})
        insert_rows(Notification, rows)
    db.session.flush()
    return (f"{len(partner_ids)} partners, {len(user_ids)} users, {LARGE_AUDIT_ENTRIES} audit entries, "
            f"{LARGE_NOTIFICATIONS} notifications")


# --- large catalogue ---------------------------------------------------------------------------------------------

# (name, plural, 中文, SKU code, list price range in cents, unit, MOQs, [(feature, 特点)])
FAMILIES = [
    ("Router", "Routers", "路由器", "RT", (9_900, 499_900), "each", (1,), [
        ("dual SIM 4G/5G with VPN", "双 SIM 卡 4G/5G，支持 VPN"),
        ("8 × 10 GbE ports, BGP and OSPF", "8 个万兆端口，支持 BGP 与 OSPF"),
        ("LTE failover and SD-WAN", "LTE 备份链路与 SD-WAN"),
        ("Modbus gateway, DIN-rail mount", "Modbus 网关，DIN 导轨安装")]),
    ("Switch", "Switches", "交换机", "SW", (3_999, 1_899_900), "each", (1, 1, 2), [
        ("24 × 1 GbE PoE+ and 4 × 10 GbE uplinks", "24 个千兆 PoE+ 端口，4 个万兆上行"),
        ("48 ports, stackable", "48 口，可堆叠"),
        ("fanless, 8 ports", "无风扇，8 口"), ("Layer 3 with redundant power", "三层交换，冗余电源")]),
    ("Access Point", "Access Points", "无线接入点", "AP", (9_900, 89_900), "each", (1, 1, 4), [
        ("tri-band Wi-Fi 6E, 2.5 GbE uplink", "三频 Wi-Fi 6E，2.5G 上行"),
        ("IP67 outdoor housing", "IP67 户外外壳"),
        ("ceiling mount for meeting rooms", "吸顶安装，适合会议室"), ("mesh ready", "支持 Mesh 组网")]),
    ("Firewall", "Firewalls", "防火墙", "FW", (49_900, 999_900), "each", (1,), [
        ("next-generation threat protection", "下一代威胁防护"),
        ("HA pair ready, 5 Gbps", "支持双机热备，5 Gbps"),
        ("IPS and URL filtering", "入侵防御与 URL 过滤")]),
    ("Transceiver", "Transceivers", "光模块", "TR", (1_500, 49_900), "each", (1, 5, 10), [
        ("SFP+ 10G SR, 850 nm multimode", "SFP+ 10G 多模 850 nm"),
        ("SFP+ 10G LR, 10 km single mode", "SFP+ 10G 单模 10 公里"),
        ("QSFP28 100G SR4", "QSFP28 100G SR4")]),
    ("Patch Cable", "Patch Cables", "跳线", "PC", (299, 4_999), "each", (10, 25, 50), [
        ("Cat6A shielded, snagless boots", "六类屏蔽，防勾护套"),
        ("OM4 LC-LC duplex fibre", "OM4 LC-LC 双工光纤"),
        ("Cat6 slim, 28 AWG", "六类细线，28 AWG")]),
    ("Media Converter", "Media Converters", "光电转换器", "MC", (2_900, 29_900), "each", (1, 2), [
        ("copper to fibre, 1 GbE", "千兆电口转光口"),
        ("DIN-rail industrial, wide temperature", "DIN 导轨工业级，宽温")]),
    ("Wireless Controller", "Wireless Controllers", "无线控制器", "WC", (99_900, 599_900), "each", (1,), [
        ("manages up to 500 access points", "最多管理 500 个接入点"), ("cloud or on-premises", "云端或本地部署")]),
    ("Network Camera", "Network Cameras", "网络摄像机", "NC", (6_900, 149_900), "each", (1, 2), [
        ("4K, 30 m night vision, PoE", "4K 分辨率，30 米夜视，PoE 供电"),
        ("dome, vandal resistant", "半球型，防暴"),
        ("PTZ, 25× optical zoom", "云台，25 倍光学变焦")]),
    ("Video Recorder", "Video Recorders", "网络录像机", "VR", (29_900, 399_900), "each", (1,), [
        ("16 channels, 4 drive bays", "16 路，4 盘位"), ("64 channels, RAID 6", "64 路，RAID 6")]),
    ("UPS", "UPS Units", "不间断电源", "UP", (19_900, 999_900), "each", (1,), [
        ("online double conversion, 3 kVA", "在线双变换，3 kVA"),
        ("line interactive, rack mount", "在线互动式，机架式")]),
    ("PDU", "PDUs", "电源分配单元", "PD", (9_900, 199_900), "each", (1, 2), [
        ("metered, 24 outlets", "带计量，24 个插座"), ("switched, per-outlet control", "可开关，单口控制")]),
    ("Server", "Servers", "服务器", "SV", (199_900, 2_999_900), "each", (1,), [
        ("1U, two sockets, 16 DIMM slots", "1U 双路，16 个内存插槽"),
        ("2U storage server, 12 bays", "2U 存储型，12 盘位")]),
    ("Storage Array", "Storage Arrays", "存储阵列", "SA", (299_900, 4_999_900), "each", (1,), [
        ("all-flash, dual controllers", "全闪存，双控制器"),
        ("hybrid, 24 bays, iSCSI and NFS", "混合存储，24 盘位，iSCSI 与 NFS")]),
    ("Rack Cabinet", "Rack Cabinets", "机柜", "RK", (29_900, 299_900), "each", (1,), [
        ("42U, 800 × 1000 mm", "42U，800 × 1000 毫米"), ("wall mount, 12U", "壁挂式，12U")]),
    ("Antenna", "Antennas", "天线", "AN", (1_900, 49_900), "each", (1, 2, 5), [
        ("5G omni-directional, IP67", "5G 全向，IP67"), ("sector, 120°, 17 dBi", "扇区 120°，17 dBi")]),
    ("Modem", "Modems", "调制解调器", "MD", (4_900, 59_900), "each", (1, 5), [
        ("VDSL2 with vectoring", "支持矢量化的 VDSL2"), ("LTE Cat 4, serial port", "LTE Cat 4，串口")]),
    ("IoT Gateway", "IoT Gateways", "物联网网关", "GW", (9_900, 199_900), "each", (1, 2), [
        ("LoRaWAN, 8 channels", "LoRaWAN，8 通道"),
        ("OPC UA and MQTT edge computing", "OPC UA 与 MQTT 边缘计算")]),
    ("Licence", "Licences", "软件许可", "LC", (2_900, 199_900), "licence", (1, 10), [
        ("cloud management, 1 year", "云管理，1 年"), ("threat protection, 3 years", "威胁防护，3 年")]),
    ("Support Contract", "Support Contracts", "服务合同", "SC", (4_900, 299_900), "contract", (1,), [
        ("next business day replacement", "次工作日硬件更换"), ("24 × 7 phone support", "7 × 24 小时电话支持")]),
]
# five segments × twenty families = the hundred categories
SEGMENTS = [("Industrial", "工业", "I"), ("Enterprise", "企业级", "E"), ("Branch", "分支机构", "B"),
            ("Data-centre", "数据中心", "D"), ("Small Business", "小微企业", "S")]
VARIANTS = ["", "", "Pro", "Plus", "Lite", "Max", "X"]
EXTRAS = [("5-year warranty", "五年质保"), ("cloud managed", "支持云管理"),
          ("rugged housing, -40 to 75 °C", "加固外壳，-40~75°C"), ("energy efficient", "节能设计"), ("", "")]


def _category_names() -> list[str]:
    return [f"{plural} · {segment}" for _n, plural, *_r in FAMILIES for segment, _z, _c in SEGMENTS]


def _seed_large_catalogue() -> str:
    """10,000 products in 100 categories (20 families × 5 segments): English names with a model number
    (one in twelve in Chinese), prices in cents (most ending in 99, some odd), stock mixed in stock /
    low / out, MOQs per family, a few inactive; and a few hundred product tier prices for the demo tiers."""
    rng = random.Random(20261126)
    now = utcnow()
    names = _category_names()
    db.session.execute(insert(Category), [{"name": name} for name in names])
    category_ids = dict(db.session.execute(select(Category.name, Category.id).where(Category.name.in_(names))).all())
    rows = []
    for i in range(LARGE_PRODUCTS):
        family, plural, family_zh, code, (low, high), unit, moqs, features = FAMILIES[i % len(FAMILIES)]
        segment, segment_zh, segment_code = SEGMENTS[(i // len(FAMILIES)) % len(SEGMENTS)]
        sku = f"{code}-{segment_code}{10000 + i}"
        model = f"{code[0]}{rng.randint(100, 9999)}{rng.choice(VARIANTS)}"
        feature, feature_zh = rng.choice(features)
        extra, extra_zh = rng.choice(EXTRAS)
        if (i // len(FAMILIES)) % 12 == 5:
            name = f"{segment_zh}{family_zh} {model}"
            description = f"{segment_zh}{family_zh}，{feature_zh}" + (f"，{extra_zh}。" if extra_zh else "。")
        else:
            name = f"{segment} {family} {model}"
            description = f"{segment} {family.lower()}: {feature}" + (f", {extra}." if extra else ".")
        price = int(low * (high / low) ** rng.random())
        if rng.random() < 0.7:
            price = max(price // 100 * 100 - 1, 99)
        moq = rng.choice(moqs)
        roll = rng.random()
        if unit != "each":
            stock = 100_000
        elif roll < 0.08:
            stock = rng.randint(0, moq - 1) if moq > 1 else 0  # out
        elif roll < 0.2:
            stock = rng.randint(moq, max(10, 2 * moq - 1))  # low
        else:
            stock = rng.randint(max(11, 2 * moq), 2_000)
        rows.append({"sku": sku, "name": name, "description": description,
                     "category_id": category_ids[f"{plural} · {segment}"], "list_price_cents": price,
                     "currency": "USD", "unit": unit, "stock_on_hand": stock, "min_order_qty": moq,
                     "active": rng.random() >= 0.02, "created_at": now - timedelta(days=rng.randint(0, 900),
                                                                                     minutes=rng.randint(0, 1439)),
                     "image_key": None, "image_type": None, "datasheet_key": None, "datasheet_name": None,
                     "datasheet_type": None})
    insert_rows(Product, rows)
    products = db.session.execute(select(Product.id, Product.list_price_cents).where(
        Product.category_id.in_(category_ids.values())).order_by(Product.id)).all()
    tiers = [(t.id, t.discount_bp) for t in db.session.scalars(select(Tier).where(Tier.discount_bp > 0))]
    from portal.catalogue.pricing import net_price_cents

    prices = {}
    while tiers and len(prices) < min(LARGE_TIER_PRICES, len(products) * len(tiers)):
        product_id, list_price = rng.choice(products)
        tier_id, discount_bp = rng.choice(tiers)
        # a negotiated price 1–5 points below the tier's discount
        prices[(product_id, tier_id)] = net_price_cents(list_price, min(discount_bp + rng.randint(100, 500), 10_000))
    insert_rows(ProductTierPrice, [{"product_id": p, "tier_id": t, "price_cents": c} for (p, t), c in prices.items()])
    db.session.flush()
    return f"{len(products)} products in {len(names)} categories, {len(prices)} tier prices"


# --- large order history ------------------------------------------------------------------------------------------

CARRIERS = [("DHL Express", "JD0146{:010d}"), ("UPS", "1Z999AA1{:010d}"), ("FedEx", "7489{:010d}"),
            ("DPD", "1550{:010d}"), ("SF Express", "SF{:012d}")]
RETURN_REASONS = ["Damaged in transit.", "Wrong item shipped.", "The customer cancelled the project.",
                  "Ordered too many.", "Does not meet the customer's specification."]
REJECT_REASONS = ["Credit limit exceeded; please pay the open invoices first.", "Duplicate of an earlier order.",
                  "Product not sold in the partner's region."]
CANCEL_REASONS = ["Ordered twice by mistake.", "The customer cancelled.", "Wrong quantities; will reorder."]
LINES_PER_ORDER = [1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 7, 8, 10]  # mean 4.36


def _seed_large_orders(manager_id: int) -> str:
    """≥ 1,000,000 order lines over the last 24 months for the large partners and the demo partners.

    Lines are priced like a checkout (portal.catalogue.pricing: tier price, else list × (1 − tier
    discount) half-up; total = Σ net × quantity) and statuses follow from the timestamps: an order's
    processing time (submitted → shipped) falls from ~48 h two years ago to ~12 h now, with noise;
    orders at or under the auto-approval limit were approved on submit. Old orders are delivered
    (some returned, with an accepted return and its credit; some cancelled or rejected), recent ones
    shipped or approved, the newest waiting — plus LARGE_QUEUE orders waiting up to four days in the
    channel manager's queue. Every order has its full timeline. Ids are computed here (one running
    counter per table), so nothing is read back.
    """
    from portal.catalogue.pricing import net_price_cents
    from portal.orders import settings
    from portal.orders.checkout import order_number

    rng = random.Random(20261127)
    now = utcnow()
    limit = settings.get_int("auto_approval_limit_cents")
    demo_names = list(LARGE_DEMO_ORDERS)
    partners = db.session.execute(select(Partner.id, Partner.name, Partner.tier_id).where(
        Partner.name.like("Large %") | Partner.name.in_(demo_names)).order_by(Partner.id)).all()
    if not partners:
        return "0 orders"
    tiers = {t.id: (t.name, t.discount_bp) for t in db.session.scalars(select(Tier))}
    tier_prices = {(p, t): c for p, t, c in db.session.execute(
        select(ProductTierPrice.product_id, ProductTierPrice.tier_id, ProductTierPrice.price_cents))}
    products = db.session.execute(select(Product.id, Product.sku, Product.name, Product.list_price_cents,
                                         Product.min_order_qty).where(Product.active.is_(True),
                                                                      Product.list_price_cents > 0)
                                  .order_by(Product.id)).all()
    placers: dict[int, list[int]] = {}
    for user_id, partner_id, role in db.session.execute(
            select(User.id, User.partner_id, User.role).where(User.partner_id.in_([p.id for p in partners]),
                                                              User.active.is_(True)).order_by(User.id)):
        # partner admins place most orders
        placers.setdefault(partner_id, []).extend([user_id] * (3 if role == Role.PARTNER_ADMIN else 1))
    addresses = {}
    for address in db.session.scalars(select(ShippingAddress).order_by(ShippingAddress.id.desc())):
        addresses[address.partner_id] = address.text
    partners = [p for p in partners if p.id in placers]
    by_name = {p.name: p for p in partners}
    bulk = [p for p in partners if p.name not in LARGE_DEMO_ORDERS]

    # 1. the plan: (seconds ago, partner, lines, waiting in the queue), oldest first
    days = LARGE_MONTHS * 30.4
    plan = []

    def when() -> float:  # business grew: three times as many orders now as two years ago
        age = rng.random() * days if rng.random() < 0.5 else rng.triangular(0, days, 0)
        return age * 86400

    for name, count in LARGE_DEMO_ORDERS.items():
        if name in by_name:
            plan += [(when(), by_name[name], rng.choice(LINES_PER_ORDER), False) for _ in range(count)]
    queue_partners = [p for p in partners if p.name in LARGE_DEMO_ORDERS] * 10 + bulk
    plan += [(rng.uniform(1_800, 4 * 86400), rng.choice(queue_partners), rng.choice(LINES_PER_ORDER), True)
             for _ in range(LARGE_QUEUE)]
    planned = sum(n for _a, _p, n, _w in plan)
    if bulk:
        weights = list(itertools.accumulate(min(rng.paretovariate(1.2), 25) for _ in bulk))
        while planned < LARGE_ORDER_LINES:
            n = rng.choice(LINES_PER_ORDER)
            plan.append((when(), rng.choices(bulk, cum_weights=weights)[0], n, False))
            planned += n
    plan.sort(key=lambda item: -item[0])

    # 2. rows, chunk by chunk (orders before the rows that point at them)
    ids = {model: first_free_id(model) for model in (Order, OrderLine, ReturnRequest, ReturnLine, Credit, CreditLine)}
    counts = dict.fromkeys(("orders", "lines", "events", "returns", "credits", "queue"), 0)
    prices: dict[tuple[int, int | None], tuple[int, int, str]] = {}
    n_products = len(products)
    batch = max(CHUNK // 5, 1)
    for begin in range(0, len(plan), batch):
        orders, lines, events, returns, return_lines, credits, credit_lines = [], [], [], [], [], [], []
        for ago, partner, n_lines, waiting in plan[begin:begin + batch]:
            order_id = ids[Order]
            ids[Order] += 1
            created = now - timedelta(seconds=ago)
            placed_by = rng.choice(placers[partner.id])
            tier_name, discount_bp = tiers.get(partner.tier_id, ("", 0))
            # distinct products, the popular ones (low index) more often
            picked = {}
            while len(picked) < min(n_lines, n_products):
                product = products[int(n_products * rng.random() ** 2)]
                picked[product.id] = product
            order_lines = []
            for product in picked.values():
                key = (product.id, partner.tier_id)
                if key not in prices:
                    tier_price = tier_prices.get(key)
                    prices[key] = (net_price_cents(product.list_price_cents, discount_bp, tier_price),
                                   discount_bp if tier_price is None else 0, tier_name)
                net, line_discount, line_tier = prices[key]
                quantity = product.min_order_qty * (rng.randint(1, 3) if product.list_price_cents > 100_000
                                                    else rng.randint(1, 12))
                order_lines.append([ids[OrderLine], product, quantity, net, line_discount, line_tier])
                ids[OrderLine] += 1
            total = sum(line[2] * line[3] for line in order_lines)
            if waiting and total <= limit:  # a queue order is over the limit: more of its priciest line
                line = max(order_lines, key=lambda item: item[3])
                rest = total - line[2] * line[3]
                step = line[1].min_order_qty
                line[2] = max(line[2], -(-(limit + 1 - rest) // (line[3] * step)) * step)
                total = sum(line[2] * line[3] for line in order_lines)
            auto = total <= limit
            # processing time, submitted → shipped: 48 h two years ago → 12 h now, ± 40 %
            hours = (12 + 36 * min(ago / (days * 86400), 1)) * rng.uniform(0.6, 1.4)
            shipping_seconds = int(hours * 3600)
            approval_seconds = 0 if auto else int(shipping_seconds * rng.uniform(0.3, 0.6))
            approved_at = created + timedelta(seconds=approval_seconds)
            shipped_at = created + timedelta(seconds=shipping_seconds)
            delivered_at = shipped_at + timedelta(hours=rng.randint(20, 140))
            # a cancellation comes while the order waits: for approval, or (approved on submit) for shipping
            cancelled_at = created + timedelta(seconds=int((shipping_seconds if auto else approval_seconds)
                                                           * rng.uniform(0.1, 0.9)))
            timeline = [(created, placed_by, "", "submitted", "")]
            row = {"id": order_id, "number": order_number(order_id), "partner_id": partner.id, "placed_by": placed_by,
                   "idempotency_key": f"bulk-{order_id}",
                   "po_number": f"PO-{created:%y%m}-{order_id % 100_000:05d}", "notes": "",
                   "shipping_address": addresses.get(partner.id, partner.name),
                   "requested_date": (created + timedelta(days=rng.randint(5, 30))).date(), "status": "submitted",
                   "currency": "USD", "total_cents": total, "created_at": created, "approved_at": None,
                   "shipped_at": None, "delivered_at": None, "cancelled_at": None, "carrier": "",
                   "tracking_number": "", "approval_seconds": None, "shipping_seconds": None}
            fate = rng.random()
            if waiting or approved_at > now:
                counts["queue"] += 1
            elif fate < 0.01 and not auto:
                row["status"] = "rejected"
                timeline.append((approved_at, manager_id, "submitted", "rejected", rng.choice(REJECT_REASONS)))
            elif fate < 0.025 and cancelled_at <= now:
                row.update(status="cancelled", cancelled_at=cancelled_at)
                if auto:  # approved on submit, cancelled before it shipped
                    row.update(approved_at=approved_at, approval_seconds=0)
                    timeline.append((approved_at, None, "submitted", "approved", ""))
                timeline.append((cancelled_at, placed_by, "approved" if auto else "submitted", "cancelled",
                                 rng.choice(CANCEL_REASONS)))
            else:
                row.update(status="approved", approved_at=approved_at, approval_seconds=approval_seconds)
                timeline.append((approved_at, None if auto else manager_id, "submitted", "approved", ""))
                if shipped_at <= now:
                    carrier, pattern = CARRIERS[order_id % len(CARRIERS)]
                    row.update(status="shipped", shipped_at=shipped_at, shipping_seconds=shipping_seconds,
                               carrier=carrier, tracking_number=pattern.format(order_id * 7919 % 10**10))
                    timeline.append((shipped_at, manager_id, "approved", "shipped", ""))
                if row["shipped_at"] and delivered_at <= now:
                    row.update(status="delivered", delivered_at=delivered_at)
                    timeline.append((delivered_at, manager_id, "shipped", "delivered", ""))
                    requested_at = delivered_at + timedelta(days=rng.randint(2, 20), minutes=rng.randint(0, 1439))
                    decided_at = requested_at + timedelta(hours=rng.randint(4, 72))
                    returning = rng.random()
                    if ((returning < 0.03 and decided_at <= now)
                            or (returning < 0.2 and requested_at <= now < decided_at)):
                        # a return (partial or full): accepted with its credit, or still waiting for a decision
                        accepted = decided_at <= now
                        return_id = ids[ReturnRequest]
                        ids[ReturnRequest] += 1
                        returns.append({"id": return_id, "number": f"RET-{return_id:06d}", "order_id": order_id,
                                        "partner_id": partner.id, "requested_by": placed_by,
                                        "reason": rng.choice(RETURN_REASONS),
                                        "status": "accepted" if accepted else "requested", "created_at": requested_at,
                                        "decided_at": decided_at if accepted else None,
                                        "decided_by": manager_id if accepted else None, "decision_note": ""})
                        counts["returns"] += 1
                        back = rng.sample(order_lines, rng.randint(1, len(order_lines)))
                        quantities = [(line, rng.randint(1, line[2])) for line in back]
                        for line, quantity in quantities:
                            return_lines.append({"id": ids[ReturnLine], "return_id": return_id,
                                                 "order_line_id": line[0], "quantity": quantity})
                            ids[ReturnLine] += 1
                        if accepted:
                            credit_id = ids[Credit]
                            ids[Credit] += 1
                            credits.append({"id": credit_id, "number": f"CR-{credit_id:06d}", "partner_id": partner.id,
                                            "order_id": order_id, "return_id": return_id, "currency": "USD",
                                            "total_cents": sum(line[3] * q for line, q in quantities),
                                            "created_at": decided_at})
                            counts["credits"] += 1
                            for line, quantity in quantities:
                                credit_lines.append({"id": ids[CreditLine], "credit_id": credit_id,
                                                     "order_line_id": line[0], "sku": line[1].sku,
                                                     "name": line[1].name, "quantity": quantity,
                                                     "net_unit_cents": line[3], "line_total_cents": line[3] * quantity})
                                ids[CreditLine] += 1
                            row["status"] = "returned"
                            timeline.append((decided_at, manager_id, "delivered", "returned", ""))
            orders.append(row)
            for line_id, product, quantity, net, line_discount, line_tier in order_lines:
                lines.append({"id": line_id, "order_id": order_id, "product_id": product.id, "sku": product.sku,
                              "name": product.name, "quantity": quantity, "list_price_cents": product.list_price_cents,
                              "net_unit_cents": net, "tier_name": line_tier, "discount_bp": line_discount,
                              "line_total_cents": net * quantity})
            events += [{"order_id": order_id, "at": at, "actor_id": actor, "from_status": before,
                        "to_status": after, "note": note} for at, actor, before, after, note in timeline]
        for model, rows in ((Order, orders), (OrderLine, lines), (OrderEvent, events), (ReturnRequest, returns),
                            (ReturnLine, return_lines), (Credit, credits), (CreditLine, credit_lines)):
            insert_rows(model, rows)
        counts["orders"] += len(orders)
        counts["lines"] += len(lines)
        counts["events"] += len(events)
    sync_id_sequences(Order, OrderLine, ReturnRequest, ReturnLine, Credit, CreditLine)
    db.session.flush()
    return (f"{counts['orders']} orders, {counts['lines']} order lines, {counts['events']} order events, "
            f"{counts['queue']} waiting for approval, {counts['returns']} returns, {counts['credits']} credits")
