"""List tables translate their column names once per table (a dict ``L`` before the head) and every row's
cells carry them as ``data-label`` (the stacked rows on phones). A misspelt key renders an empty label
(Jinja's default Undefined), so each page is read in Chinese: every row cell's label is one of its table's
column names, none empty, none English.
"""

from __future__ import annotations

import re

import pytest

from portal.core import audit
from portal.core.permissions import Role
from portal.notifications.models import Notification
from portal.resources.models import Resource
from tests import factories

TABLE = re.compile(r"<table[^>]*>(.*?)</table>", re.S)
HEAD = re.compile(r'<th scope="col">(?:<span class="visually-hidden">)?([^<]*)')
LABEL = re.compile(r'<t[dh][^>]* data-label="([^"]*)"')


def assert_row_labels(text: str, english: set[str]) -> None:
    """Every row cell's ``data-label`` in ``text`` is one of its table's column names (and there are some)."""
    seen = 0
    for table in TABLE.findall(text):
        heads = set(HEAD.findall(table))
        labels = LABEL.findall(table)
        assert labels, table[:300]
        for label in labels:
            assert label and label in heads, (label, heads)
            assert label not in english, label
        seen += len(labels)
    assert seen, text[:500]


@pytest.fixture
def chinese(db):
    """A partner admin and the vendor's admin and channel manager of that partner, all reading in 简体中文."""
    manager = factories.vendor(Role.CHANNEL_MANAGER, locale="zh_Hans")
    partner = factories.PartnerFactory(channel_manager_id=manager.id)
    anna = factories.partner_user(partner, Role.PARTNER_ADMIN, locale="zh_Hans")
    admin = factories.vendor(Role.ADMIN, locale="zh_Hans")
    return {"partner": anna, "manager": manager, "admin": admin}


def page(client, login, user, path: str) -> str:
    """``path`` as ``user`` sees it (whoever was signed in signs out first)."""
    client.post("/logout")
    login(user)
    response = client.get(path)
    assert response.status_code == 200, path
    return response.get_data(as_text=True)


def test_order_history_and_every_queue_tab_label_their_rows(client, login, chinese, db):
    for status in ("submitted", "approved", "shipped"):
        factories.order_with_line(chinese["partner"], status=status)
    assert_row_labels(page(client, login, chinese["partner"], "/orders/"), {"Order", "PO number", "Total"})
    for tab in ("submitted", "approved", "shipped", "all"):
        text = page(client, login, chinese["manager"], f"/queue/?tab={tab}")
        assert_row_labels(text, {"Order", "Partner", "Waiting", "Actions", "Status"})
    assert "Approve" not in page(client, login, chinese["manager"], "/queue/?tab=submitted").split("<tbody>")[1]


def test_audit_partners_and_notifications_label_their_rows(client, login, chinese, db):
    audit.record(chinese["admin"], "partner.update", chinese["partner"].partner, summary="tier")
    db.session.add(Notification(user_id=chinese["partner"].id, event_key="x:1", message="Hello", link=""))
    db.session.flush()
    assert_row_labels(page(client, login, chinese["admin"], "/audit/"), {"When", "Who", "Before"})
    assert_row_labels(page(client, login, chinese["admin"], "/partners/"), {"Company", "Status"})
    assert_row_labels(page(client, login, chinese["partner"], "/notifications/"), {"When", "Message"})


def test_enablement_deal_review_and_budget_lists_label_their_rows(client, login, chinese, db):
    factories.course()
    db.session.add(Resource(title="Price list", category="price_list", url="https://example.com/p"))
    factories.deal(chinese["partner"])
    factories.mdf_budget(chinese["partner"].partner)
    db.session.flush()
    assert_row_labels(page(client, login, chinese["partner"], "/courses/"), {"Course", "Level"})
    assert_row_labels(page(client, login, chinese["partner"], "/resources/"), {"Resource", "Version"})
    assert_row_labels(page(client, login, chinese["manager"], "/deal-review/"), {"Deal", "Customer"})
    assert_row_labels(page(client, login, chinese["admin"], "/mdf/budgets"), {"Partner", "Paid"})
