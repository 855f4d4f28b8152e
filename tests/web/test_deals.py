"""Deal registration, partner side: register (accepted even when another partner has the customer, told only
"under review"), the live hint that leaks nothing, my deals with filters, tenancy, extension, withdraw,
won / lost, a suspended partner is read-only, a terminated partner's deals are released."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.core.permissions import Role
from portal.core.time import utcnow
from portal.deals.models import Deal, DealEvent
from portal.partners import evaluations
from portal.partners.service import change_status
from tests import factories

EN = {"Accept-Language": "en"}
HX = {"HX-Request": "true", "Accept-Language": "en"}


def text(response) -> str:
    return response.get_data(as_text=True)


@pytest.fixture
def world(db):
    manager = factories.vendor(Role.CHANNEL_MANAGER, name="Mia Manager")
    other_manager = factories.vendor(Role.CHANNEL_MANAGER, name="Otto Manager")
    first = factories.PartnerFactory(name="First Channel Ltd", channel_manager=manager)
    second = factories.PartnerFactory(name="Second Channel Ltd", channel_manager=other_manager)
    product = factories.ProductFactory(sku="ROBO-ARM", name="Robot arm")
    world = {"manager": manager, "other_manager": other_manager, "first": first, "second": second,
             "product": product, "me": factories.partner_user(first, name="Fay First"),
             "colleague": factories.partner_user(first, Role.PARTNER_ADMIN, name="Cole League"),
             "rival": factories.partner_user(second, name="Rory Rival")}
    db.session.commit()
    return world


def form(**overrides) -> dict:
    data = {"customer_name": "Acme Robotics GmbH", "customer_domain": "https://www.acme-robotics.de/kontakt",
            "company_id": "", "contact_name": "Ann Buyer", "contact_email": "ann@acme-robotics.de",
            "region": "DACH", "estimated_value": "25,000.00",
            "expected_close": (utcnow().date() + timedelta(days=45)).isoformat(), "notes": "",
            "sku_1": "ROBO-ARM", "quantity_1": "4"}
    return data | overrides


def register(client, **overrides):
    return client.post("/deals/new", data=form(**overrides), headers=EN)


def test_partner_registers_a_deal_that_goes_to_review(client, db, login, world, notices):
    login(world["me"])
    response = register(client)
    assert response.status_code == 303
    deal = db.session.scalar(select(Deal).where(Deal.partner_id == world["first"].id))
    assert deal.status == "submitted" and deal.registered_by == world["me"].id
    assert deal.domain_key == "acme-robotics.de" and deal.name_key == "acmerobotics"
    assert deal.estimated_value_cents == 2_500_000 and deal.currency == "USD"
    page = text(client.get(response.headers["Location"], headers=EN))
    assert "Under review" in page and "Robot arm" in page
    assert any(deal.number in notice for notice in notices(world["manager"]))  # the reviewer is told


def test_every_field_problem_is_shown_at_once_and_nothing_is_written(client, db, login, world):
    login(world["me"])
    response = register(client, customer_name="", customer_domain="not a domain", company_id="91350100M000100Y44",
                        estimated_value="lots", expected_close="2001-01-01", sku_1="NOPE", region="")
    assert response.status_code == 422
    page = text(response)
    for message in ("Enter the customer&#39;s company name.", "Enter a website such as",
                    "This unified social credit code is not valid", "Enter an amount such as",
                    "The expected close date cannot be in the past.", "No product with this SKU",
                    "Enter the region."):
        assert message in page, message
    assert db.session.scalar(select(Deal.id)) is None


def test_a_valid_credit_code_is_kept_normalised(client, db, login, world):
    login(world["me"])
    assert register(client, company_id="9135 0100 M000 100Y43").status_code == 303
    assert db.session.scalar(select(Deal.company_id)) == "91350100M000100Y43"


def test_a_conflicting_registration_is_accepted_and_the_partner_learns_nothing_of_the_other(client, db, login,
                                                                                            world):
    factories.deal(world["rival"], "ACME Robotics AG", "acme-robotics.de", days_ago=2)
    db.session.commit()
    login(world["me"])
    response = register(client)
    assert response.status_code == 303
    mine = db.session.scalar(select(Deal).where(Deal.partner_id == world["first"].id))
    assert mine.status == "submitted" and mine.had_conflict
    page = text(client.get(response.headers["Location"], headers=EN))
    for leak in ("Second Channel", "Rory", "ACME Robotics AG", "conflict", "DR-"):
        assert leak not in page.replace(mine.number, ""), leak


def test_the_live_hint_says_only_that_a_similar_customer_may_exist(client, db, login, world):
    other = factories.deal(world["rival"], "北京字節跳動科技有限公司", "bytedance.com", days_ago=1)
    db.session.commit()
    login(world["me"])
    similar = text(client.get("/deals/hint", query_string={"customer_name": "北京字节跳动科技"}, headers=HX))
    assert "similar customer may already exist" in similar
    for leak in ("Second Channel", "Rory", other.number, "bytedance", "字節", str(other.id)):
        assert leak not in similar, leak
    by_domain = text(client.get("/deals/hint", query_string={"customer_name": "Zzz", "customer_domain":
                                                             "sales@bytedance.com"}, headers=HX))
    assert "similar customer may already exist" in by_domain
    unrelated = text(client.get("/deals/hint", query_string={"customer_name": "Initech"}, headers=HX))
    assert "similar customer" not in unrelated


def test_a_near_identical_earlier_customer_is_found_behind_many_newer_names_with_the_same_start(client, db, login,
                                                                                              world):
    from portal.deals import matching, service

    earlier = factories.deal(world["rival"], "Acme Robotics", "acme-robotics.de", days_ago=30)
    now = utcnow()
    for i in range(service.CANDIDATES + 1):  # newer, sharing the first characters, far too long to be near
        keys = matching.keys_of(f"Acme Worldwide Industrial Supplies {i:03d}")
        db.session.add(Deal(partner_id=world["second"].id, customer_name=f"Acme Worldwide Industrial Supplies {i:03d}",
                            expected_close=now.date(), created_at=now, name_key=keys.name_key,
                            **matching.anchors(keys.name_key)))
    db.session.commit()
    found = service.find_conflicts(matching.keys_of("Acme Robotic"), matching.DEFAULT_THRESHOLD)  # not its last
    assert [(f.deal_id, f.match.reason) for f in found] == [(earlier.id, matching.SIMILAR_NAME)]  # characters
    login(world["me"])
    hint = text(client.get("/deals/hint", query_string={"customer_name": "Acme Robotic"}, headers=HX))
    assert "similar customer may already exist" in hint


@pytest.mark.pg
@pytest.mark.parametrize(("earlier", "later"), [
    ("Acme Robotics Industrial GmbH", "Acne Robotics Industrail"),
    ("中国科学院上海生命科学研究院营养科学研究所", "钟国科学院上海生命科学研究院营养科学研究索"),
])
def test_a_registration_with_typos_near_both_ends_conflicts_with_the_earlier_similar_name(client, db, login, world,
                                                                                          earlier, later):
    from portal.deals import matching, service

    first = factories.deal(world["rival"], earlier, "earlier-customer.com", days_ago=3)
    factories.deal(world["rival"], "Acme Foods Industrial", "acme-foods.com", days_ago=2)  # shares only a part
    db.session.commit()
    login(world["me"])
    response = register(client, customer_name=later, customer_domain="www.later-customer.cn", contact_email="")
    assert response.status_code == 303
    mine = db.session.scalar(select(Deal).where(Deal.partner_id == world["first"].id))
    assert mine.had_conflict
    found = service.find_conflicts(service.keys_of(mine), matching.DEFAULT_THRESHOLD, exclude_id=mine.id)
    assert [(f.deal_id, f.match.reason) for f in found] == [(first.id, matching.SIMILAR_NAME)]


def test_closed_registrations_no_longer_count_as_conflicts(client, db, login, world):
    factories.deal(world["rival"], "Acme Robotics", "acme-robotics.de", status="lost")
    factories.deal(world["rival"], "Acme Robotics", "acme-robotics.de", protection_days=-1)  # protection over
    db.session.commit()
    login(world["me"])
    assert "similar customer" not in text(client.get("/deals/hint", query_string={"customer_name": "Acme Robotics"},
                                                     headers=HX))


def test_another_partners_deal_is_404_on_every_page_and_action(client, db, login, world):
    theirs = factories.deal(world["rival"])
    db.session.commit()
    login(world["me"])
    assert client.get(f"/deals/{theirs.id}", headers=EN).status_code == 404
    for action in ("extend", "withdraw", "won", "lost"):
        assert client.post(f"/deals/{theirs.id}/{action}", data={"reason": "x"}, headers=EN).status_code == 404
    db.session.refresh(theirs)
    assert theirs.status == "submitted"


def test_my_deals_lists_the_companys_registrations_with_filters(client, db, login, world):
    mine = factories.deal(world["me"], "Mine Robotics")
    colleagues = factories.deal(world["colleague"], "Colleague Foods", protection_days=5)
    later = factories.deal(world["colleague"], "Later Widgets", protection_days=60)
    theirs = factories.deal(world["rival"], "Rival Motors")
    db.session.commit()
    login(world["me"])
    page = text(client.get("/deals/", headers=EN))
    assert all(d.customer_name in page for d in (mine, colleagues, later)) and theirs.customer_name not in page
    expiring = text(client.get("/deals/?expiry=expiring", headers=HX))
    assert colleagues.customer_name in expiring and later.customer_name not in expiring
    assert mine.customer_name not in expiring
    submitted = text(client.get("/deals/?status=submitted", headers=HX))
    assert mine.customer_name in submitted and colleagues.customer_name not in submitted
    assert 'data-label="Customer"' in page


def test_withdraw_before_approval_only(client, db, login, world):
    deal = factories.deal(world["me"])
    protected = factories.deal(world["me"], "Other Co", "other.com", protection_days=30)
    db.session.commit()
    login(world["me"])
    assert client.post(f"/deals/{deal.id}/withdraw", headers=EN).status_code == 303
    assert client.post(f"/deals/{protected.id}/withdraw", headers=EN).status_code == 409
    db.session.expire_all()
    assert db.session.get(Deal, deal.id).status == "withdrawn"
    assert db.session.get(Deal, protected.id).status == "approved"


def test_one_extension_of_the_protection_before_it_ends(client, db, login, world, notices):
    deal = factories.deal(world["me"], protection_days=10)
    ends = deal.protection_ends_at
    db.session.commit()
    login(world["me"])
    assert client.post(f"/deals/{deal.id}/extend", headers=EN).status_code == 303
    db.session.expire_all()
    assert db.session.get(Deal, deal.id).protection_ends_at == ends + timedelta(days=30)
    assert client.post(f"/deals/{deal.id}/extend", headers=EN).status_code == 409  # only once
    assert db.session.get(Deal, deal.id).protection_ends_at == ends + timedelta(days=30)
    assert any("extended by 30 days" in n for n in notices(world["me"]))


def test_a_deal_whose_protection_ended_cannot_be_extended(client, db, login, world):
    deal = factories.deal(world["me"], protection_days=-0.5)
    db.session.commit()
    login(world["me"])
    assert client.post(f"/deals/{deal.id}/extend", headers=EN).status_code == 409


def test_won_with_value_and_date_and_lost_with_a_reason_feed_the_win_rate(client, db, login, world):
    won, lost = factories.deal(world["me"], protection_days=20), factories.deal(world["me"], "B Co", "b.com",
                                                                                 protection_days=20)
    third = factories.deal(world["me"], "C Co", "c.com", protection_days=20)
    db.session.commit()
    login(world["me"])
    today = utcnow().date().isoformat()
    assert client.post(f"/deals/{won.id}/won", data={"won_value": "31,500.50", "won_on": today},
                       headers=EN).status_code == 303
    assert client.post(f"/deals/{lost.id}/lost", data={"reason": ""}, headers=EN).status_code == 422
    assert client.post(f"/deals/{lost.id}/lost", data={"reason": "Went with a competitor"},
                       headers=EN).status_code == 303
    future = (utcnow().date() + timedelta(days=3)).isoformat()
    response = client.post(f"/deals/{third.id}/won", data={"won_value": "1", "won_on": future}, headers=EN)
    assert response.status_code == 422 and "cannot be in the future" in text(response)
    db.session.expire_all()
    assert db.session.get(Deal, won.id).won_value_cents == 3_150_050
    assert db.session.get(Deal, lost.id).reason == "Went with a competitor"
    start, end = utcnow() - timedelta(days=1), utcnow() + timedelta(days=1)
    assert evaluations.deal_win_rate([world["first"].id], start, end) == {world["first"].id: evaluations.percent(1, 2)}
    year, quarter = evaluations.current_quarter()
    kpis = evaluations.compute_kpis(world["first"].id, year, quarter)
    assert kpis["deal_win_rate"] == "50.0" and kpis["measured"]["deal_win_rate"] is True


def test_a_suspended_partner_can_read_its_deals_but_not_register_or_change_them(client, db, login, world):
    deal = factories.deal(world["me"], protection_days=20)
    world["first"].status, world["first"].status_reason = "suspended", "Overdue invoices"
    db.session.commit()
    login(world["me"])
    assert client.get(f"/deals/{deal.id}", headers=EN).status_code == 200
    assert register(client, customer_name="New Customer", customer_domain="new.com").status_code == 403
    assert client.post(f"/deals/{deal.id}/extend", headers=EN).status_code == 403
    assert db.session.scalar(select(Deal.id).where(Deal.customer_name == "New Customer")) is None


def test_a_terminated_partners_open_registrations_are_released_and_block_nobody(client, db, login, world):
    admin = factories.vendor(name="Ada Admin")
    theirs = factories.deal(world["rival"], "Acme Robotics", "acme-robotics.de", protection_days=40)
    closed = factories.deal(world["rival"], "Old Co", "old.com", status="won")
    db.session.commit()
    change_status(admin, world["second"].id, "terminated", "Contract ended")
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Deal, theirs.id).status == "released"
    assert db.session.get(Deal, closed.id).status == "won"
    login(world["me"])
    assert "similar customer" not in text(client.get("/deals/hint", query_string={"customer_name": "Acme Robotics"},
                                                     headers=HX))
    assert register(client).status_code == 303
    assert not db.session.scalar(select(Deal).where(Deal.partner_id == world["first"].id)).had_conflict
    assert db.session.scalar(select(DealEvent.to_status).where(DealEvent.deal_id == theirs.id)
                             .order_by(DealEvent.id.desc()).limit(1)) == "released"


def test_vendor_staff_do_not_get_the_partner_pages(client, db, login, world):
    login(world["manager"])
    assert client.get("/deals/new", headers=EN).status_code == 403


def test_the_dashboard_shows_my_deals_with_protection_days_left(client, db, login, world):
    factories.deal(world["me"], "Protected Robotics", protection_days=9.5)
    db.session.commit()
    login(world["me"])
    page = text(client.get("/", headers=EN))
    assert "Your deals" in page and "Protected Robotics" in page and "9 days of protection left" in page
    assert "1 expires within 14 days" in page
