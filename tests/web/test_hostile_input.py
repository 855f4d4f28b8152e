"""No input may produce a 500. A walk over ``app.url_map``: every route, GET and POST (with a valid CSRF token),
signed in as each role that may use it (and signed out), web and API, gets a fixed list of hostile values in
every path parameter, every query parameter or form field the view reads and every API body field — huge and
negative numbers, NUL and other control characters, ``../``, very long text, the calendar's first and last day,
unicode, a JSON document nested 100,000 deep. Any 5xx fails, with the app configured as production is (errors
become 500 pages instead of tracebacks in the test, so a 500 cannot hide behind an exception); so does a GET
that writes to the database (a read never writes: see test_api_reads.py).

Which parameters a view reads is recorded while it runs (the request's parameter dicts note every name looked
up), so a new view's new parameters are walked without listing them here. Each parameter gets each value on its
own, the other parameters holding valid values (so the view gets past its first check), and all parameters get
each value at once.
"""

from __future__ import annotations

import io
import json
import logging
import re
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from urllib.parse import quote

import pytest
from argon2 import PasswordHasher
from sqlalchemy import event
from werkzeug.datastructures import ImmutableMultiDict

from portal.accounts import passwords
from portal.accounts import service as accounts
from portal.blueprints.api.base import OPERATIONS
from portal.catalogue.models import ProductLink, Tier
from portal.core.permissions import Role, role_has
from portal.core.time import utcnow
from portal.notifications.models import Notification
from portal.orders.models import CartLine, OrderLine, ReturnLine, ReturnRequest
from portal.partners import evaluations
from portal.partners.models import Evaluation, TierChange, TierReview
from tests import factories

HOSTILE = [
    "9223372036854775808",  # 2^63: no id column holds it
    "9" * 40,
    "-1",
    "0",
    "a\x00b",
    "\x1b[2J\x07\x7f",
    "../../../etc/passwd",
    "x" * 5_000,
    "0001-01-01",
    "9999-12-31",
    "東風 Ünïcödé 🙂 \u202e\ufeff",
    "' OR '1'='1",
    "<script>alert(1)</script>",
    "1e309",
    " ",
    "[" * 1000,
]
JSON_HOSTILE = [*HOSTILE, 2**63, 2**64, -1, 0, 10**400, 1.5, -1e308, True, None, [], {}, [[[[[[]]]]]], "\ud800"]
RAW_BODIES = [b"[" * 100_000, b"{" * 100_000, b'{"a":' * 50_000, b"\xff\xfe\x00", b'{"po_number": "\\ud800"}',
              b"1e999999", b"null", b"[]", b"{}", b'{"x": "' + b"y" * 300_000 + b'"}', b"not json"]
PATH_PARAMETER = re.compile(r"<([^<>]*:)?(\w+)>")
# A row id in a path (``<id:…>``) that is not digits is refused by the route's pattern (404) before anything
# runs: only numbers reach its converter.
ID_HOSTILE = ["9223372036854775808", "9" * 40, "0", "-1"]
READ: set[str] = set()  # the parameter names the current request looked up


class RecordingDict(ImmutableMultiDict):
    """The request's args and form, noting every name a view (or its form) looks up."""

    def __contains__(self, key):
        READ.add(key)
        return super().__contains__(key)

    def __getitem__(self, key):
        READ.add(key)
        return super().__getitem__(key)

    def get(self, key, default=None, type=None):  # noqa: A002 - the MultiDict signature
        READ.add(key)
        return super().get(key, default, type)

    def getlist(self, key, type=None):  # noqa: A002
        READ.add(key)
        return super().getlist(key, type)


@dataclass
class Actor:
    name: str
    client: object
    user: object | None = None
    secret: str | None = None
    csrf: str = ""
    ids: dict = field(default_factory=dict)

    @property
    def bearer(self) -> dict:
        return {"Authorization": f"Bearer {self.secret}"} if self.secret else {}


