"""Rebate pages: the program editor with its ladder editor and live preview, calculation with progress,
statements for admins (filters, bulk approval, payment) and for partners (their own company's only)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from portal.core.audit import AuditEntry
from portal.core.permissions import Role
from portal.rebates import calculation
from portal.rebates.models import RebateProgram, RebateRung, RebateStatement
from tests import factories

HTMX = {"HX-Request": "true"}


def program_form(**overrides):
    data = {"name": "Spring rebate", "period_type": "quarter", "starts_on": "2026-01-01", "ends_on": "2026-12-31",
            "mode": "retroactive", "status": "draft", "currency": "USD",
            "rung_threshold": ["0", "100000", "250000", "500000"], "rung_rate": ["2", "5", "8", "10"]}
    data.update(overrides)
    return data


def test_an_admin_creates_a_program_with_its_ladder(client, db, admin):
    response = client.post("/admin/rebates/programs/new", data=program_form())
    assert response.status_code == 303
    program = db.session.scalar(select(RebateProgram).where(RebateProgram.name == "Spring rebate"))
    rungs = db.session.execute(select(RebateRung.threshold_cents, RebateRung.rate_thousandths)
                               .where(RebateRung.program_id == program.id).order_by(RebateRung.position)).all()
    assert rungs == [(0, 2000), (10_000_000, 5000), (25_000_000, 8000), (50_000_000, 10000)]


def test_an_invalid_ladder_is_refused_with_the_message_next_to_its_rung(client, db, admin):
    response = client.post("/admin/rebates/programs/new", data=program_form(
        name="", rung_threshold=["5", "100", "100"], rung_rate=["2", "101", "3.0001"]))
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    for field in ("rung-threshold-0-error", "rung-threshold-2-error", "rung-rate-1-error", "rung-rate-2-error",
                  "name-error"):
        assert f'id="{field}"' in html, field
    assert "The first rung starts at 0." in html
    assert db.session.scalar(select(RebateProgram)) is None


def test_the_ladder_editor_adds_a_rung_in_place_and_previews_both_modes(client, db, admin):
    response = client.post("/admin/rebates/ladder", headers=HTMX,
                           data=program_form(op="add", preview_revenue="300000"))
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert html.lstrip().startswith('<fieldset id="ladder"')  # only the editor, swapped in place
    assert html.count('name="rung_threshold"') == 5
    assert "$24,000.00" in html and "$13,500.00" in html  # the typed revenue, retroactive and incremental


def test_the_ladder_editor_removes_and_reorders_rungs(client, db, admin):
    html = client.post("/admin/rebates/ladder", headers=HTMX,
                       data=program_form(op="remove-2")).get_data(as_text=True)
    assert html.count('name="rung_threshold"') == 3 and 'value="100000"' not in html
    html = client.post("/admin/rebates/ladder", headers=HTMX, data=program_form(op="down-1")).get_data(as_text=True)
    assert "Each threshold must be higher than the one before." in html  # 100000 now comes first


def test_changes_to_an_active_program_are_audited_with_before_and_after(client, db, admin):
    program = factories.rebate_program(name="Active one", status="active")
    db.session.commit()
    response = client.post(f"/admin/rebates/programs/{program.id}", data=program_form(
        name="Active one", status="active", rung_rate=["2", "5", "9", "10"]))
    assert response.status_code == 303
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "rebate_program.changed"))
    assert entry.before["ladder"][2] == ["250000.00", "8"] and entry.after["ladder"][2] == ["250000.00", "9"]


def test_partners_cannot_reach_the_rebate_admin(client, db, login):
    user = factories.partner_user(factories.PartnerFactory())
    db.session.commit()
    login(user)
    assert client.get("/admin/rebates/programs").status_code == 403
    assert client.post("/admin/rebates/ladder", data=program_form()).status_code == 403


@pytest.fixture
def calculated(db, run_jobs):
    admin = factories.vendor(name="Rita Rebates")
    partner = factories.PartnerFactory(name="Acme Trading")
    seller = factories.partner_user(partner, role=Role.PARTNER_ADMIN, name="Sam Seller")
    other = factories.partner_user(factories.PartnerFactory(name="Other Ltd"))
    program = factories.rebate_program()
    factories.delivered_order(seller, 30_000_000, datetime(2026, 2, 1, tzinfo=UTC))
    factories.delivered_order(other, 1_000_000, datetime(2026, 2, 1, tzinfo=UTC))
    db.session.commit()
    calculation.start(admin, program.id, date(2026, 1, 1))
    db.session.commit()
    run_jobs()
    mine = db.session.scalar(select(RebateStatement).where(RebateStatement.partner_id == partner.id))
    theirs = db.session.scalar(select(RebateStatement).where(RebateStatement.partner_id != partner.id))
    return {"admin": admin, "seller": seller, "other": other, "program": program, "mine": mine, "theirs": theirs}


def test_calculate_shows_a_progress_bar_then_the_summary(client, db, login, run_jobs):
    admin = factories.vendor()
    program = factories.rebate_program()
    seller = factories.partner_user(factories.PartnerFactory())
    factories.delivered_order(seller, 30_000_000, datetime(2026, 2, 1, tzinfo=UTC))
    db.session.commit()
    login(admin)
    response = client.post(f"/admin/rebates/programs/{program.id}/calculate", data={"period": "2026-01-01"})
    assert response.status_code == 303
    again = client.post(f"/admin/rebates/programs/{program.id}/calculate", data={"period": "2026-01-01"})
    assert again.headers["Location"] == response.headers["Location"]  # the same run, not a second one
    page = client.get(response.headers["Location"], headers=HTMX).get_data(as_text=True)
    assert "<progress" in page and 'hx-trigger="every 1s"' in page
    assert "Reading the period's delivered orders and returns" in page  # no partner count known yet
    run_jobs()
    done = client.get(response.headers["Location"], headers=HTMX).get_data(as_text=True)
    assert "<progress" not in done and "1 draft statement, $24,000.00 in total." in done


def test_bulk_approval_tells_the_partner_and_the_partner_sees_the_statement(client, db, login, calculated, outbox,
                                                                           run_jobs):
    login(calculated["admin"])
    listing = client.get("/admin/rebates/statements?status=draft").get_data(as_text=True)
    assert calculated["mine"].number in listing and calculated["theirs"].number in listing
    response = client.post("/admin/rebates/statements/approve",
                           data={"statement_ids": [str(calculated["mine"].id), str(calculated["theirs"].id)]})
    assert response.status_code == 303
    run_jobs()
    assert any(calculated["mine"].number in m["Subject"] for m in outbox())
    client.post("/logout")
    login(calculated["seller"])
    page = client.get("/rebates/").get_data(as_text=True)
    assert calculated["mine"].number in page and calculated["theirs"].number not in page
    detail = client.get(f"/rebates/statements/{calculated['mine'].id}").get_data(as_text=True)
    assert "$24,000.00" in detail and "$300,000.00" in detail


def test_another_partners_statement_and_drafts_are_404(client, db, login, calculated):
    login(calculated["seller"])
    assert client.get(f"/rebates/statements/{calculated['theirs'].id}").status_code == 404
    assert client.get(f"/rebates/statements/{calculated['mine'].id}").status_code == 404  # still a draft


def test_an_approved_statement_is_marked_paid_with_reference_and_date(client, db, login, calculated):
    from portal.rebates import statements

    statements.approve(calculated["admin"], [calculated["mine"].id])
    db.session.commit()
    login(calculated["admin"])
    response = client.post(f"/admin/rebates/statements/{calculated['mine'].id}/paid",
                           data={"reference": "WIRE-881", "paid_on": "2026-04-20"})
    assert response.status_code == 303
    db.session.expire_all()
    paid = db.session.get(RebateStatement, calculated["mine"].id)
    assert (paid.status, paid.payment_reference, paid.paid_on) == ("paid", "WIRE-881", date(2026, 4, 20))


def test_the_partner_sees_what_they_earn_this_period_with_the_way_to_the_next_rung(client, db, login):
    today = datetime.now(UTC).date()
    factories.rebate_program(starts_on=f"{today.year}-01-01", ends_on=f"{today.year}-12-31")
    seller = factories.partner_user(factories.PartnerFactory())
    factories.delivered_order(seller, 12_000_000, datetime.now(UTC))
    db.session.commit()
    login(seller)
    page = client.get("/rebates/").get_data(as_text=True)
    assert "$120,000.00" in page and "$6,000.00" in page  # 5 % of 120,000
    assert "$130,000.00 more to reach 8 %." in page


def test_rebate_list_pages_run_few_queries(client, db, login, calculated, count_queries):
    login(calculated["admin"])
    with count_queries() as admin_list:
        assert client.get("/admin/rebates/statements").status_code == 200
    with count_queries() as programs:
        assert client.get("/admin/rebates/programs").status_code == 200
    assert admin_list.count <= 8 and programs.count <= 8, (admin_list.statements, programs.statements)


def test_the_partner_downloads_the_statement_as_csv_and_as_a_pdf_with_a_chinese_name(client, db, login, calculated):
    from portal.rebates import statements

    calculated["seller"].partner.name = "上海云桥科技有限公司"
    statements.approve(calculated["admin"], [calculated["mine"].id])
    db.session.commit()
    login(calculated["seller"])
    csv = client.get(f"/rebates/statements/{calculated['mine'].id}/statement.csv")
    assert csv.status_code == 200 and "300000.00" in csv.get_data(as_text=True)
    assert "24000.00" in csv.get_data(as_text=True)
    pdf = client.get(f"/rebates/statements/{calculated['mine'].id}/statement.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF")
    # the embedded font maps its glyphs back to Unicode (ToUnicode CMap): every character of the name has one
    cmap = next(m for m in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", pdf.data, re.S) if b"beginbfchar" in m)
    assert all(f"<{ord(ch):04X}>".encode() in cmap for ch in "上海云桥科技有限公司")
    assert client.get(f"/rebates/statements/{calculated['theirs'].id}/statement.pdf").status_code == 404


def test_without_a_cjk_font_the_pdf_link_says_so_and_the_csv_still_works(client, db, login, calculated, monkeypatch):
    from portal.rebates import documents, statements

    monkeypatch.setattr(documents, "FONT_PATHS", ())  # a machine where fonts-wqy-microhei is not installed
    statements.approve(calculated["admin"], [calculated["mine"].id])
    db.session.commit()
    login(calculated["seller"])
    pdf = client.get(f"/rebates/statements/{calculated['mine'].id}/statement.pdf")
    assert pdf.status_code == 303 and pdf.headers["Location"].endswith(f"/rebates/statements/{calculated['mine'].id}")
    page = client.get(pdf.headers["Location"]).get_data(as_text=True)
    assert "PDF statements need the fonts-wqy-microhei package" in page
    assert client.get(f"/rebates/statements/{calculated['mine'].id}/statement.csv").status_code == 200


@pytest.fixture
def earning(db):
    """A partner with 240,000 delivered this quarter on the SPEC's ladder (5 %), and a product in the cart."""
    today = datetime.now(UTC).date()
    factories.rebate_program(name="Growth rebate", starts_on=f"{today.year}-01-01", ends_on=f"{today.year}-12-31")
    seller = factories.partner_user(factories.PartnerFactory())
    factories.delivered_order(seller, 24_000_000, datetime.now(UTC))
    product = factories.ProductFactory(list_price_cents=1_000_000, stock_on_hand=100)
    from portal.orders import cart

    cart.add(seller, product.id, "2")  # 20,000 more: 260,000 reaches the 8 % rung
    db.session.commit()
    return seller


def test_the_cart_and_checkout_simulate_the_rebate_with_the_jobs_ladder_function(client, db, login, earning):
    from decimal import Decimal

    from portal.rebates import ladder, service

    login(earning)
    program = db.session.scalar(select(RebateProgram))
    expected = (ladder.payout("retroactive", service.rungs_of(program.id), Decimal("260000")).rebate_cents
                - ladder.payout("retroactive", service.rungs_of(program.id), Decimal("240000")).rebate_cents)
    assert expected == 880_000  # 20,800 − 12,000
    sentence = ("This order adds $20,000.00 to Growth rebate: you move from 5 % to 8 %, "
                "estimated rebate +$8,800.00.")
    assert sentence in client.get("/cart/").get_data(as_text=True)
    assert sentence in client.get("/checkout").get_data(as_text=True)


def test_the_dashboard_has_an_earnings_panel_with_the_way_to_the_next_rung(client, db, login, earning):
    login(earning)
    page = client.get("/").get_data(as_text=True)
    assert 'id="panel-earnings"' in page and "$10,000.00 more to reach 8 %." in page
