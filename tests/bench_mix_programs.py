"""The mixes of the partner programs' list pages (tests/bench_mix.py's ``mixes`` adds them): enablement (the
course catalogue, the resource library, my certificates, the trainer's courses and tracking), deal registration
(the partner's deals, the reviewers' queue) and MDF (requests, budgets).

Each reader may read the page (the bench checks every visit answers with it): learners are partner people and
authors (the admin, the trainer); MDF requests need a partner admin or vendor staff; reviewers are the admin and
the channel team. Only the filters the views read, from the instance's own rows, with fixed seeds.
"""

from __future__ import annotations

import random
import sqlite3

from tests.bench_mix import VISITS_PER_PAGE, Visit, _page, _People, _visit

AUTHORS = ["admin@demo.test", "trainer@demo.test"]  # read every course and resource, and the tracking
COURSE_TERMS = ["router", "Wi-Fi", "firewall", "5G", "SD-WAN", "switching", "fibre", "cloud", "Selling",
                "Deploying", "Troubleshooting", "industrial", "路由器", "防火墙", "无线", "网关", "销售", "部署",
                "zz-no-such-course"]
RESOURCE_TERMS = ["datasheet", "case study", "price list", "campaign kit", "calculator", "battle card", "Router",
                  "Firewall", "RT-1", "2026", "bank", "产品手册", "路由器", "zz-no-such-resource"]
CUSTOMER_TERMS = ["Robotics", "Foods", "Logistics", "Alpha", "Nova", "Cedar Motors", "Ltd", "Contoso", "0001",
                  "zz-no-such-customer"]
DEAL_STATUSES = ["submitted", "approved", "won", "lost", "withdrawn", "rejected", "expired"]
MDF_STATUSES = ["submitted", "approved", "rejected", "claimed", "reimbursed", "paid", "lapsed"]


def mixes(conn: sqlite3.Connection, people: _People) -> dict[str, list[Visit]]:
    return {
        "courses": _courses(people),
        "resources": _resources(conn, people),
        "certificates": _certificates(people),
        "training": _training(people),
        "training reports": _training_reports(people),
        "deals": _deals(people),
        "deal review": _deal_review(people),
        "mdf requests": _mdf_requests(conn, people),
        "mdf budgets": _mdf_budgets(conn, people),
    }


def _learners(people: _People) -> list[str]:
    return [email for email, _p in people.partner_users] + AUTHORS


def _courses(people: _People) -> list[Visit]:
    """The catalogue of the reader's audience (one page, up to 200 courses): browsed, searched, by level."""
    rng = random.Random(4111)
    readers = _learners(people)
    visits = []
    for n in range(VISITS_PER_PAGE):
        args: dict = {}
        if rng.random() < 0.4:
            args["q"] = rng.choice(COURSE_TERMS)
        if rng.random() < 0.25:
            args["level"] = rng.choice(["beginner", "intermediate", "advanced"])
        visits.append(_visit(people, readers[n % len(readers)], "/courses/", args))
    return visits


def _resources(conn: sqlite3.Connection, people: _People) -> list[Visit]:
    rng = random.Random(4112)
    readers = _learners(people)
    categories = [row[0] for row in conn.execute("SELECT DISTINCT category FROM resources ORDER BY category")]
    visits = []
    for n in range(VISITS_PER_PAGE):
        roll = rng.random()
        if roll < 0.35:  # a search, mostly its first page
            args = {"q": rng.choice(RESOURCE_TERMS), "page": 1 if rng.random() < 0.8 else rng.randint(2, 4)}
        elif roll < 0.65:  # a category
            args = {"category": rng.choice(categories), "page": rng.choice([1, 1, 2, 3, 4, 5])}
        else:
            args = {"page": _page(rng)}
        visits.append(_visit(people, readers[n % len(readers)], "/resources/", args))
    return visits


def _certificates(people: _People) -> list[Visit]:
    """My certificates (a partner admin: also the company's people's)."""
    return [_visit(people, people.partner_users[n % len(people.partner_users)][0], "/certificates/", {})
            for n in range(VISITS_PER_PAGE)]


def _training(people: _People) -> list[Visit]:
    """The authors' courses with their enrolments, completion and pass rates (120 courses: pages 1–3)."""
    rng = random.Random(4112)
    return [_visit(people, AUTHORS[n % len(AUTHORS)], "/training/", {"page": rng.choice([1, 1, 2, 3])})
            for n in range(VISITS_PER_PAGE)]