@dataclass
class Walk:
    failures: list[str] = field(default_factory=list)
    requests: int = 0
    errors: list[logging.LogRecord] = field(default_factory=list)
    writes: list[str] = field(default_factory=list)  # INSERT/UPDATE/DELETE run by the current request


WRITE = re.compile(r"\s*(INSERT|UPDATE|DELETE)\b", re.I)


class _Keep(logging.Handler):
    def __init__(self, walk: Walk):
        super().__init__(logging.ERROR)
        self.walk = walk

    def emit(self, record):
        self.walk.errors.append(record)


@pytest.fixture
def production_like(app, monkeypatch):
    """The session's app as production runs it: unexpected errors answer 500 pages, CSRF is checked; the
    request's parameter dicts record what is looked up. The sign-in limits are raised (they are not what is
    walked here, and 429 is no 5xx anyway)."""
    for key, value in {"TESTING": False, "PROPAGATE_EXCEPTIONS": False, "WTF_CSRF_ENABLED": True,
                       "LOGIN_LIMIT_PER_IP": "100000 per minute",
                       "LOGIN_LIMIT_PER_ACCOUNT": "100000 per minute"}.items():
        monkeypatch.setitem(app.config, key, value)
    monkeypatch.setattr(app, "request_class", type("Recording", (app.request_class,),
                                                   {"parameter_storage_class": RecordingDict}))
    # thousands of sign-in and password attempts: argon2 with the lightest settings (the hashes carry them)
    fast = PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)
    monkeypatch.setattr(passwords, "_hasher", fast)
    monkeypatch.setattr(passwords, "_DUMMY", fast.hash("not-a-real-password"))
    return app


@pytest.fixture
def world(db, production_like):
    """Rows for every path parameter: a partner with its people, a product with a link, orders in the states
    the order pages act on, a return waiting, cart lines, notices and API tokens."""
    hashed = passwords.hash_password(factories.PASSWORD)  # the light settings of ``production_like``
    # zones far east and west of UTC: a day at the calendar's ends is past it once made a time in the zone
    manager = factories.vendor(Role.CHANNEL_MANAGER, password_hash=hashed, timezone="Pacific/Kiritimati")
    tier = Tier(name=f"Walk tier {uuid.uuid4().hex[:6]}", rank=1, discount_bp=500)
    db.session.add(tier)
    db.session.flush()
    partner = factories.PartnerFactory(channel_manager_id=manager.id, tier_id=tier.id)
    people = {Role.ADMIN: factories.vendor(Role.ADMIN, password_hash=hashed, timezone="Asia/Shanghai"),
              Role.CHANNEL_MANAGER: manager,
              Role.TRAINER: factories.vendor(Role.TRAINER, password_hash=hashed),
              Role.PARTNER_ADMIN: factories.partner_user(partner, Role.PARTNER_ADMIN, password_hash=hashed,
                                                         timezone="America/Los_Angeles"),
              Role.PARTNER_USER: factories.partner_user(partner, password_hash=hashed, timezone="Asia/Shanghai")}
    buyer = people[Role.PARTNER_USER]
    victim = factories.partner_user(partner, password_hash=hashed)
    category = factories.CategoryFactory()
    product = factories.ProductFactory(category=category, stock_on_hand=100_000)
    link = ProductLink(product_id=product.id, title="Guide", url="https://example.test/guide")
    db.session.add(link)
    orders = {status: factories.order_with_line(buyer, product, status=status)
              for status in ("submitted", "approved", "shipped", "delivered")}
    returned = factories.order_with_line(buyer, product, status="delivered")
    waiting = ReturnRequest(order_id=returned.id, partner_id=partner.id, requested_by=buyer.id, reason="Broken",
                            number=f"R-{uuid.uuid4().hex[:8]}")
    db.session.add(waiting)
    db.session.flush()
    returned_line = db.session.query(OrderLine).filter_by(order_id=returned.id).one()
    db.session.add(ReturnLine(return_id=waiting.id, order_line_id=returned_line.id, quantity=1))
    delivered_line = db.session.query(OrderLine).filter_by(order_id=orders["delivered"].id).one()
    ids = {}
    for role, user in people.items():
        notice = Notification(user_id=user.id, event_key=f"walk:{user.id}", message="Hello", link="/")
        db.session.add(notice)
        token, secret = accounts.create_api_token(user, "walk")
        mine = {"notification_id": notice, "token_id": token, "secret": secret}
        if user.partner_id:
            line = CartLine(user_id=user.id, product_id=product.id, quantity=1)
            db.session.add(line)
            mine["line_id"] = line
        ids[role] = mine
    # the partner lifecycle: an application, an agreement, an evaluation shared with the partner, a tier review
    application = factories.ApplicationFactory()
    agreement = factories.AgreementFactory(partner=partner)
    evaluation = Evaluation(partner_id=partner.id, year=utcnow().year, quarter=1, status="shared",
                            kpis=evaluations.compute_kpis(partner.id, utcnow().year, 1))
    review = TierReview(kind="on_demand", status="done")
    db.session.add_all([evaluation, review])
    db.session.flush()
    change = TierChange(review_id=review.id, partner_id=partner.id, from_tier_id=tier.id, to_tier_id=tier.id,
                        direction="hold", revenue_cents=0, evidence={})
    db.session.add(change)
    db.session.flush()
    program = factories.rebate_program()  # rebates: a program with the SPEC's ladder
    db.session.commit()
    return {"people": people, "victim": victim, "partner": partner, "tier": tier, "product": product,
            "category": category, "link": link, "orders": orders, "return": waiting,
            "delivered_line": delivered_line, "ids": ids, "lifecycle": {
                "application_id": application.id, "agreement_id": agreement.id, "evaluation_id": evaluation.id,
                "review_id": review.id, "change_id": change.id, "step": "kpis", "decision": "dismiss",
                "program_id": program.id}}


