"""Quarterly evaluations: KPIs computed by the portal, the manager's ratings and plan, shared (e-mailed)
with the partner, acknowledged by its partner admin; history per partner; tenancy."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from portal.core.audit import AuditEntry
from portal.core.permissions import Role
from portal.orders.models import Order, OrderLine
from portal.partners import evaluations
from portal.partners.models import Evaluation, EvaluationAction
from tests import factories

CONTROL = "Remove the control characters from this text: only tabs and line breaks are allowed."


def quarter_label(year: int, quarter: int) -> str:
    return f"{year}-{quarter}"


@pytest.fixture
def world(db):
    manager = factories.vendor(Role.CHANNEL_MANAGER, name="Max Manager")
    partner = factories.PartnerFactory(name="Northwind Test", channel_manager_id=manager.id)
    anna = factories.partner_user(partner, role=Role.PARTNER_ADMIN, name="Anna Admin")
    ben = factories.partner_user(partner, role=Role.PARTNER_USER, name="Ben User")
    db.session.commit()
    return {"manager": manager, "partner": partner, "anna": anna, "ben": ben}


def delivered(db, partner, cents: int, at: datetime, shipping_hours: int = 24) -> None:
    order = Order(partner_id=partner.id, idempotency_key=f"e{cents}-{at.timestamp()}", po_number="PO",
                  shipping_address="x", requested_date=at.date(), status="delivered", currency="USD",
                  total_cents=cents, created_at=at, shipping_seconds=shipping_hours * 3600, delivered_at=at)
    db.session.add(order)
    db.session.flush()
    db.session.add(OrderLine(order_id=order.id, sku="S", name="n", quantity=1, list_price_cents=cents,
                             net_unit_cents=cents, line_total_cents=cents))
    db.session.flush()


def test_kpis_are_computed_from_orders_and_the_agreement(db, world):
    partner = world["partner"]
    year, quarter = evaluations.previous_quarter(*evaluations.current_quarter())
    start = evaluations.quarter_start(year, quarter)
    previous_start = evaluations.quarter_start(*evaluations.previous_quarter(year, quarter))
    delivered(db, partner, 30_000_000, start + timedelta(days=10), shipping_hours=20)
    delivered(db, partner, 6_000_000, start + timedelta(days=40), shipping_hours=31)
    delivered(db, partner, 24_000_000, previous_start + timedelta(days=5))
    factories.AgreementFactory(partner=partner, starts_on=(start - timedelta(days=30)).date(),
                               ends_on=(start + timedelta(days=335)).date(), annual_target_cents=120_000_003)
    certified = factories.partner_user(partner)  # certified during the quarter, valid at its end
    factories.certificate(certified, factories.certification([factories.course()]), issued_at=start + timedelta(days=3))
    kpis = evaluations.compute_kpis(partner.id, year, quarter)
    assert kpis["revenue_cents"] == 36_000_000 and kpis["previous_revenue_cents"] == 24_000_000
    assert kpis["target_cents"] == 30_000_001  # ¼ of 1,200,000.03, half-up to the cent
    assert kpis["revenue_vs_target"] == "120.0"
    assert kpis["growth"] == "50.0"
    assert kpis["processing_seconds"] == int(25.5 * 3600)
    assert kpis["certified"] == 1 and kpis["deal_win_rate"] is None  # no deal closed
    assert kpis["mdf_roi"] is None  # MDF is measured, but this partner had no claim paid in the quarter
    assert kpis["measured"] == {"certified": True, "deal_win_rate": True, "mdf_roi": True}


def test_growth_without_revenue_in_the_previous_quarter_is_not_a_number(db, world):
    year, quarter = evaluations.current_quarter()
    kpis = evaluations.compute_kpis(world["partner"].id, year, quarter)
    assert kpis["growth"] is None and kpis["target_cents"] is None and kpis["processing_seconds"] is None


def test_manager_writes_shares_and_the_partner_admin_acknowledges(client, db, login, world, run_jobs, outbox):
    partner, manager = world["partner"], world["manager"]
    login(manager)
    year, quarter = evaluations.current_quarter()
    response = client.post(f"/partners/{partner.id}/evaluations", data={"period": quarter_label(year, quarter)})
    assert response.status_code == 303
    evaluation = db.session.scalar(select(Evaluation))
    url = f"/partners/{partner.id}/evaluations/{evaluation.id}"
    assert response.headers["Location"] == url
    page = client.get(url).get_data(as_text=True)
    # every KPI's area is part of the portal now: none is "not yet measured"
    assert "Revenue in the quarter" in page and "MDF ROI" in page and "not yet measured" not in page
    response = client.post(url, data={"customer_satisfaction": "4", "marketing_participation": "2",
                                      "notes": "Join the spring campaign.", "action-0": "Send two people to training",
                                      "due-0": "2027-03-31", "action-1": "", "due-1": ""})
    assert response.status_code == 303
    assert [(a.description, a.due_on.isoformat()) for a in db.session.scalars(select(EvaluationAction))] == [
        ("Send two people to training", "2027-03-31")]
    client.post("/logout")
    login(world["ben"])
    assert client.get(f"/partnership/evaluations/{evaluation.id}").status_code == 404  # a draft is not shared
    client.post("/logout")
    login(manager)
    assert client.post(f"{url}/share").status_code == 303
    db.session.refresh(evaluation)
    assert evaluation.status == "shared"
    assert client.post(url, data={"customer_satisfaction": "5", "marketing_participation": "5"}).status_code == 409
    run_jobs()
    assert sorted(m["To"] for m in outbox()) == sorted([world["anna"].email, world["ben"].email])

    client.post("/logout")
    login(world["ben"])
    page = client.get(f"/partnership/evaluations/{evaluation.id}").get_data(as_text=True)
    assert "Send two people to training" in page and "Join the spring campaign." in page
    assert "Acknowledge" not in page  # only the partner admin acknowledges
    assert client.post(f"/partnership/evaluations/{evaluation.id}/acknowledge").status_code == 403
    client.post("/logout")
    login(world["anna"])
    assert "1 evaluation waits for your acknowledgement." in client.get("/").get_data(as_text=True)
    assert client.post(f"/partnership/evaluations/{evaluation.id}/acknowledge").status_code == 303
    db.session.refresh(evaluation)
    assert (evaluation.status, evaluation.acknowledged_by) == ("acknowledged", world["anna"].id)
    actions = db.session.scalars(select(AuditEntry.action).where(AuditEntry.action.startswith("evaluation."))
                                 .order_by(AuditEntry.id)).all()
    assert actions == ["evaluation.created", "evaluation.shared", "evaluation.acknowledged"]
    assert f"{year} Q{quarter}" in client.get("/partnership").get_data(as_text=True)  # the history


def test_sharing_needs_both_ratings(client, db, login, world):
    login(world["manager"])
    year, quarter = evaluations.current_quarter()
    client.post(f"/partners/{world['partner'].id}/evaluations", data={"period": quarter_label(year, quarter)})
    evaluation = db.session.scalar(select(Evaluation))
    response = client.post(f"/partners/{world['partner'].id}/evaluations/{evaluation.id}/share")
    assert response.status_code == 422
    db.session.refresh(evaluation)
    assert evaluation.status == "draft"


@pytest.mark.parametrize(("data", "field", "message"), [
    ({"customer_satisfaction": "6"}, "customer_satisfaction", "Rate from 1 to 5."),
    ({"notes": "bad\x00"}, "notes", CONTROL),
    ({"action-0": "Do it", "due-0": "9999-12-31"}, "due-0", "Enter a date between 2000-01-01 and 2099-12-31."),
    ({"action-0": "", "due-0": "2027-01-01"}, "action-0", "Describe the action."),
    ({"action-0": "x" * 301, "due-0": "2027-01-01"}, "action-0", "At most 300 characters."),
])
def test_bad_evaluation_input_is_422_next_to_the_field(client, db, login, world, data, field, message):
    login(world["manager"])
    year, quarter = evaluations.current_quarter()
    client.post(f"/partners/{world['partner'].id}/evaluations", data={"period": quarter_label(year, quarter)})
    evaluation = db.session.scalar(select(Evaluation))
    form = {"customer_satisfaction": "", "marketing_participation": "", "notes": "", "action-0": "", "due-0": ""}
    response = client.post(f"/partners/{world['partner'].id}/evaluations/{evaluation.id}", data={**form, **data})
    assert response.status_code == 422
    assert f'id="{field}-error">{message}' in response.get_data(as_text=True)
    db.session.refresh(evaluation)
    assert evaluation.customer_satisfaction is None and evaluation.notes == ""


def test_one_evaluation_per_partner_and_quarter_and_only_offered_quarters(client, db, login, world):
    login(world["manager"])
    year, quarter = evaluations.current_quarter()
    path = f"/partners/{world['partner'].id}/evaluations"
    assert client.post(path, data={"period": quarter_label(year, quarter)}).status_code == 303
    assert client.post(path, data={"period": quarter_label(year, quarter)}).status_code == 409
    response = client.post(path, data={"period": "2099-1"})
    assert response.status_code == 422
    assert 'id="period-error">Choose one of the quarters offered.' in response.get_data(as_text=True)


def test_another_managers_partner_evaluations_are_404(client, db, login, world):
    evaluation = Evaluation(partner_id=world["partner"].id, year=2026, quarter=1, status="shared", kpis={},
                            customer_satisfaction=3, marketing_participation=3,
                            shared_at=datetime(2026, 4, 2, tzinfo=UTC))
    db.session.add(evaluation)
    stranger = factories.vendor(Role.CHANNEL_MANAGER)
    other_partner_admin = factories.partner_user(role=Role.PARTNER_ADMIN)
    db.session.commit()
    login(stranger)
    assert client.get(f"/partners/{world['partner'].id}/evaluations/{evaluation.id}").status_code == 404
    client.post("/logout")
    login(other_partner_admin)
    assert client.get(f"/partnership/evaluations/{evaluation.id}").status_code == 404
    assert client.post(f"/partnership/evaluations/{evaluation.id}/acknowledge").status_code == 404
