"""Catalogue administration (admins only): products, categories, tier discounts, tier prices, CSV."""

from __future__ import annotations

from flask import Blueprint, flash, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.file import FileField
from wtforms import SelectChoice, StringField

from portal.catalogue import admin, csv_io, files
from portal.catalogue.forms import CategoryForm, ImportForm, LinkForm, ProductForm, TierDiscountForm, TierPriceForm
from portal.catalogue.pricing import discount_percent
from portal.core import csv as csv_file
from portal.core.errors import Conflict, Invalid, NotFound
from portal.core.forms import Form, apply_errors, submit
from portal.core.forms import status as form_status
from portal.core.htmx import redirect_to, render
from portal.core.money import from_cents
from portal.core.pagination import page_number, paginate
from portal.core.permissions import Permission, require
from portal.core.time import utcnow
from portal.extensions import db
from portal.orders import settings as vendor_settings

bp = Blueprint("catalogue_admin", __name__, url_prefix="/admin/catalogue")

PAGE_SIZE = 50


@bp.get("/")
@require(Permission.MANAGE_CATALOGUE)
def index():
    q = request.args.get("q", "").strip()
    page = paginate(admin.list_products(current_user, q), page_number(), PAGE_SIZE, scalars=False)
    return render("catalogue_admin/index.html", "results", page=page, filters={"q": q} if q else {}, q=q)


# --- products ---------------------------------------------------------------------------------

def _product_form(product=None, read_request: bool = True) -> ProductForm:
    data = admin.product_text(product) if product else None
    form = ProductForm(data=data) if read_request else ProductForm(formdata=None, data=data)
    form.category_id.choices = [SelectChoice("", _("— choose —"))] + [
        SelectChoice(c.id, c.name) for c in admin.categories()]
    return form


def _tier_forms(product, failed: TierPriceForm | None = None, failed_tier: int | None = None):
    """(tier, form, current cents) for each tier; the form that just failed keeps its errors."""
    prices = admin.tier_prices(product)
    forms = []
    for tier in admin.tiers():
        if failed is not None and tier.id == failed_tier:
            form = failed
        else:
            cents = prices.get(tier.id)
            form = TierPriceForm(prefix=f"tier{tier.id}", formdata=None,
                                 data={"price": "" if cents is None else str(from_cents(cents))})
        forms.append((tier, form, prices.get(tier.id)))
    return forms


def _save(product_id: int | None):
    product = admin.get_product(current_user, product_id) if product_id else None
    form = _product_form(product)
    if saved := submit(form, lambda: admin.save_product(current_user, form.data, product_id)):
        flash(_("Product %(sku)s saved.", sku=saved.sku), "success")
        return redirect_to(url_for("catalogue_admin.edit", product_id=saved.id))
    if request.method == "POST":
        db.session.rollback()  # nothing of a refused form stays in the session
        product = admin.get_product(current_user, product_id) if product_id else None
    return _product_page(product, form, status=form_status(form), block="form")


def _product_page(product, form: ProductForm | None = None, status: int = 200, block: str | None = None,
                  tier_forms=None, file_forms: dict | None = None, link_form: LinkForm | None = None):
    """The product edit page; a form that just failed is passed in and keeps its errors."""
    file_forms = file_forms or {}
    return render("catalogue_admin/product.html", block, status=status,
                  form=form or _product_form(product, read_request=False), product=product,
                  tier_forms=tier_forms if tier_forms is not None else (_tier_forms(product) if product else []),
                  image_form=file_forms.get("image") or ImageForm(formdata=None),
                  datasheet_form=file_forms.get("datasheet") or DatasheetForm(formdata=None),
                  links=admin.product_links(product.id) if product else [],
                  link_form=link_form or LinkForm(prefix="link", formdata=None), max_links=admin.MAX_LINKS,
                  remove_form=Form(formdata=None), max_mb={k: r.max_bytes // files.MB
                                                                for k, r in files.RULES.items()})