def csrf_of(client) -> str:
    html = client.get("/account/").get_data(as_text=True)
    found = re.search(r'"X-CSRFToken": "([^"]+)"', html)
    if found is None:
        html = client.get("/login").get_data(as_text=True)
        found = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html)
    return found.group(1)


def sign_in(app, actor: Actor) -> None:
    client = actor.client
    token = csrf_of(client)
    response = client.post("/login", data={"email": actor.user.email, "password": factories.PASSWORD,
                                           "csrf_token": token})
    assert response.status_code == 303, response.status_code
    actor.csrf = csrf_of(client)


def actors(app, world) -> list[Actor]:
    out = [Actor("signed out", app.test_client())]
    out[0].csrf = csrf_of(out[0].client)
    for role, user in world["people"].items():
        mine = world["ids"][role]
        actor = Actor(role.value, app.test_client(), user, mine["secret"],
                      ids={name: row.id for name, row in mine.items() if name != "secret"})
        sign_in(app, actor)
        out.append(actor)
    return out


def may_use(actor: Actor, endpoint: str, view) -> bool:
    """Whether the role passes the view's permission check (the rest answer 401/403 before reading input)."""
    if actor.user is None:
        return getattr(view, "is_public", False) or endpoint == "static"
    needed = getattr(view, "required_permissions", None)
    return needed is not None and all(role_has(actor.user.role, p) for p in needed)


def path_values(world, actor: Actor, endpoint: str) -> dict:
    orders = world["orders"]
    order = orders["submitted"]
    if endpoint.endswith(("return", "return_form", "reorder")):
        order = orders["delivered"]
    elif endpoint.endswith("ship"):
        order = orders["approved"]
    elif endpoint.endswith("deliver"):
        order = orders["shipped"]
    return {"order_id": order.id, "product_id": world["product"].id, "category_id": world["category"].id,
            "tier_id": world["tier"].id, "link_id": world["link"].id, "user_id": world["victim"].id,
            "partner_id": world["partner"].id, "return_id": world["return"].id, "kind": "image",
            "secret": "no-such-link", "filename": "css/portal.css", "line_id": 1, **world["lifecycle"],
            **actor.ids}


