"""A product's related resources may be library resources: a link to /resources/<id> is tied to the resource,
and its audience decides who sees the link on the product page (and the resource itself answers 404)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from portal.catalogue.models import ProductLink
from portal.resources.models import Resource
from tests import factories
from tests.web.test_catalogue_admin import EN, category, product
from tests.web.test_product_links import add, admin, related_section  # noqa: F401 - admin is a fixture

pytestmark = pytest.mark.pg


def test_a_product_links_a_library_resource_shown_only_to_its_audience(db, client, login, admin):  # noqa: F811
    item = product(db, category(db), "RES-1")
    resource = Resource(title="Distributor deck", category="marketing", audience_types=",distributor,",
                        url="https://example.com/deck")
    db.session.add(resource)
    db.session.commit()
    assert add(client, item, "Deck for distributors", f"/resources/{resource.id}").status_code == 303
    link = db.session.scalar(select(ProductLink).where(ProductLink.product_id == item.id))
    assert link.resource_id == resource.id
    assert add(client, item, "Nothing there", "/resources/999999").status_code == 422

    login(factories.partner_user(factories.PartnerFactory(type="distributor")))
    assert "Deck for distributors" in related_section(client.get(f"/catalogue/{item.id}", headers=EN)
                                                      .get_data(as_text=True))
    client.post("/logout")
    login(factories.partner_user(factories.PartnerFactory(type="reseller")))
    assert "Deck for distributors" not in client.get(f"/catalogue/{item.id}", headers=EN).get_data(as_text=True)
    assert client.get(f"/resources/{resource.id}").status_code == 404
