"""People: admins invite anyone; a partner admin manages colleagues of their own company only."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from portal.accounts.models import User
from portal.core.audit import AuditEntry
from portal.core.permissions import Role
from tests import factories


def sign_in(client, user, **extra):
    return client.post("/login", data={"email": user.email, "password": factories.PASSWORD, **extra})


def invite(client, email: str, role: str, partner_id=0, name: str = "Invited Person", **headers):
    """``partner_id`` 0: the "vendor staff" choice (no company), an empty value."""
    return client.post("/users/invite", data={"email": email, "name": name, "role": role,
                                              "partner_id": str(partner_id or "")}, headers=headers)


def by_email(db, email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == email))


def audit_entries(db, action: str) -> list[AuditEntry]:
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)))


@pytest.fixture
def two_companies(db):
    """A partner admin of "ours", a colleague, a user of "theirs" and a vendor admin, committed so
    that an error page (which rolls the session back) keeps them."""
    ours, theirs = factories.PartnerFactory(name="Ours Ltd"), factories.PartnerFactory(name="Theirs Ltd")
    people = {
        "admin": factories.partner_user(ours, Role.PARTNER_ADMIN, name="Olga Ours"),
        "colleague": factories.partner_user(ours, name="Colin Colleague"),
        "stranger": factories.partner_user(theirs, name="Stan Stranger"),
        "vendor": factories.vendor(Role.TRAINER, name="Vera Vendor"),
    }
    db.session.commit()
    return ours, theirs, people


# --- inviting --------------------------------------------------------------------------------

@pytest.mark.parametrize("role", list(Role))
def test_admin_invites_any_role(client, login, db, outbox, run_jobs, role):
    partner = factories.PartnerFactory()
    admin = factories.vendor()
    login(admin)
    partner_id = partner.id if role in (Role.PARTNER_ADMIN, Role.PARTNER_USER) else 0
    response = invite(client, "new@example.test", role, partner_id)
    assert response.status_code == 303
    assert response.headers["Location"] == "/users/"
    user = by_email(db, "new@example.test")
    assert user.role == role
    assert user.partner_id == (partner.id if partner_id else None)
    assert user.status == "invited"
    run_jobs()
    assert [m["To"] for m in outbox()] == ["new@example.test"]
    assert "Invitation sent to new@example.test." in client.get("/users/").get_data(as_text=True)


def test_invitation_is_audited_with_the_new_values(client, login, db):
    partner = factories.PartnerFactory()
    admin = factories.vendor()
    login(admin)
    invite(client, "audited@example.test", Role.PARTNER_USER, partner.id, name="Audie")
    [entry] = audit_entries(db, "user.invited")
    user = by_email(db, "audited@example.test")
    assert (entry.actor_id, entry.entity_type, entry.entity_id, entry.partner_id) == (admin.id, "User", user.id,
                                                                                      partner.id)
    assert entry.before is None
    assert entry.after == {"email": "audited@example.test", "name": "Audie", "role": "partner_user",
                           "partner_id": partner.id, "active": True}


def test_partner_role_needs_a_company(client, login, db):
    login(factories.vendor())
    response = invite(client, "lost@example.test", Role.PARTNER_USER, 0)
    assert response.status_code == 422
    assert 'id="partner_id-error">Choose the partner company.' in response.get_data(as_text=True)
    assert by_email(db, "lost@example.test") is None


def test_vendor_role_is_never_tied_to_a_company(client, login, db):
    partner = factories.PartnerFactory()
    login(factories.vendor())
    assert invite(client, "staff@example.test", Role.TRAINER, partner.id).status_code == 303
    assert by_email(db, "staff@example.test").partner_id is None


def test_invite_errors_are_422_next_to_the_fields(client, login, db):
    existing = factories.vendor(role=Role.TRAINER)
    login(factories.vendor())
    response = invite(client, existing.email.upper(), Role.TRAINER)
    assert response.status_code == 422
    assert 'id="email-error">Someone with this e-mail address already has an account.' in response.get_data(
        as_text=True)
    nameless = invite(client, "nameless@example.test", Role.TRAINER, name="")
    assert nameless.status_code == 422
    assert 'id="name-error">Enter the person\'s name.' in nameless.get_data(as_text=True)
    bad = invite(client, "not-an-address", Role.TRAINER)
    assert bad.status_code == 422
    assert "Enter a valid e-mail address." in bad.get_data(as_text=True)
    assert by_email(db, "nameless@example.test") is None


def test_htmx_invite_with_errors_answers_the_form_fragment(client, login):
    login(factories.vendor())
    response = invite(client, "", Role.TRAINER, **{"HX-Request": "true"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert html.lstrip().startswith('<form id="invite-form"')
    assert "Enter an e-mail address." in html


@pytest.mark.pg
def test_partner_admin_invites_colleagues_into_their_own_company(client, login, db, two_companies):
    ours, _theirs, people = two_companies
    login(people["admin"])
    page = client.get("/users/invite").get_data(as_text=True)
    assert 'name="partner_id"' not in page
    assert 'value="admin"' not in page and 'value="partner_user"' in page
    assert invite(client, "newbie@example.test", Role.PARTNER_USER).status_code == 303
    assert by_email(db, "newbie@example.test").partner_id == ours.id


@pytest.mark.pg
def test_partner_admin_forged_partner_id_is_ignored(client, login, db, two_companies):
    ours, theirs, people = two_companies
    login(people["admin"])
    assert invite(client, "forged@example.test", Role.PARTNER_ADMIN, theirs.id).status_code == 303
    assert by_email(db, "forged@example.test").partner_id == ours.id


@pytest.mark.pg
@pytest.mark.parametrize("role", [Role.ADMIN, Role.CHANNEL_MANAGER, Role.TRAINER])
def test_partner_admin_cannot_invite_vendor_roles(client, login, db, two_companies, role):
    _ours, _theirs, people = two_companies
    login(people["admin"])
    response = invite(client, "climber@example.test", role)
    assert response.status_code == 422
    assert "Choose a role you may give." in response.get_data(as_text=True)
    assert by_email(db, "climber@example.test") is None


@pytest.mark.parametrize("role", [Role.CHANNEL_MANAGER, Role.TRAINER, Role.PARTNER_USER])
def test_roles_without_user_management_cannot_invite(client, login, db, role):
    user = factories.vendor(role) if role.is_vendor else factories.partner_user(role=role)
    db.session.commit()
    login(user)
    assert client.get("/users/").status_code == 403
    assert invite(client, "sneaky@example.test", Role.PARTNER_USER, user.partner_id or 0).status_code == 403
    assert by_email(db, "sneaky@example.test") is None


# --- seeing and deactivating -----------------------------------------------------------------

@pytest.mark.pg
def test_partner_admin_sees_only_their_own_colleagues(client, login, two_companies):
    _ours, _theirs, people = two_companies
    login(people["admin"])
    html = client.get("/users/").get_data(as_text=True)
    assert "Colin Colleague" in html and "Olga Ours" in html
    assert "Stan Stranger" not in html and "Vera Vendor" not in html
    searched = client.get("/users/?q=stan").get_data(as_text=True)
    assert "Stan Stranger" not in searched and "No users match." in searched


@pytest.mark.pg
def test_partner_admin_cannot_deactivate_another_partners_user(client, login, db, two_companies):
    _ours, _theirs, people = two_companies
    login(people["admin"])
    stranger = people["stranger"]
    assert client.post(f"/users/{stranger.id}/deactivate").status_code == 404
    assert client.post(f"/users/{stranger.id}/resend").status_code == 404
    db.session.refresh(stranger)
    assert stranger.active is True


@pytest.mark.pg
def test_partner_admin_cannot_deactivate_vendor_staff(client, login, db, two_companies):
    _ours, _theirs, people = two_companies
    login(people["admin"])
    vendor = people["vendor"]
    assert client.post(f"/users/{vendor.id}/deactivate").status_code == 404
    db.session.refresh(vendor)
    assert vendor.active is True


@pytest.mark.pg
def test_partner_admin_deactivates_and_reactivates_a_colleague(client, login, db, two_companies):
    ours, _theirs, people = two_companies
    login(people["admin"])
    colleague = people["colleague"]
    response = client.post(f"/users/{colleague.id}/deactivate")
    assert response.status_code == 303
    db.session.refresh(colleague)
    assert colleague.active is False
    assert client.post(f"/users/{colleague.id}/reactivate").status_code == 303
    db.session.refresh(colleague)
    assert colleague.active is True
    assert [e.partner_id for e in audit_entries(db, "user.deactivated")] == [ours.id]


def test_nobody_deactivates_their_own_account(client, login, db):
    admin = factories.vendor()
    db.session.commit()
    login(admin)
    response = client.post(f"/users/{admin.id}/deactivate")
    assert response.status_code == 409
    assert "You cannot deactivate your own account." in response.get_data(as_text=True)
    assert client.get("/").status_code == 200


def test_deactivated_users_session_ends_at_the_next_request(app, client, login, db):
    admin = factories.vendor()
    member = factories.partner_user(name="Mia Member")
    member_client = app.test_client()
    assert sign_in(member_client, member).status_code == 303
    assert member_client.get("/").status_code == 200

    login(admin)
    assert client.post(f"/users/{member.id}/deactivate").status_code == 303

    response = member_client.get("/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")
    assert member_client.get("/account/", headers={"HX-Request": "true"}).status_code == 401


def test_deactivation_also_ends_a_remembered_login(app, client, login, db):
    admin = factories.vendor()
    member = factories.partner_user()
    member_client = app.test_client()
    sign_in(member_client, member, remember="y")
    login(admin)
    client.post(f"/users/{member.id}/deactivate")
    member_client.delete_cookie("session")
    assert member_client.get("/").status_code == 302


def test_deactivated_user_cannot_sign_in_until_reactivated(app, client, login, db):
    admin = factories.vendor()
    member = factories.partner_user()
    member_client = app.test_client()
    sign_in(member_client, member)
    login(admin)
    client.post(f"/users/{member.id}/deactivate")
    assert sign_in(app.test_client(), member).status_code == 422

    assert client.post(f"/users/{member.id}/reactivate").status_code == 303
    assert member_client.get("/").status_code == 302  # the old session does not come back
    assert sign_in(member_client, member).status_code == 303
    assert member_client.get("/").status_code == 200


def test_deactivate_and_reactivate_are_audited_with_before_and_after(client, login, db):
    admin = factories.vendor()
    member = factories.partner_user()
    login(admin)
    client.post(f"/users/{member.id}/deactivate")
    client.post(f"/users/{member.id}/reactivate")
    [off] = audit_entries(db, "user.deactivated")
    [on] = audit_entries(db, "user.reactivated")
    assert (off.actor_id, off.entity_id, off.partner_id) == (admin.id, member.id, member.partner_id)
    assert (off.before, off.after) == ({"active": True}, {"active": False})
    assert (on.before, on.after) == ({"active": False}, {"active": True})


def test_htmx_deactivate_answers_the_updated_row(client, login):
    admin = factories.vendor()
    member = factories.partner_user(name="Row Person")
    login(admin)
    response = client.post(f"/users/{member.id}/deactivate", headers={"HX-Request": "true"})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert html.lstrip().startswith(f'<tr id="user-{member.id}">')
    assert "Deactivated" in html and f"/users/{member.id}/reactivate" in html
    assert "is deactivated and signed out." in html  # the toast rides along


def test_admin_resends_an_invitation(client, login, db, outbox, run_jobs):
    admin = factories.vendor()
    login(admin)
    invite(client, "again@example.test", Role.TRAINER)
    user = by_email(db, "again@example.test")
    assert client.post(f"/users/{user.id}/resend").status_code == 303
    run_jobs()
    assert [m["To"] for m in outbox()] == ["again@example.test", "again@example.test"]


# --- terminated partners ---------------------------------------------------------------------

@pytest.mark.pg
def test_terminated_partners_users_cannot_sign_in(app, client, db):
    partner = factories.PartnerFactory()
    member = factories.partner_user(partner)
    signed_in = app.test_client()
    assert sign_in(signed_in, member).status_code == 303
    partner.status, partner.status_reason = "terminated", "Contract ended"
    db.session.commit()

    response = sign_in(client, member)
    assert response.status_code == 422
    assert "access to the portal has ended." in response.get_data(as_text=True)
    assert signed_in.get("/").status_code == 302  # and an open session ends


@pytest.mark.pg
def test_suspended_partners_users_can_still_sign_in(client, db):
    partner = factories.PartnerFactory(status="suspended", status_reason="Overdue invoices")
    member = factories.partner_user(partner)
    assert sign_in(client, member).status_code == 303


# --- channel managers ------------------------------------------------------------------------

@pytest.mark.pg
def test_channel_manager_sees_only_users_of_assigned_partners(client, login, db):
    manager = factories.vendor(Role.CHANNEL_MANAGER)
    assigned = factories.PartnerFactory(channel_manager_id=manager.id)
    other = factories.PartnerFactory()
    factories.partner_user(assigned, name="Ann Assigned")
    factories.partner_user(other, name="Otto Other")
    db.session.commit()
    login(manager)

    page = client.get(f"/partners/{assigned.id}")
    assert page.status_code == 200
    assert "Ann Assigned" in page.get_data(as_text=True)
    assert client.get(f"/partners/{other.id}").status_code == 404
    assert client.get("/users/").status_code == 403


def _selected_role(html: str) -> str:
    import re

    select_html = re.search(r'<select[^>]*name="role".*?</select>', html, re.S).group(0)
    chosen = re.search(r'<option[^>]*selected[^>]*value="([^"]+)"|<option value="([^"]+)"[^>]*selected', select_html)
    first = re.search(r'<option[^>]*value="([^"]+)"', select_html)
    return (chosen.group(1) or chosen.group(2)) if chosen else first.group(1)


@pytest.mark.parametrize("inviter", ["partner_admin", "admin"])
def test_an_invitation_defaults_to_the_least_privileged_role(client, login, two_companies, inviter):
    login(two_companies[2]["admin"] if inviter == "partner_admin" else factories.vendor())
    html = client.get("/users/invite", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert _selected_role(html) == "partner_user"


def test_a_partner_admins_role_filter_offers_only_partner_roles(client, login, two_companies):
    import re

    login(two_companies[2]["admin"])
    html = client.get("/users/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    offered = re.findall(r'<option value="(\w+)"', re.search(r'id="user-role".*?</select>', html, re.S).group(0))
    assert offered == ["partner_user", "partner_admin"]


def test_every_field_of_the_invitation_is_checked_in_one_round(client, login, db, outbox):
    """The name empty used to hide the bad e-mail and the missing company until the next submit."""
    login(factories.vendor())
    response = invite(client, "not-an-address", Role.PARTNER_USER, partner_id=0, name="")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert html.count('id="name-error">') == 1 and "Enter the person\'s name." in html
    assert 'id="email-error">Enter a valid e-mail address.' in html
    assert 'id="partner_id-error">Choose the partner company.' in html
    assert db.session.scalar(select(User).where(User.name == "")) is None
    assert outbox() == []