@bp.route("/products/new", methods=["GET", "POST"])
@require(Permission.MANAGE_CATALOGUE)
def create():
    return _save(None)


@bp.route("/products/<id:product_id>", methods=["GET", "POST"])
@require(Permission.MANAGE_CATALOGUE)
def edit(product_id: int):
    """The product page. Its image and datasheet forms post here too (``upload`` names which), so a refused
    upload shows its message on the page's own address, which the browser can reload."""
    if request.method == "POST" and "upload" in request.form:
        return _upload_file(product_id, request.form["upload"])
    return _save(product_id)


@bp.route("/products/<id:product_id>/delete", methods=["GET", "POST"])
@require(Permission.MANAGE_CATALOGUE)
def delete(product_id: int):
    """Ask first (GET), delete on the confirmation's POST. A product on orders is never deleted: the page
    says so and offers to deactivate it instead."""
    product = admin.get_product(current_user, product_id)
    form = Form()
    if form.validate_on_submit():
        sku = product.sku
        try:
            keys = admin.delete_product(current_user, product_id)
        except Conflict as exc:
            db.session.rollback()
            return render("catalogue_admin/delete.html", status=409, form=Form(formdata=None),
                          product=admin.get_product(current_user, product_id), ordered=True, error=exc.message)
        db.session.commit()
        for key in keys:  # the files of a deleted product, only once the deletion is committed
            files.discard(key)
        flash(_("Product %(sku)s deleted.", sku=sku), "success")
        return redirect_to(url_for("catalogue_admin.index"))
    return render("catalogue_admin/delete.html", status=form_status(form), form=form, product=product,
                  ordered=admin.is_ordered(product.id))


@bp.post("/products/<id:product_id>/tier-prices/<id:tier_id>")
@require(Permission.MANAGE_CATALOGUE)
def tier_price(product_id: int, tier_id: int):
    product = admin.get_product(current_user, product_id)
    form = TierPriceForm(prefix=f"tier{tier_id}")
    if submit(form, lambda: admin.set_tier_price(current_user, product_id, tier_id, form.price.data) or True):
        flash(_("Tier price saved."), "success")
        return redirect_to(url_for("catalogue_admin.edit", product_id=product_id))
    return _product_page(product, status=422, tier_forms=_tier_forms(product, form, tier_id))


# --- related resources ------------------------------------------------------------------------

@bp.post("/products/<id:product_id>/links")
@require(Permission.MANAGE_CATALOGUE)
def add_link(product_id: int):
    admin.get_product(current_user, product_id)  # 404 before the form: no such product, no such page
    form = LinkForm(prefix="link")
    if submit(form, lambda: admin.add_link(current_user, product_id, form.title.data, form.url.data)):
        flash(_("Related resource added."), "success")
        return redirect_to(url_for("catalogue_admin.edit", product_id=product_id) + "#related-resources")
    db.session.rollback()
    return _product_page(admin.get_product(current_user, product_id), status=422, link_form=form)


@bp.post("/products/<id:product_id>/links/<id:link_id>/remove")
@require(Permission.MANAGE_CATALOGUE)
def remove_link(product_id: int, link_id: int):
    # CSRF: checked app-wide (CSRFProtect) before the view runs
    admin.remove_link(current_user, product_id, link_id)
    db.session.commit()
    flash(_("Related resource removed."), "success")
    return redirect_to(url_for("catalogue_admin.edit", product_id=product_id) + "#related-resources")


# --- image and datasheet ----------------------------------------------------------------------

class ImageForm(Form):
    image = FileField(_l("Image (PNG, JPEG or WebP)"))


class DatasheetForm(Form):
    datasheet = FileField(_l("Datasheet (PDF)"))


