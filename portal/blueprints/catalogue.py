"""Catalogue: every signed-in user browses products; partners see their own net prices."""

from __future__ import annotations

from flask import Blueprint, request, send_file
from flask_login import current_user

from portal.catalogue import files, service
from portal.catalogue.forms import CatalogueFilters
from portal.catalogue.models import Category, Product, ProductTierPrice, Tier
from portal.core.htmx import is_partial, render
from portal.core.pagination import page_number
from portal.core.permissions import require
from portal.pages import conditional
from portal.partners.models import Partner
from portal.resources import service as resources
from portal.stock_alerts import service as stock_alerts
from portal.stock_alerts.models import StockAlert

bp = Blueprint("catalogue", __name__, url_prefix="/catalogue")

PAGE_SIZE = 24


def _view(filters: CatalogueFilters, user) -> service.PriceView:
    return service.price_view(user, filters.tier if user.is_vendor else None)


@bp.get("/")
@require()
@conditional(Product, Category, Tier, ProductTierPrice, Partner, StockAlert)
def index():
    filters = CatalogueFilters.from_args(request.args)
    view = _view(filters, current_user)
    page = service.products_page(current_user, view, filters.q, filters.category, filters.sort, filters.in_stock,
                                 page_number(), PAGE_SIZE)
    products = service.rows(page.items, view)
    # only pages with products out of stock ask which of them the reader waits for
    waiting = stock_alerts.waiting_for(current_user, [p.id for p in products if p.stock_status == "out"])
    context = {"page": page, "products": products, "filters": filters, "view": view,
               "sorts": service.SORTS, "waiting": waiting}
    if is_partial():  # live search: the results block only, no categories or tiers to load
        return render("catalogue/index.html", "results", **context)
    return render("catalogue/index.html", "results", categories=service.categories(),
                  tiers=service.tiers() if current_user.is_vendor else [], **context)


@bp.get("/<id:product_id>")
@require()
def product(product_id: int):
    view = _view(CatalogueFilters.from_args(request.args), current_user)
    found = service.get_product(current_user, view, product_id)
    waiting = stock_alerts.waiting_for(current_user, [found.id] if found.stock_status == "out" else [])
    links = resources.visible_links(current_user, service.product_links(product_id))
    return render("catalogue/product.html", product=found, view=view, files=files.loaded(product_id),
                  links=links, waiting=found.id in waiting)


@bp.get("/<id:product_id>/<any(image, datasheet):kind>")
@require()
def product_file(product_id: int, kind: str):
    """A product's image (inline) or datasheet (download), visible exactly like its page."""
    service.get_product(current_user, service.PriceView(None), product_id)  # partners: active products only
    found = files.stored(files.loaded(product_id), kind)
    response = send_file(found.path, mimetype=found.content_type, as_attachment=found.attachment,
                         download_name=found.download_name, conditional=True, etag=True, max_age=None)
    response.headers["Cache-Control"] = "private, max-age=3600"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