def baseline(world) -> dict[str, str]:
    """Valid values for the parameters the portal's views read (a view whose other fields are valid gets as
    far as the parameter under attack). Names not listed here are still attacked, with nothing beside them."""
    tier, category = world["tier"].id, world["category"].id
    tomorrow = (utcnow().date() + timedelta(days=1)).isoformat()
    return {
        # checkout, cart, orders
        "idempotency_key": str(uuid.uuid4()), "po_number": "PO-1", "requested_date": tomorrow, "notes": "n",
        "address_id": "new", "label": "Depot", "lines": "1 Road", "city": "Rotterdam", "postcode": "3011",
        "country": "NL", "product_id": str(world["product"].id), "quantity": "1", "reason": "r",
        f"quantity-{world['delivered_line'].id}": "1", "carrier": "DHL", "tracking": "123",
        "cancel_reason": "r", "decline_reason": "r", "restock": "1",
        # filters
        "q": "router", "page": "2", "tab": "all", "sort": "price", "category": str(category), "tier": str(tier),
        "in_stock": "1", "status": "active", "type": "reseller", "role": "partner_user", "from": "2024-01-01",
        "to": "2030-01-01", "po": "PO", "sku": "SKU", "action": "order.", "entity_type": "Order",
        "actor": "someone@example.test", "since": "2024-01-01", "until": "2030-01-01",
        # accounts
        "email": "nobody@example.test", "password": "not the password", "remember": "y", "name": "Name",
        "locale": "en", "timezone": "UTC", "current_password": "not the password",
        "new_password": "a long new password 1", "confirm": "a long new password 1",
        "partner_id": str(world["partner"].id), "next": "/",
        # partners
        "region": "EMEA", "status_reason": "r", "channel_manager_id": "",
        # catalogue admin
        "description": "d", "category_id": str(category), "list_price": "10.00", "currency": "USD",
        "unit": "each", "stock_on_hand": "5", "min_order_qty": "1", "active": "y", "title": "Guide",
        "url": "https://example.test/", "link-title": "Guide", "link-url": "https://example.test/",
        f"tier{tier}-price": "9.00", f"tier{tier}-discount": "5", f"cat{category}-name": "Renamed",
        "price": "9.00", "discount": "5", "auto_approval_limit": "5000",
    }


FILE_FIELDS = {"image", "datasheet", "file"}


def form_data(values: dict) -> dict:
    """Form fields; an upload field gets a file whose name and content are the value."""
    return {name: (io.BytesIO(str(value).encode("utf-8", "replace")), str(value)[:200] or "f")
            if name in FILE_FIELDS else value for name, value in values.items()}


def fill(rule: str, values: dict) -> str:
    return PATH_PARAMETER.sub(lambda m: quote(str(values.get(m.group(2), 1)), safe=""), rule)


def send(walk: Walk, actor: Actor, method: str, url: str, what: str, **kwargs):
    """One request; a 5xx is a failure (with the logged exception, if any)."""
    READ.clear()
    walk.writes.clear()
    before = len(walk.errors)
    headers = kwargs.pop("headers", {})
    if method != "GET":
        headers = {"X-CSRFToken": actor.csrf, **headers}
        if isinstance(kwargs.get("data"), dict):
            kwargs["data"] = {**kwargs["data"], "csrf_token": actor.csrf}
    response = actor.client.open(url, method=method, headers=headers, **kwargs)
    walk.requests += 1
    status = response.status_code
    response.close()
    if method == "GET" and walk.writes:
        walk.failures.append(f"{actor.name} GET {url[:120]} [{what[:80]}] wrote: {walk.writes[0][:120]}")
    if status >= 500:
        logged = walk.errors[before:]
        cause = ""
        if logged and logged[-1].exc_info:
            exc = logged[-1].exc_info[1]
            cause = f"{type(exc).__name__}: {str(exc)[:200]}"
        walk.failures.append(f"{actor.name} {method} {url[:120]} [{what[:80]}] → {status} {cause}")
    return response