FILE_FORMS = {"image": ImageForm, "datasheet": DatasheetForm}
FILE_SAVED = {"image": _l("Image saved."), "datasheet": _l("Datasheet saved.")}
FILE_REMOVED = {"image": _l("Image removed."), "datasheet": _l("Datasheet removed.")}


def commit_files(change: files.Change) -> None:
    """Commit, then remove the file no longer used; a failed commit removes the new file instead."""
    try:
        db.session.commit()
    except BaseException:
        db.session.rollback()
        files.discard(change.new_key)
        raise
    files.discard(change.old_key)


def _upload_file(product_id: int, kind: str):
    product = admin.get_product(current_user, product_id)
    if kind not in FILE_FORMS:
        raise NotFound(_("Not found"))
    form = FILE_FORMS[kind]()
    if form.validate_on_submit():
        upload = request.files.get(kind)
        try:
            if upload is None or not upload.filename:
                raise Invalid({kind: [_("Choose a file.")]})
            data = upload.stream.read(files.RULES[kind].max_bytes + 1)
            change = files.attach(current_user, product_id, kind, data, upload.filename)
        except Invalid as exc:
            apply_errors(form, exc)
        else:
            commit_files(change)
            flash(FILE_SAVED[kind], "success")
            return redirect_to(url_for("catalogue_admin.edit", product_id=product_id))
    db.session.rollback()
    product = admin.get_product(current_user, product_id)
    return _product_page(product, status=422, file_forms={kind: form})


@bp.post("/products/<id:product_id>/<any(image, datasheet):kind>/remove")
@require(Permission.MANAGE_CATALOGUE)
def remove_file(product_id: int, kind: str):
    # CSRF: checked app-wide (CSRFProtect) before the view runs
    commit_files(files.remove(current_user, product_id, kind))
    flash(FILE_REMOVED[kind], "success")
    return redirect_to(url_for("catalogue_admin.edit", product_id=product_id))


# --- categories -------------------------------------------------------------------------------

def _categories_page(new_form: CategoryForm, failed: CategoryForm | None = None, failed_id: int | None = None,
                     status: int = 200, delete_error: tuple[int, str] | None = None):
    """The categories with a rename form each (the one that just failed keeps its errors), how many
    products each has, and a delete button for the empty ones; ``delete_error``: (category id, message)."""
    rows = [(c, failed if failed is not None and c.id == failed_id else CategoryForm(
        prefix=f"cat{c.id}", formdata=None, data={"name": c.name})) for c in admin.categories()]
    return render("catalogue_admin/categories.html", status=status, form=new_form, rows=rows,
                  counts=admin.product_counts(), delete_error=delete_error)


@bp.route("/categories", methods=["GET", "POST"])
@require(Permission.MANAGE_CATALOGUE)
def categories():
    form = CategoryForm()
    if saved := submit(form, lambda: admin.save_category(current_user, form.name.data)):
        flash(_("Category %(name)s added.", name=saved.name), "success")
        return redirect_to(url_for("catalogue_admin.categories"))
    return _categories_page(form, status=form_status(form))


@bp.post("/categories/<id:category_id>")
@require(Permission.MANAGE_CATALOGUE)
def rename_category(category_id: int):
    form = CategoryForm(prefix=f"cat{category_id}")
    if saved := submit(form, lambda: admin.save_category(current_user, form.name.data, category_id)):
        flash(_("Category %(name)s saved.", name=saved.name), "success")
        return redirect_to(url_for("catalogue_admin.categories"))
    return _categories_page(CategoryForm(formdata=None), form, category_id, status=422)


@bp.post("/categories/<id:category_id>/delete")
@require(Permission.MANAGE_CATALOGUE)
def delete_category(category_id: int):
    # CSRF: checked app-wide (CSRFProtect) before the view runs
    try:
        deleted = admin.delete_category(current_user, category_id)
    except Conflict as exc:
        db.session.rollback()
        return _categories_page(CategoryForm(formdata=None), status=409, delete_error=(category_id, exc.message))
    name = deleted.name
    db.session.commit()
    flash(_("Category %(name)s deleted.", name=name), "success")
    return redirect_to(url_for("catalogue_admin.categories"))


