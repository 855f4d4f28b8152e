import pytest

from tests import factories


def test_sign_in_with_the_right_password_opens_the_dashboard(client, login):
    user = factories.vendor()
    login(user)
    page = client.get("/")
    assert page.status_code == 200
    assert user.name in page.get_data(as_text=True)


def test_wrong_password_says_so_next_to_the_field(client):
    user = factories.vendor()
    response = client.post("/login", data={"email": user.email, "password": "nope-nope-nope"})
    assert response.status_code == 422
    assert "E-mail or password is not correct." in response.get_data(as_text=True)
    assert client.get("/").status_code == 302


@pytest.mark.pg
def test_rows_are_rolled_back_between_tests(db, backend):
    from sqlalchemy import func, select

    from portal.accounts.models import User

    assert db.session.scalar(select(func.count()).select_from(User)) == 0
    factories.vendor()
    assert db.session.scalar(select(func.count()).select_from(User)) == 1