def signed_out(response) -> bool:
    return response.status_code in (302, 401) and "/login" in response.headers.get("Location", "/login")


# The values each parameter gets on its own (every value goes into all parameters at once as well).
ALONE = ["9223372036854775808", "-1", "a\x00b", "x" * 5_000, "0001-01-01", "9999-12-31", "東風 🙂 \u202e"]


def walk_web(app, world, walk: Walk, people: list[Actor], blueprint: str) -> None:
    """Each route of ``blueprint`` and method: the first role that may use it gets everything (each parameter
    the view reads alone, all at once, each path parameter), the other roles that may use it all at once, and
    the roles that may not one request (their 401/403)."""
    valid = baseline(world)
    rules = sorted((rule for rule in app.url_map.iter_rules() if rule.endpoint.partition(".")[0] == blueprint),
                   key=lambda rule: (rule.endpoint == "auth.logout", rule.rule))  # signing out last
    for rule in rules:
        view = app.view_functions[rule.endpoint]
        for method in sorted(rule.methods & {"GET", "POST"}):
            allowed = [actor for actor in people if may_use(actor, rule.endpoint, view)]
            for actor in people:
                path = path_values(world, actor, rule.endpoint)
                url = fill(rule.rule, path)
                carry = "query_string" if method == "GET" else "data"

                def attack(values: dict, what: str, target: str = url, method=method, carry=carry, actor=actor):
                    payload = form_data(values) if carry == "data" else values
                    response = send(walk, actor, method, target, what, **{carry: payload})
                    if actor.user is not None and signed_out(response):
                        sign_in(app, actor)  # e.g. after signing out: walk on signed in
                    return READ - {"csrf_token"}

                read = attack({}, "nothing")
                if actor not in allowed:
                    continue
                for value in HOSTILE if actor is allowed[0] else ALONE:  # every name the portal knows, at once
                    read |= attack({name: value for name in set(valid) | read}, f"all = {value!r}")
                if actor is not allowed[0]:
                    continue
                for name in sorted(read):  # each name the view read, alone
                    for value in ALONE:
                        attack({**{n: valid[n] for n in read if n in valid}, name: value}, f"{name} = {value!r}")
                for converter, name in PATH_PARAMETER.findall(rule.rule):  # each path parameter
                    for value in ID_HOSTILE if converter == "id:" else HOSTILE:
                        attack({}, f"<{name}> = {value!r}", fill(rule.rule, {**path, name: value}))


def api_body(world, operation) -> dict:
    """A valid body for the operation's model."""
    name = operation.body.__name__
    if name == "OrderCreate":
        return {"lines": [{"sku": world["product"].sku, "quantity": 1}], "po_number": "PO-API",
                "requested_date": (utcnow().date() + timedelta(days=1)).isoformat(), "notes": "",
                "address": {"label": "D", "lines": "1 Road", "city": "Utrecht", "postcode": "3511", "country": "NL"}}
    if name == "MeUpdate":
        return {"name": "Name"}
    return {}


def places(body: dict, prefix: tuple = ()) -> list[tuple]:
    """Every place in a body to put a value: keys of objects, first items of lists."""
    found = []
    for key, value in body.items():
        here = (*prefix, key)
        found.append(here)
        if isinstance(value, dict):
            found += places(value, here)
        elif isinstance(value, list) and value and isinstance(value[0], dict):
            found += places(value[0], (*here, 0))
    return found


def put(body, place: tuple, value):
    body = json.loads(json.dumps(body))
    target = body
    for step in place[:-1]:
        target = target[step]
    target[place[-1]] = value
    return body


