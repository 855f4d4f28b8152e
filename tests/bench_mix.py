"""The realistic mix of visits `make bench` drives each portal page with (tests/bench.py).

Every page is read by many signed-in people of the large seed — partner users and admins of partners in
every tier, the admin and the channel team — in English and Chinese, over pages 1–20 of their lists, with
the filters people use, and the catalogue with more than fifty search terms: common words and rare model
numbers, English and Chinese. Drawn from the instance's own database with fixed seeds, so two runs on one
instance send the same requests. The partner programs' pages (enablement, deals, MDF): tests/bench_mix_programs.py.
"""

from __future__ import annotations

import random
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

ENGLISH, CHINESE = "en-GB,en;q=0.9", "zh-CN,zh;q=0.9"
VISITS_PER_PAGE = 400

COMMON_ENGLISH = ["router", "switch", "firewall", "access point", "camera", "cable", "PoE", "Wi-Fi 6E", "SFP+",
                  "rack", "UPS", "server", "storage", "licence", "antenna", "modem", "gateway", "LTE", "fibre",
                  "10 GbE", "industrial", "outdoor"]
COMMON_CHINESE = ["路由器", "交换机", "防火墙", "光模块", "机柜", "服务器", "摄像机", "天线", "网关", "工业", "企业级",
                  "数据中心", "跳线", "不间断电源", "无线接入点"]
NOTHING = ["zz-no-such-thing", "不存在的产品"]


@dataclass(frozen=True)
class Visit:
    user: str  # who is signed in (e-mail)
    path: str
    language: str  # Accept-Language (what the large seed's users, who chose no language, are shown)


def mixes(db_file: Path) -> dict[str, list[Visit]]:
    """Page name → its visits."""
    from tests import bench_mix_programs  # it builds on this module's helpers

    with sqlite3.connect(f"file:{db_file}?mode=ro", uri=True) as conn:
        people = _People(conn)
        return {
            "layout": _layout(people),
            "catalogue": _catalogue(conn, people),
            "orders": _orders(conn, people),
            "queue": _queue(conn, people),
            "partners": _partners(people),
            "users": _users(people),
            "audit": _audit(people),
            "notifications": _notifications(people),
            "rebates": _rebates(people),
            "rebate statements": _rebate_statements(conn, people),
            "rebate programs": _rebate_programs(people),
            **bench_mix_programs.mixes(conn, people),  # enablement, deals, MDF
        }


