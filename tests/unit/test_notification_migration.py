"""Migration 0012: notifications written before it get their event back where the portal can tell it (the demo
welcome, order placed, order status, returns); any other keeps its text, unescaped once."""

from __future__ import annotations

import os
from datetime import UTC, date, datetime
from decimal import Decimal

import sqlalchemy as sa

from portal.notifications.params import plain, restore


def test_old_rows_get_their_event_back_or_keep_their_text_unescaped(tmp_path, redis_server, outbox_dir):
    from flask_migrate import upgrade

    from portal import create_app

    os.environ["INSTANCE_PATH"] = str(tmp_path)
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/old.db",
                      "REDIS_URL": redis_server, "OUTBOX_DIR": str(outbox_dir), "SECRET_KEY": "x"})
    now = datetime(2026, 11, 1, tzinfo=UTC)
    with app.app_context():
        from portal.extensions import db

        upgrade(revision="0010")
        with db.engine.begin() as conn:
            table = {name: sa.Table(name, sa.MetaData(), autoload_with=conn)
                     for name in ("partners", "users", "orders", "order_events", "notifications")}
            conn.execute(table["partners"].insert().values(id=1, name="Northwind", type="reseller", region="EMEA",
                                                           status="active", status_reason="", created_at=now))
            conn.execute(table["users"].insert().values(id=1, email="anna@x.test", name="Anna", role="partner_admin",
                                                        partner_id=1, active=True, timezone="UTC", created_at=now))
            conn.execute(table["orders"].insert().values(
                id=7, number="NW-7", partner_id=1, placed_by=1, idempotency_key="k", po_number='PO "7"',
                shipping_address="HQ", requested_date=date(2026, 11, 2), notes="", status="cancelled",
                currency="USD", total_cents=1234, created_at=now, carrier="", tracking_number=""))
            conn.execute(table["order_events"].insert(), [
                {"order_id": 7, "at": now, "actor_id": 1, "from_status": "", "to_status": "submitted", "note": ""},
                {"order_id": 7, "at": now, "actor_id": 1, "from_status": "submitted", "to_status": "cancelled",
                 "note": "Wrong model"}])
            conn.execute(table["notifications"].insert(), [
                {"id": 1, "user_id": 1, "event_key": "order-status:7:cancelled", "read": False, "created_at": now,
                 "message": "Order NW-7 (PO &#34;7&#34;) is cancelled: Wrong model", "link": "/orders/7"},
                {"id": 2, "user_id": 1, "event_key": "order-submitted:7", "read": False, "created_at": now,
                 "message": "Order NW-7 (PO &#34;7&#34;) is placed and waits for approval.", "link": "/orders/7"},
                {"id": 3, "user_id": 1, "event_key": "demo-welcome", "read": True, "created_at": now,
                 "message": "Welcome", "link": "/account/"},
                {"id": 4, "user_id": 1, "event_key": "deal:9", "read": False, "created_at": now,
                 "message": "Deal &#34;Acme&#34; &amp; co approved", "link": ""}])
        upgrade()
        with db.engine.connect() as conn:
            rows = {r.id: r for r in conn.execute(sa.text(
                "select id, template, params, message from notifications order by id"))}
            follows = conn.execute(sa.text("select follows_company_orders from users")).scalar()
        db.engine.dispose()
    import json

    cancelled = json.loads(rows[1].params)
    assert rows[1].template == "order_status" and cancelled["reason"] == "Wrong model"
    assert cancelled["order"]["$row"]["po_number"] == 'PO "7"' and cancelled["order"]["$row"]["status"] == "cancelled"
    placed = json.loads(rows[2].params)
    assert rows[2].template == "order_submitted" and placed["order"]["$row"]["status"] == "submitted"
    assert rows[3].template == "welcome"
    assert rows[4].template == "" and rows[4].message == 'Deal "Acme" & co approved'
    assert not follows


def test_parameters_are_plain_json_and_come_back_as_the_values_the_template_had():
    when = datetime(2026, 11, 1, 9, 30, tzinfo=UTC)
    stored = plain({"amount": Decimal("12.50"), "at": when, "on": date(2026, 12, 31), "n": 3, "names": ("a", "b"),
                    "html": __import__("markupsafe").Markup("<b>bold</b> &amp; plain")})
    assert stored == {"amount": {"$decimal": "12.50"}, "at": {"$datetime": "2026-11-01T09:30:00+00:00"},
                      "on": {"$date": "2026-12-31"}, "n": 3, "names": ["a", "b"], "html": "bold & plain"}
    back = restore(stored)
    assert back["amount"] == Decimal("12.50") and back["at"] == when and back["on"] == date(2026, 12, 31)