def walk_api(app, world, walk: Walk, people: list[Actor]) -> None:
    """Each API operation: the first role that may use it gets every value in each query parameter (alone and
    all together), the Idempotency-Key header, each path parameter and each place of the body, plus raw bodies
    (too large, too deep, not JSON); the other roles that may use it the query all at once and the raw bodies;
    the rest (and no token) one request."""
    for operation in OPERATIONS:
        rule = "/api/v1" + operation.rule
        allowed = [actor for actor in people if actor.user is not None and (
            operation.permission is None or role_has(actor.user.role, operation.permission))]
        for actor in people:
            path = path_values(world, actor, operation.endpoint)
            url = fill(rule, path)
            headers = {**actor.bearer, "Idempotency-Key": f"walk-{uuid.uuid4()}"}
            body = api_body(world, operation) if operation.body is not None else None

            def call(what: str, target: str = url, actor=actor, method=operation.method, sent=headers, **kwargs):
                kwargs["headers"] = {**sent, **kwargs.get("headers", {})}
                return send(walk, actor, method, target, what, **kwargs)

            call("nothing", json=body)
            if actor not in allowed:
                continue
            query_names = [f.alias or name for name, f in operation.query.model_fields.items()] \
                if operation.query is not None else []
            for value in HOSTILE:
                if query_names:
                    call(f"query all = {value!r}", query_string={name: value for name in query_names})
            for raw in RAW_BODIES if body is not None else ():
                call(f"raw {raw[:20]!r}", data=raw, headers={"Content-Type": "application/json"})
            if actor is not allowed[0]:
                continue
            for value in HOSTILE:
                for name in query_names:
                    call(f"query {name} = {value!r}", query_string={name: value})
                if operation.method == "POST" and all(32 <= ord(c) < 127 for c in value) and len(value) < 4000:
                    call(f"Idempotency-Key = {value!r}", headers={"Idempotency-Key": value}, json=body)
                for converter, name in PATH_PARAMETER.findall(rule):
                    if converter != "id:" or value in ID_HOSTILE:
                        call(f"<{name}> = {value!r}", fill(rule, {**path, name: value}), json=body)
            for value in JSON_HOSTILE if body is not None else ():
                for place in places(body):
                    call(f"{'.'.join(map(str, place))} = {value!r}"[:100], json=put(body, place, value))


# Every blueprint of the app, walked one per test (they run in parallel); a test below fails when a new
# blueprint is not in this list.
BLUEPRINTS = ["account", "announcements", "api", "applications", "audit", "auth", "cart", "catalogue",
              "catalogue_admin", "courses", "deal_review", "deals", "evaluations", "main", "mdf", "notifications",
              "order_queue", "orders", "partners", "rebates", "rebates_admin", "resources", "static", "stock_alerts",
              "tiers", "training_admin", "users"]


def test_the_walk_covers_every_blueprint(app):
    assert sorted({rule.endpoint.partition(".")[0] for rule in app.url_map.iter_rules()}) == BLUEPRINTS


@pytest.mark.pg
@pytest.mark.parametrize("blueprint", BLUEPRINTS)
def test_no_input_anywhere_answers_a_server_error(production_like, world, db, blueprint):
    app = production_like
    walk = Walk()
    keep = _Keep(walk)
    logger = logging.getLogger("portal.blueprints.errors")
    logger.addHandler(keep)

    def note_write(conn, cursor, statement, *args):
        if WRITE.match(statement):
            walk.writes.append(statement)

    event.listen(db.engine, "before_cursor_execute", note_write)
    try:
        people = actors(app, world)
        if blueprint == "api":
            walk_api(app, world, walk, people)
        else:
            walk_web(app, world, walk, people, blueprint)
    finally:
        event.remove(db.engine, "before_cursor_execute", note_write)
        logger.removeHandler(keep)
    assert walk.requests > 10  # the walk reached the routes, roles and values
    assert walk.failures == [], f"{len(walk.failures)} of {walk.requests} requests answered 5xx:\n" + "\n".join(
        walk.failures[:60])