class _People:
    """The readers: for each tier, partner admins and users of six large partners, the demo partners' four
    people, the admin and the twenty channel managers; each large-seed reader in English or Chinese."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        rows = conn.execute(
            "SELECT u.email, u.role, u.partner_id, coalesce(t.name, '') FROM users u JOIN partners p ON p.id = "
            "u.partner_id LEFT JOIN tiers t ON t.id = p.tier_id WHERE u.email LIKE 'user_@p%.large.test' "
            "ORDER BY p.id, u.id").fetchall()
        by_tier: dict[str, list[tuple]] = {}
        for email, role, partner_id, tier in rows:
            by_tier.setdefault(tier, []).append((email, role, partner_id))
        self.partner_users: list[tuple[str, int]] = []  # (e-mail, partner id)
        self.partner_admins: list[str] = []
        for tier in sorted(by_tier):
            partners = sorted({partner for _e, _r, partner in by_tier[tier]})[::7][:6]
            for email, role, partner in by_tier[tier]:
                if partner in partners and (role == "partner_admin" or email.startswith("user1@")):
                    self.partner_users.append((email, partner))
                    if role == "partner_admin":
                        self.partner_admins.append(email)
        demo = conn.execute("SELECT email, partner_id, role FROM users WHERE email LIKE '%@%wind.demo.test' "
                            "ORDER BY email").fetchall()
        self.partner_users += [(email, partner) for email, partner, _role in demo]
        self.partner_admins += [email for email, _p, role in demo if role == "partner_admin"]
        self.vendors = ["admin@demo.test", "manager@demo.test"] + [email for (email,) in conn.execute(
            "SELECT email FROM users WHERE email LIKE 'manager%@staff.large.example' ORDER BY email")]
        self.heavy_reader = conn.execute(
            "SELECT u.email FROM notifications n JOIN users u ON u.id = n.user_id WHERE u.email LIKE '%.large.test' "
            "GROUP BY n.user_id ORDER BY count(*) DESC LIMIT 1").fetchone()[0]

    def language(self, email: str) -> str:
        return CHINESE if sum(email.encode()) % 2 else ENGLISH


def _page(rng: random.Random) -> int:
    """Page 1 half of the time, else 2–20."""
    return 1 if rng.random() < 0.5 else rng.randint(2, 20)


def _visit(people: _People, user: str, path: str, args: dict) -> Visit:
    query = urlencode({k: v for k, v in args.items() if v not in ("", None) and not (k == "page" and v == 1)})
    return Visit(user, f"{path}?{query}" if query else path, people.language(user))


def _layout(people: _People) -> list[Visit]:
    readers = [email for email, _p in people.partner_users] + people.vendors
    return [Visit(user, "/_bench/layout", people.language(user)) for user in readers]


def search_terms(conn: sqlite3.Connection) -> list[str]:
    """Common English and Chinese words, and rare terms: model numbers and SKUs of products, a few matching
    nothing."""
    products = conn.execute("SELECT name, sku FROM products WHERE active ORDER BY id").fetchall()
    sample = products[::max(len(products) // 24, 1)][:24]
    models = [name.split()[-1] for name, _sku in sample[:16]]
    skus = [sku for _name, sku in sample[16:]]
    return COMMON_ENGLISH + COMMON_CHINESE + models + skus + NOTHING


def _catalogue(conn: sqlite3.Connection, people: _People) -> list[Visit]:
    rng = random.Random(4101)
    terms = search_terms(conn)
    categories = [row[0] for row in conn.execute("SELECT id FROM categories ORDER BY id")]
    tiers = [row[0] for row in conn.execute("SELECT id FROM tiers ORDER BY id")]
    readers = [email for email, _p in people.partner_users] + people.vendors[:3]
    visits = []
    for n in range(VISITS_PER_PAGE):
        user = readers[n % len(readers)]
        roll = rng.random()
        if roll < 0.7:  # a search, mostly its first page
            args = {"q": rng.choice(terms), "page": 1 if rng.random() < 0.8 else rng.randint(2, 5)}
        else:  # browsing a category or everything
            args = {"category": rng.choice(categories) if roll < 0.85 else "", "page": _page(rng)}
        if rng.random() < 0.2:
            args["sort"] = rng.choice(["price", "newest"])
        if rng.random() < 0.1:
            args["in_stock"] = 1
        if user in people.vendors and rng.random() < 0.5:
            args["tier"] = rng.choice(tiers)
        visits.append(_visit(people, user, "/catalogue/", args))
    return visits


def _orders(conn: sqlite3.Connection, people: _People) -> list[Visit]:
    rng = random.Random(4102)
    statuses = ["submitted", "approved", "shipped", "delivered", "cancelled", "returned"]
    visits = []
    for n in range(VISITS_PER_PAGE):
        user, partner = people.partner_users[n % len(people.partner_users)]
        roll = rng.random()
        args: dict = {"page": _page(rng)}
        if roll < 0.15:
            args["status"] = rng.choice(statuses)
        elif roll < 0.25:
            year = rng.choice([2025, 2026])
            args.update({"from": f"{year}-0{rng.randint(1, 6)}-01", "to": f"{year}-0{rng.randint(7, 9)}-28"})
        elif roll < 0.3:
            args.update({"po": "PO-", "page": 1})
        elif roll < 0.4:
            sku = conn.execute("SELECT l.sku FROM orders o JOIN order_lines l ON l.order_id = o.id "
                               "WHERE o.partner_id = ? ORDER BY o.id LIMIT 1 OFFSET ?",
                               (partner, rng.randint(0, 40))).fetchone()
            args.update({"sku": sku[0] if sku else "RT-E10000", "page": 1})
        visits.append(_visit(people, user, "/orders/", args))
    return visits


def _queue(conn: sqlite3.Connection, people: _People) -> list[Visit]:
    rng = random.Random(4103)
    numbers = [row[0] for row in conn.execute("SELECT number FROM orders ORDER BY id DESC LIMIT 400")]
    visits = []
    for n in range(VISITS_PER_PAGE):
        user = people.vendors[n % len(people.vendors)]
        tab = rng.choices(["submitted", "approved", "shipped", "returns", "all"], [40, 15, 15, 10, 20])[0]
        args: dict = {"tab": tab if tab != "submitted" else "", "page": _page(rng) if tab == "all" else 1}
        if tab == "all" and rng.random() < 0.4:
            args.update({"q": rng.choice(numbers), "page": 1})
        visits.append(_visit(people, user, "/queue/", args))
    return visits


def _partners(people: _People) -> list[Visit]:
    rng = random.Random(4104)
    visits = []
    for n in range(VISITS_PER_PAGE):
        user = people.vendors[n % len(people.vendors)]
        args: dict = {"page": _page(rng) if user == "admin@demo.test" else rng.choice([1, 1, 2])}
        roll = rng.random()
        if roll < 0.2:
            args.update({"q": rng.choice(["Large 0", "Systems", "Trading", "Retail", "Large 05", "wind"]), "page": 1})
        elif roll < 0.3:
            args["type"] = rng.choice(["distributor", "reseller", "agent", "retailer", "referral"])
        elif roll < 0.35:
            args["status"] = "active"
        visits.append(_visit(people, user, "/partners/", args))
    return visits


def _users(people: _People) -> list[Visit]:
    rng = random.Random(4105)
    readers = people.partner_admins + ["admin@demo.test"] * 8  # the admin reads the whole list more often
    visits = []
    for n in range(VISITS_PER_PAGE):
        user = readers[n % len(readers)]
        args: dict = {"page": _page(rng) if user == "admin@demo.test" else 1}
        roll = rng.random()
        if roll < 0.2:
            args.update({"q": rng.choice(["user0", "user3", "p12", "anna", "of 1", "large"]), "page": 1})
        elif roll < 0.3:
            args["role"] = rng.choice(["partner_admin", "partner_user"])
        elif roll < 0.35:
            args["status"] = rng.choice(["active", "invited", "deactivated"])
        visits.append(_visit(people, user, "/users/", args))
    return visits


def _audit(people: _People) -> list[Visit]:
    rng = random.Random(4106)
    readers = people.partner_admins + people.vendors
    visits = []
    for n in range(VISITS_PER_PAGE):
        user = readers[n % len(readers)]
        args: dict = {"page": _page(rng) if user in people.vendors else rng.randint(1, 4)}
        roll = rng.random()
        if roll < 0.15:
            args["action"] = rng.choice(["user.", "partner.", "api_token.", "order."])
        elif roll < 0.25:
            args["entity_type"] = rng.choice(["User", "Partner", "Order"])
        elif roll < 0.35:
            args.update({"since": "2026-01-01", "until": "2026-06-30"})
        visits.append(_visit(people, user, "/audit/", args))
    return visits


def _notifications(people: _People) -> list[Visit]:
    rng = random.Random(4107)
    readers = [email for email, _p in people.partner_users] + people.vendors + [people.heavy_reader] * 10
    visits = []
    for n in range(VISITS_PER_PAGE):
        user = readers[n % len(readers)]
        visits.append(_visit(people, user, "/notifications/",
                             {"page": _page(rng) if user == people.heavy_reader else rng.choice([1, 1, 2])}))
    return visits


def _rebates(people: _People) -> list[Visit]:
    """A partner's rebates: what they earn this period (the accrual of every program) and their statements (all,
    or by status; the large seed's partners have drafts at most, which they do not see)."""
    rng = random.Random(4108)
    visits = []
    for n in range(VISITS_PER_PAGE):
        user, _partner = people.partner_users[n % len(people.partner_users)]
        args: dict = {"status": "" if rng.random() < 0.8 else rng.choice(["approved", "paid"])}
        visits.append(_visit(people, user, "/rebates/", args))
    return visits


def _rebate_statements(conn: sqlite3.Connection, people: _People) -> list[Visit]:
    """The admin's statements: by program, status, period and partner, pages 1–20."""
    rng = random.Random(4109)
    programs = [row[0] for row in conn.execute("SELECT id FROM rebate_programs ORDER BY id")]
    visits = []
    for _n in range(VISITS_PER_PAGE):
        args: dict = {"page": _page(rng)}
        roll = rng.random()
        if roll < 0.3:
            args["status"] = rng.choice(["draft", "approved", "paid"])
        elif roll < 0.45 and programs:
            args["program"] = rng.choice(programs)
        elif roll < 0.55:
            args.update({"partner": rng.choice(["Large 0", "Trading", "wind", "Large 05"]), "page": 1})
        visits.append(_visit(people, "admin@demo.test", "/admin/rebates/statements", args))
    return visits


def _rebate_programs(people: _People) -> list[Visit]:
    rng = random.Random(4110)
    return [_visit(people, "admin@demo.test", "/admin/rebates/programs",
                   {"status": rng.choice(["", "", "", "active", "draft"])}) for _n in range(VISITS_PER_PAGE)]