# --- tiers ------------------------------------------------------------------------------------

def _tiers_page(failed: TierDiscountForm | None = None, failed_id: int | None = None, status: int = 200):
    rows = [(t, failed if t.id == failed_id else TierDiscountForm(
        prefix=f"tier{t.id}", formdata=None, data={"discount": str(discount_percent(t.discount_bp))}))
        for t in admin.tiers()]
    return render("catalogue_admin/tiers.html", status=status, rows=rows)


@bp.get("/tiers")
@require(Permission.MANAGE_CATALOGUE)
def tiers():
    return _tiers_page()


@bp.post("/tiers/<id:tier_id>")
@require(Permission.MANAGE_CATALOGUE)
def tier_discount(tier_id: int):
    form = TierDiscountForm(prefix=f"tier{tier_id}")
    if saved := submit(form, lambda: admin.set_tier_discount(current_user, tier_id, form.discount.data)):
        flash(_("%(tier)s discount saved.", tier=saved.name), "success")
        return redirect_to(url_for("catalogue_admin.tiers"))
    return _tiers_page(form, tier_id, status=422)


# --- CSV --------------------------------------------------------------------------------------

@bp.get("/export.csv")
@require(Permission.MANAGE_CATALOGUE)
def export():
    admin._allowed(current_user)
    return csv_file.download(f"catalogue-{utcnow():%Y%m%d}.csv", csv_io.COLUMNS, csv_io.export_rows())


@bp.route("/import", methods=["GET", "POST"])
@require(Permission.MANAGE_CATALOGUE)
def import_():
    form = ImportForm()
    if not form.validate_on_submit():
        return render("catalogue_admin/import.html", status=form_status(form), form=form, max_mb=2)
    upload = request.files.get(form.file.name)
    try:
        if upload is None or not upload.filename:
            raise Invalid({"file": [_("Choose a CSV file.")]})
        if not upload.filename.lower().endswith(".csv"):
            raise Invalid({"file": [_("Only .csv files can be imported.")]})
        summary = csv_io.import_csv(current_user, upload.stream.read(csv_io.MAX_BYTES + 1))
    except csv_io.ImportRejected as exc:
        db.session.rollback()
        return render("catalogue_admin/import.html", status=422, form=form, max_mb=2, rejected=exc)
    except Invalid as exc:
        apply_errors(form, exc)
        return render("catalogue_admin/import.html", status=422, form=form, max_mb=2)
    db.session.commit()
    return render("catalogue_admin/import.html", form=ImportForm(formdata=None), max_mb=2, summary=summary)


# --- vendor-wide settings (/admin/settings) ------------------------------------------------------

class SettingsForm(Form):
    auto_approval_limit = StringField(_l("Auto-approval limit"))


@require(Permission.MANAGE_CATALOGUE)
def settings():
    """The auto-approval limit: orders at or under it are approved on submit."""
    current = vendor_settings.get_int(vendor_settings.AUTO_APPROVAL_LIMIT)
    form = SettingsForm(data={"auto_approval_limit": f"{from_cents(current):,}"})
    if submit(form, lambda: vendor_settings.set_auto_approval_limit(current_user, form.auto_approval_limit.data)
              is not None):
        flash(_("Settings saved."), "success")
        return redirect_to(url_for("catalogue_admin.settings"))
    if request.method == "POST":
        db.session.rollback()
    return render("catalogue_admin/settings.html", "form", status=form_status(form), form=form)


@bp.record_once
def _settings_route(state) -> None:
    # /admin/settings sits outside the blueprint's /admin/catalogue prefix; same endpoint namespace
    state.app.add_url_rule("/admin/settings", "catalogue_admin.settings", settings, methods=["GET", "POST"])
