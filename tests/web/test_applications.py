"""Recruitment: the public "Become a partner" page, reviewers' scorecards, the decision."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from portal.accounts.models import User
from portal.core.audit import AuditEntry
from portal.core.inputs import MESSAGE
from portal.core.permissions import Role
from portal.partners import scorecard
from portal.partners.models import Application, ApplicationReview, Partner, ScorecardCriterion
from tests import factories

CONTROL = "Remove the control characters from this text: only tabs and line breaks are allowed."


def application_form(**changes) -> dict:
    data = {"company": "Acme Networks GmbH", "country": "Germany", "region": "EMEA", "partner_type": "reseller",
            "website": "https://www.acme-networks.example/", "company_id": "", "contact_name": "Ines Becker",
            "contact_email": "ines@acme-networks.example", "contact_phone": "+49 30 1234567",
            "employees": "51-200", "revenue_band": "10m-50m", "markets": "Germany, Austria",
            "industries": "Manufacturing, logistics", "certifications": "CCNP (3 engineers)",
            "motivation": "Our customers ask for your industrial routers."}
    data.update(changes)
    return data


def count(db, model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def actions(db, prefix: str) -> list[AuditEntry]:
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action.startswith(prefix))
                                   .order_by(AuditEntry.id)))


def criteria_ids(db) -> list[int]:
    return [c.id for c in scorecard.criteria()]


def scores_form(db, values: list[int], comment: str = "") -> dict:
    return {**{f"score-{cid}": str(v) for cid, v in zip(criteria_ids(db), values, strict=True)}, "comment": comment}


# --- the public page -------------------------------------------------------------------------------------

def test_anyone_can_apply_without_signing_in_and_is_emailed_a_confirmation(client, db, run_jobs, outbox):
    users_before = count(db, User)
    page = client.get("/apply")
    assert page.status_code == 200 and "Become a partner" in page.get_data(as_text=True)
    response = client.post("/apply", data=application_form())
    assert response.status_code == 303 and response.headers["Location"] == "/apply/received"
    application = db.session.scalar(select(Application))
    assert (application.company, application.domain, application.status) == (
        "Acme Networks GmbH", "acme-networks.example", "new")
    assert application.number in client.get("/apply/received").get_data(as_text=True)
    assert count(db, User) == users_before  # no account until an admin approves
    run_jobs()
    [mail] = outbox()
    assert mail["To"] == "ines@acme-networks.example"
    assert application.number in mail["Subject"]
    assert "ten working days" in mail.get_body(("plain",)).get_content()


def test_an_application_is_answered_in_the_language_it_was_sent_in(client, db, run_jobs, outbox):
    client.post("/apply", data=application_form(), headers={"Accept-Language": "zh-CN"})
    assert db.session.scalar(select(Application.locale)) == "zh_Hans"
    run_jobs()
    [mail] = outbox()
    assert "申请" in mail["Subject"]


def test_every_field_is_checked_at_once_and_nothing_is_written(client, db):
    response = client.post("/apply", data=application_form(
        company="", country="", region="MARS", partner_type="spy", website="not a site", company_id="ab",
        contact_name="", contact_email="nobody", contact_phone="call me", employees="lots", revenue_band="?",
        motivation=""))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    for name in ("company", "country", "region", "partner_type", "website", "company_id", "contact_name",
                 "contact_email", "contact_phone", "employees", "revenue_band", "motivation"):
        assert f'id="{name}-error"' in html, name
    assert 'id="motivation-error">Tell us why you want to partner with us.' in html
    assert count(db, Application) == 0


@pytest.mark.parametrize(("field", "value", "message"), [
    ("company", "Acme\x00 Networks", CONTROL),
    ("motivation", "Line one\x1b[31m red", CONTROL),
    ("company", "A" * 161, "At most 160 characters."),
    ("motivation", "x" * 4001, "At most 4000 characters."),
    ("website", "https://" + "a" * 300 + ".example", "At most 200 characters."),
    ("company_id", "9" * 41, "Enter the company ID with letters and digits only (4 to 40)."),
    ("contact_email", "ines@@example", "Enter a valid e-mail address."),
])
def test_abusive_or_oversized_input_is_refused_next_to_its_field(client, db, field, value, message):
    response = client.post("/apply", data=application_form(**{field: value}))
    assert response.status_code == 422
    assert f'id="{field}-error">{message}' in response.get_data(as_text=True)
    assert count(db, Application) == 0


def test_line_breaks_in_long_answers_are_kept(client, db):
    client.post("/apply", data=application_form(motivation="First,\r\nsecond."))
    assert db.session.scalar(select(Application.motivation)) == "First,\nsecond."


def test_html_in_an_application_is_shown_escaped_to_the_reviewer(client, db, admin):
    client.post("/apply", data=application_form(company="<script>alert(1)</script> Ltd",
                                                motivation="<b>bold</b> & <img src=x onerror=alert(1)>"))
    application = db.session.scalar(select(Application))
    html = client.get(f"/applications/{application.id}").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Ltd" in html
    assert "&lt;b&gt;bold&lt;/b&gt; &amp; &lt;img src=x onerror=alert(1)&gt;" in html


def test_the_public_form_is_rate_limited_per_address(client, app, db):
    limit = int(app.config["APPLY_LIMIT_PER_IP"].split()[0])
    for i in range(limit):
        assert client.post("/apply", data=application_form(company=f"Company {i}")).status_code == 303
    response = client.post("/apply", data=application_form(company="One too many"))
    assert response.status_code == 429
    assert count(db, Application) == limit
    assert client.get("/apply").status_code == 200  # reading the page is not limited


def test_the_public_form_needs_its_csrf_token(app, db):
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        response = app.test_client().post("/apply", data=application_form())
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert response.status_code == 400
    assert count(db, Application) == 0


# --- duplicates ------------------------------------------------------------------------------------------

def test_an_application_from_an_existing_partners_domain_is_flagged_to_the_reviewer(client, db, admin):
    partner = factories.PartnerFactory(name="Acme Networks", domain="acme-networks.example")
    db.session.commit()
    client.post("/apply", data=application_form(website="http://shop.ACME-networks.example"))
    client.post("/apply", data=application_form(website="https://www.acme-networks.example/about"))
    first, second = db.session.scalars(select(Application).order_by(Application.id))
    assert first.domain == "shop.acme-networks.example"  # another host: not the same domain
    html = client.get(f"/applications/{second.id}").get_data(as_text=True)
    assert "Possible duplicate" in html and "Same website domain as" in html
    assert f'href="/partners/{partner.id}">Acme Networks</a>' in html
    assert "possible duplicate" in client.get("/applications/").get_data(as_text=True)


def test_an_application_with_the_company_id_of_an_open_application_is_flagged(client, db, admin):
    earlier = factories.ApplicationFactory(company_id="91310000MA1FL0XX1A", status="in_review")
    rejected = factories.ApplicationFactory(company_id="91320000MA1FL0YY2B", status="rejected")
    db.session.commit()
    client.post("/apply", data=application_form(company_id="91310000-MA1F L0XX1A"))
    client.post("/apply", data=application_form(company_id="91320000MA1FL0YY2B", website="other.example"))
    new, again = db.session.scalars(select(Application).where(Application.id > rejected.id).order_by(Application.id))
    html = client.get(f"/applications/{new.id}").get_data(as_text=True)
    assert "Same company ID as" in html and earlier.number in html
    # a decided application is history, not a duplicate
    assert "Possible duplicate" not in client.get(f"/applications/{again.id}").get_data(as_text=True)


# --- scorecards ------------------------------------------------------------------------------------------

def test_two_reviewers_score_and_each_total_and_the_average_are_shown(client, db, login):
    application = factories.ApplicationFactory()
    admin = factories.vendor(name="Ada Admin")
    manager = factories.vendor(Role.CHANNEL_MANAGER, name="Max Manager")
    db.session.commit()
    login(admin)
    response = client.post(f"/applications/{application.id}/score", data=scores_form(db, [4, 3, 5, 2], "Strong"))
    assert response.status_code == 303
    client.post("/logout")
    login(manager)
    assert client.post(f"/applications/{application.id}/score",
                       data=scores_form(db, [5, 4, 4, 3])).status_code == 303
    db.session.refresh(application)
    # 72.0 and (150 + 100 + 100 + 60) / 5 = 82.0 → average 77.0
    assert (application.score_tenths, application.review_count, application.status) == (770, 2, "in_review")
    html = client.get(f"/applications/{application.id}").get_data(as_text=True)
    table = html[html.index('<table class="scorecard">'):html.index("</table>")]
    cells = "".join(rf"<td[^>]*>{score}</td>" for score in "4352")
    assert re.search(r"Ada Admin</th>\s*" + cells + r"\s*<td[^>]*class=\"total\">72\.0</td>", table)
    cells = "".join(rf"<td[^>]*>{score}</td>" for score in "5443")
    assert re.search(r"Max Manager</th>\s*" + cells + r"\s*<td[^>]*class=\"total\">82\.0</td>", table)
    assert "Average of 2 reviewers" in table and "<strong>77.0</strong>" in table
    assert "Market coverage <small class=\"muted\">(30 %)</small>" in table
    [entry, _second] = actions(db, "application.scored")
    assert entry.after == {"total": "72.0", "scores": {"Market coverage": 4, "Technical capability": 3,
                                                       "Financial health": 5, "Willingness to invest": 2}}


def test_scoring_again_replaces_the_reviewers_own_scores(client, db, admin):
    application = factories.ApplicationFactory()
    db.session.commit()
    client.post(f"/applications/{application.id}/score", data=scores_form(db, [1, 1, 1, 1]))
    client.post(f"/applications/{application.id}/score", data=scores_form(db, [5, 5, 5, 5]))
    assert count(db, ApplicationReview) == 1
    db.session.refresh(application)
    assert (application.score_tenths, application.review_count) == (1000, 1)


def test_every_criterion_needs_a_score_from_1_to_5(client, db, admin):
    application = factories.ApplicationFactory()
    db.session.commit()
    [first, *_rest] = criteria_ids(db)
    data = scores_form(db, [4, 3, 5, 2])
    data[f"score-{first}"] = "6"
    response = client.post(f"/applications/{application.id}/score", data=data)
    assert response.status_code == 422
    assert f'id="score-{first}-error">Score Market coverage from 1 to 5.' in response.get_data(as_text=True)
    data[f"score-{first}"], data["comment"] = "4", "ok\x07"
    response = client.post(f"/applications/{application.id}/score", data=data)
    assert response.status_code == 422
    assert f'id="comment-error">{MESSAGE}' in response.get_data(as_text=True)
    assert count(db, ApplicationReview) == 0


def test_changing_the_criteria_keeps_past_scores(client, db, admin):
    application = factories.ApplicationFactory()
    db.session.commit()
    client.post(f"/applications/{application.id}/score", data=scores_form(db, [4, 3, 5, 2]))
    ids = criteria_ids(db)
    response = client.post("/applications/scorecard", data={
        "rows": "5", "id-0": ids[0], "name-0": "Market coverage", "weight-0": "50",
        "id-1": ids[1], "name-1": "Technical capability", "weight-1": "50",
        "id-2": ids[2], "remove-2": "y", "name-2": "Financial health", "weight-2": "25",
        "id-3": ids[3], "remove-3": "y", "name-3": "Willingness to invest", "weight-3": "20",
        "id-4": "", "name-4": "", "weight-4": ""})
    assert response.status_code == 303
    assert [(c.name, c.weight) for c in scorecard.criteria()] == [("Market coverage", 50),
                                                                   ("Technical capability", 50)]
    html = client.get(f"/applications/{application.id}").get_data(as_text=True)
    assert 'class="total">72.0</td>' in html and "Willingness to invest" in html
    [entry] = actions(db, "scorecard.changed")
    assert entry.after["criteria"] == [{"name": "Market coverage", "weight": 50},
                                       {"name": "Technical capability", "weight": 50}]


def test_criteria_weights_must_add_up_to_100(client, db, admin):
    ids = criteria_ids(db)
    response = client.post("/applications/scorecard", data={
        "rows": "3", "id-0": ids[0], "name-0": "Market coverage", "weight-0": "30",
        "id-1": ids[1], "name-1": "Technical capability", "weight-1": "x", "remove-2": "",
        "id-2": "", "name-2": "Partner references", "weight-2": "200"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'id="weight-1-error">Enter a whole number from 1 to 100.' in html
    assert 'id="weight-2-error">Enter a whole number from 1 to 100.' in html
    response = client.post("/applications/scorecard", data={
        "rows": "2", "id-0": ids[0], "name-0": "Market coverage", "weight-0": "30",
        "id-1": "", "name-1": "Partner references", "weight-1": "20"})
    assert response.status_code == 422
    assert "The weights add up to 50; they must add up to 100." in response.get_data(as_text=True)
    assert count(db, ScorecardCriterion, ScorecardCriterion.active.is_(True)) == 4


# --- the decision ----------------------------------------------------------------------------------------

def approve_form(**changes) -> dict:
    data = {"name": "Acme Networks", "type": "distributor", "region": "EMEA", "tier_id": "",
            "channel_manager_id": "", "contact_name": "Ines Becker", "contact_email": "ines@acme-networks.example"}
    data.update(changes)
    return data


def test_approving_creates_the_partner_and_invites_its_partner_admin(client, db, admin, run_jobs, outbox):
    tier = factories.TierFactory(name="Registered", rank=0)
    manager = factories.vendor(Role.CHANNEL_MANAGER, name="Max Manager")
    application = factories.ApplicationFactory(website="https://www.acme-networks.example", company_id="HRB12345",
                                               domain="acme-networks.example", country="Germany", locale="zh_Hant")
    db.session.commit()
    response = client.post(f"/applications/{application.id}/approve",
                           data=approve_form(tier_id=tier.id, channel_manager_id=manager.id))
    assert response.status_code == 303
    partner = db.session.scalar(select(Partner).where(Partner.name == "Acme Networks"))
    assert response.headers["Location"] == f"/partners/{partner.id}"
    assert (partner.type, partner.region, partner.tier_id, partner.channel_manager_id, partner.status) == (
        "distributor", "EMEA", tier.id, manager.id, "active")
    assert (partner.domain, partner.company_id, partner.country) == ("acme-networks.example", "HRB12345", "Germany")
    contact = db.session.scalar(select(User).where(User.email == "ines@acme-networks.example"))
    assert (contact.role, contact.partner_id, contact.status, contact.locale) == (
        "partner_admin", partner.id, "invited", "zh_Hant")
    db.session.refresh(application)
    assert (application.status, application.partner_id, application.decided_by) == ("approved", partner.id, admin.id)
    [approved] = actions(db, "application.approved")
    assert approved.after["partner"] == "Acme Networks" and approved.after["tier"] == "Registered"
    assert actions(db, "partner.created") and actions(db, "user.invited")
    run_jobs()
    [mail] = outbox()
    assert mail["To"] == "ines@acme-networks.example"
    assert re.search(r"http://portal\.test/invitation/\S+", mail.get_body(("plain",)).get_content())


def test_the_invitation_of_an_approved_applicant_sets_a_password_and_they_sign_in(client, db, admin, run_jobs,
                                                                                   outbox):
    application = factories.ApplicationFactory()
    db.session.commit()
    client.post(f"/applications/{application.id}/approve", data=approve_form())
    client.post("/logout")
    run_jobs()
    [mail] = outbox()
    link = re.search(r"http://portal\.test(/invitation/\S+)", mail.get_body(("plain",)).get_content()).group(1)
    assert client.post(link, data={"password": "a long new password 42", "confirm": "a long new password 42"}
                       ).status_code == 303
    response = client.post("/login", data={"email": "ines@acme-networks.example",
                                           "password": "a long new password 42"})
    assert response.status_code == 303
    assert "Acme Networks" in client.get("/").get_data(as_text=True)


def test_approving_checks_every_field_at_once(client, db, admin):
    factories.PartnerFactory(name="Taken Name")
    factories.UserFactory(email="ines@acme-networks.example")
    application = factories.ApplicationFactory()
    db.session.commit()
    response = client.post(f"/applications/{application.id}/approve",
                           data=approve_form(name="Taken Name", type="alien", tier_id="999999"))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'id="name-error">A partner with this name already exists.' in html
    assert 'id="type-error">Choose a partner type.' in html
    assert 'id="tier_id-error">Choose a tier.' in html
    assert 'id="contact_email-error">Someone with this e-mail address already has an account.' in html
    db.session.refresh(application)
    assert application.status == "new" and count(db, Partner) == 1


def test_rejecting_needs_a_reason_and_emails_it(client, db, admin, run_jobs, outbox):
    application = factories.ApplicationFactory(contact_email="ines@acme-networks.example")
    db.session.commit()
    response = client.post(f"/applications/{application.id}/reject", data={"reason": "  "})
    assert response.status_code == 422
    assert 'id="reason-error">Give the applicant a reason.' in response.get_data(as_text=True)
    response = client.post(f"/applications/{application.id}/reject",
                           data={"reason": "We already have three resellers in your region."})
    assert response.status_code == 303
    db.session.refresh(application)
    assert (application.status, application.decision_reason) == (
        "rejected", "We already have three resellers in your region.")
    [entry] = actions(db, "application.rejected")
    assert entry.after == {"status": "rejected", "reason": "We already have three resellers in your region."}
    run_jobs()
    [mail] = outbox()
    assert mail["To"] == "ines@acme-networks.example"
    assert "Reason: We already have three resellers in your region." in mail.get_body(("plain",)).get_content()


def test_a_decided_application_cannot_be_decided_or_scored_again(client, db, admin):
    application = factories.ApplicationFactory(status="rejected", decision_reason="No")
    db.session.commit()
    assert client.post(f"/applications/{application.id}/approve", data=approve_form()).status_code == 409
    assert client.post(f"/applications/{application.id}/reject", data={"reason": "again"}).status_code == 409
    assert client.post(f"/applications/{application.id}/score", data=scores_form(db, [3, 3, 3, 3])
                       ).status_code == 409
    assert count(db, Partner) == 0


def test_a_channel_manager_scores_but_only_an_admin_decides(client, db, login):
    application = factories.ApplicationFactory()
    manager = factories.vendor(Role.CHANNEL_MANAGER)
    db.session.commit()
    login(manager)
    assert client.get("/applications/").status_code == 200
    assert "Approve and invite" not in client.get(f"/applications/{application.id}").get_data(as_text=True)
    assert client.post(f"/applications/{application.id}/approve", data=approve_form()).status_code == 403
    assert client.get("/applications/scorecard").status_code == 403


@pytest.mark.parametrize("role", [Role.PARTNER_ADMIN, Role.PARTNER_USER, Role.TRAINER])
def test_partners_and_trainers_see_no_applications(client, db, login, role):
    application = factories.ApplicationFactory()
    user = factories.vendor(role) if role == Role.TRAINER else factories.partner_user(role=role)
    db.session.commit()
    login(user)
    assert client.get("/applications/").status_code == 403
    assert client.get(f"/applications/{application.id}").status_code == 403


# --- the list ----------------------------------------------------------------------------------------------

def test_the_list_filters_by_status_region_type_and_score_and_sorts_by_score(client, db, admin):
    factories.ApplicationFactory(company="Low Score", score_tenths=450, review_count=1, status="in_review")
    factories.ApplicationFactory(company="High Score", score_tenths=910, review_count=2, status="in_review")
    factories.ApplicationFactory(company="Unscored APAC", region="APAC", partner_type="agent")
    factories.ApplicationFactory(company="Done", status="approved", score_tenths=800)
    db.session.commit()
    html = client.get("/applications/?sort=score").get_data(as_text=True)
    assert html.index("High Score") < html.index("Done") < html.index("Low Score") < html.index("Unscored APAC")
    html = client.get("/applications/?status=in_review&min_score=50").get_data(as_text=True)
    assert "High Score" in html and "Low Score" not in html and "Done" not in html
    html = client.get("/applications/?region=APAC&type=agent").get_data(as_text=True)
    assert "Unscored APAC" in html and "High Score" not in html
    assert "91.0" in client.get("/applications/?sort=score&min_score=nonsense").get_data(as_text=True)
    # the filters answer htmx with the results alone: scores and pages included
    partial = client.get("/applications/?status=in_review", headers={"HX-Request": "true"})
    html = partial.get_data(as_text=True)
    assert partial.status_code == 200 and html.lstrip().startswith('<div id="results">') and "91.0" in html


def test_the_list_runs_the_same_queries_for_3_or_40_applications(client, db, admin, count_queries):
    def page() -> int:
        db.session.expunge_all()
        with count_queries() as counter:
            response = client.get("/applications/?sort=score")
        assert response.status_code == 200
        return counter.count

    for i in range(3):
        factories.ApplicationFactory(score_tenths=500 + i, company_id=f"CID{i:05d}")
    db.session.commit()
    few = page()
    for i in range(37):
        factories.ApplicationFactory(score_tenths=600 + i, company_id=f"CIX{i:05d}")
    db.session.commit()
    # signed-in user, header counts, the data versions (the ETag), one page of applications, their duplicates
    assert few == page() == 5
