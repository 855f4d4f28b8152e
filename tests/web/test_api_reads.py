"""A GET writes nothing: when an API token was last used is recorded by a worker, outside the request. API
reads then keep answering while orders are written at the same moment (SQLite refused a read transaction that
wanted to write once another writer had committed: "database is locked", a 500)."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import event, select

from portal.accounts import service as accounts
from portal.accounts.models import ApiToken
from portal.core.time import utcnow
from portal.orders.models import Order
from tests import factories
from tests.web.test_api import bearer
from tests.web.test_checkout_concurrency import all_at_once

WRITE = re.compile(r"\s*(INSERT|UPDATE|DELETE)\b", re.I)


def writes_during(db, call) -> list[str]:
    """The INSERT/UPDATE/DELETE statements run while ``call()`` runs."""
    seen: list[str] = []

    def note(conn, cursor, statement, *args):
        if WRITE.match(statement):
            seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", note)
    try:
        call()
    finally:
        event.remove(db.engine, "before_cursor_execute", note)
    return seen


@pytest.mark.pg
def test_an_api_read_writes_nothing_and_a_worker_records_when_the_token_was_used(db, client, run_jobs):
    user = factories.partner_user()
    row, secret = accounts.create_api_token(user, "ERP")
    db.session.commit()
    responses = []
    assert writes_during(db, lambda: responses.append(client.get("/api/v1/me", headers=bearer(secret)))) == []
    assert responses[0].status_code == 200
    db.session.refresh(row)
    assert row.last_used_at is None
    assert run_jobs() == 1
    db.session.refresh(row)
    assert utcnow() - row.last_used_at < timedelta(minutes=1)


@pytest.mark.pg
def test_a_token_used_again_soon_is_not_recorded_again(db, client, run_jobs):
    user = factories.partner_user()
    row, secret = accounts.create_api_token(user, "ERP")
    db.session.commit()
    for _ in range(5):
        assert client.get("/api/v1/products", headers=bearer(secret)).status_code == 200
    assert run_jobs() == 1  # one job for five reads
    db.session.refresh(row)
    first = row.last_used_at
    assert client.get("/api/v1/me", headers=bearer(secret)).status_code == 200
    assert run_jobs() == 0
    db.session.refresh(row)
    assert row.last_used_at == first


@pytest.mark.pg
def test_an_older_report_of_use_never_moves_the_time_back(db):
    user = factories.partner_user()
    row, _secret = accounts.create_api_token(user, "ERP")
    now = utcnow()
    assert accounts.record_token_use(row.id, now)
    assert not accounts.record_token_use(row.id, now - timedelta(hours=1))
    db.session.refresh(row)
    assert row.last_used_at == now


def test_api_reads_answer_while_orders_are_written_at_the_same_moment(live_app):
    """~10 fresh tokens read (3 times each) while 30 orders are placed through the API: no 500."""
    from rq import SimpleWorker

    from portal.core.queue import connection, get_queue
    from portal.extensions import db

    connection(live_app).flushdb()  # no "recently recorded" marks of another test's tokens with the same ids
    with live_app.app_context():
        partner = factories.PartnerFactory()
        product = factories.ProductFactory(stock_on_hand=1_000, sku=f"RACE-{uuid.uuid4().hex[:6]}")
        readers = [accounts.create_api_token(factories.partner_user(partner), "reader")[1] for _ in range(10)]
        writers = [accounts.create_api_token(factories.partner_user(partner), "writer")[1] for _ in range(10)]
        db.session.commit()
        sku = product.sku
        db.session.remove()

    def order_body() -> dict:
        return {"lines": [{"sku": sku, "quantity": 1}], "po_number": "PO-RACE",
                "requested_date": (utcnow().date() + timedelta(days=2)).isoformat(),
                "address": {"lines": "1 Quay", "city": "Hamburg", "postcode": "20457", "country": "Germany"}}

    clients = [live_app.test_client() for _ in range(60)]
    reads = [lambda c=clients[i], s=readers[i % 10]: c.get("/api/v1/orders", headers=bearer(s))
             for i in range(30)]
    places = [lambda c=clients[30 + i], s=writers[i % 10]: c.post(
        "/api/v1/orders", json=order_body(), headers=bearer(s) | {"Idempotency-Key": f"race-{uuid.uuid4()}"})
        for i in range(30)]
    results = all_at_once([call for pair in zip(reads, places, strict=True) for call in pair])

    codes = sorted(code for code, _body in results)
    assert codes == [200] * 30 + [201] * 30, [body[:200] for code, body in results if code >= 500][:3]
    with live_app.app_context():
        assert db.session.scalar(select(db.func.count()).select_from(Order)) == 30
        SimpleWorker([get_queue(live_app)], connection=connection(live_app)).work(burst=True,
                                                                                  logging_level="ERROR")
        db.session.expire_all()
        used = db.session.scalars(select(ApiToken.last_used_at).where(ApiToken.name == "reader")).all()
        assert len(used) == 10 and all(used)
        db.session.remove()