def _training_reports(people: _People) -> list[Visit]:
    """Tracking, a table at a time: course figures, certified people per partner, certificates expiring within
    30, 60 or 90 days, feedback; pages 1–3."""
    rng = random.Random(4113)
    visits = []
    for n in range(VISITS_PER_PAGE):
        table = rng.choice(["", "", "partners", "expiring", "feedback"])
        args = {"table": table, "page": rng.choice([1, 1, 2, 3])}
        if table == "expiring":
            args["days"] = rng.choice(["", "60", "90"])
        visits.append(_visit(people, AUTHORS[n % len(AUTHORS)], "/training/reports", args))
    return visits


def _deals(people: _People) -> list[Visit]:
    """A partner's registrations (a large partner has about a hundred: pages 1–4), by status, expiry, customer."""
    rng = random.Random(4114)
    visits = []
    for n in range(VISITS_PER_PAGE):
        user, _partner = people.partner_users[n % len(people.partner_users)]
        args: dict = {"page": rng.choice([1, 1, 1, 2, 3, 4])}
        roll = rng.random()
        if roll < 0.2:
            args["status"] = rng.choice(DEAL_STATUSES)
        elif roll < 0.35:
            args.update({"expiry": rng.choice(["expiring", "protected"]), "page": 1})
        elif roll < 0.5:
            args.update({"q": rng.choice(CUSTOMER_TERMS), "page": 1})
        visits.append(_visit(people, user, "/deals/", args))
    return visits


def _deal_review(people: _People) -> list[Visit]:
    """The reviewers' queue: waiting registrations oldest first (pages 1–20), or another status."""
    rng = random.Random(4115)
    visits = []
    for n in range(VISITS_PER_PAGE):
        args: dict = {"page": _page(rng)}
        if rng.random() < 0.3:
            args.update({"status": rng.choice(DEAL_STATUSES[1:] + ["released"]), "page": rng.choice([1, 1, 2])})
        visits.append(_visit(people, people.vendors[n % len(people.vendors)], "/deal-review/", args))
    return visits


def _periods(conn: sqlite3.Connection) -> list[str]:
    return [f"{year}-{quarter}" for year, quarter in conn.execute(
        "SELECT DISTINCT year, quarter FROM mdf_budgets ORDER BY year, quarter")]


def _mdf_requests(conn: sqlite3.Connection, people: _People) -> list[Visit]:
    """Requests and claims: a partner admin's own (with the budget overview), vendor staff's of their partners
    (the admin's and the demo manager's include Northwind's); by status, period and, for vendors, partner."""
    rng = random.Random(4116)
    periods = _periods(conn)
    readers = people.partner_admins + people.vendors
    visits = []
    for n in range(VISITS_PER_PAGE):
        user = readers[n % len(readers)]
        args: dict = {"page": rng.choice([1, 1, 1, 2])}
        roll = rng.random()
        if roll < 0.25:
            args["status"] = rng.choice(MDF_STATUSES)
        elif roll < 0.45:
            args["period"] = rng.choice(periods)
        elif roll < 0.55 and user in people.vendors:
            args["partner"] = _managed_partner(conn, rng, user)
        visits.append(_visit(people, user, "/mdf/", args))
    return visits


def _managed_partner(conn: sqlite3.Connection, rng: random.Random, email: str) -> int:
    """A partner ``email`` looks after (the admin: any)."""
    where = "" if email == "admin@demo.test" else \
        "WHERE channel_manager_id = (SELECT id FROM users WHERE email = ?)"
    ids = [row[0] for row in conn.execute(f"SELECT id FROM partners {where} ORDER BY id",  # noqa: S608
                                          () if not where else (email,))]
    return rng.choice(ids)


def _mdf_budgets(conn: sqlite3.Connection, people: _People) -> list[Visit]:
    """Vendor staff's budgets of their partners (the admin: all 1,000-odd, pages 1–20), by period and name."""
    rng = random.Random(4117)
    periods = _periods(conn)
    visits = []
    for n in range(VISITS_PER_PAGE):
        user = people.vendors[n % len(people.vendors)]
        args: dict = {"page": _page(rng) if user == "admin@demo.test" else rng.choice([1, 1, 2])}
        roll = rng.random()
        if roll < 0.3:
            args["period"] = rng.choice(periods)
        elif roll < 0.45:
            args.update({"q": rng.choice(["Large 0", "Systems", "Trading", "wind", "Large 05"]), "page": 1})
        visits.append(_visit(people, user, "/mdf/budgets", args))
    return visits
