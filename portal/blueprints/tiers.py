"""Tiers: their configuration and the tier review (admins), and a partner's own partnership page."""

from __future__ import annotations

from flask import Blueprint, flash, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from portal.catalogue.models import Tier
from portal.catalogue.pricing import discount_percent
from portal.core.forms import Form, submit
from portal.core.htmx import redirect_to, render
from portal.core.money import from_cents
from portal.core.pagination import page_number, paginate
from portal.core.permissions import Permission, require
from portal.extensions import db
from portal.pages import conditional
from portal.partners import agreements, evaluations, tier_review, tiers
from portal.partners.forms import TierForm
from portal.partners.models import TierReview

bp = Blueprint("tiers", __name__)

PAGE_SIZE = 50


# --- configuration -----------------------------------------------------------------------------------------

def _tier_form(tier=None, read_request: bool = False) -> TierForm:
    data = None
    if tier is not None:
        data = {"name": tier.name, "rank": str(tier.rank), "discount": str(discount_percent(tier.discount_bp)),
                "min_revenue": f"{from_cents(tier.min_revenue_cents):,}", "min_certified": str(tier.min_certified)}
    prefix = f"tier{tier.id}" if tier is not None else "new"
    return TierForm(prefix=prefix, data=data) if read_request else TierForm(prefix=prefix, formdata=None, data=data)


def _tiers_page(failed: TierForm | None = None, failed_id: int | None = None, status: int = 200):
    """Every tier with its form (the one that just failed keeps its errors) and the new tier's form."""
    rows = [(t, failed if failed is not None and t.id == failed_id else _tier_form(t)) for t in tiers.ladder()]
    new = failed if failed is not None and failed_id is None else _tier_form()
    return render("tiers/index.html", status=status, rows=rows, new_form=new)


@bp.get("/admin/tiers")
@require(Permission.MANAGE_TIERS)
def index():
    return _tiers_page()


def _save(tier_id: int | None):
    tier = db.session.get(Tier, tier_id) if tier_id else None
    form = _tier_form(tier, read_request=True) if tier is not None else TierForm(prefix="new")
    if saved := submit(form, lambda: tiers.save_tier(current_user, {name: form[name].data for name in
                                                                    ("name", "rank", "discount", "min_revenue",
                                                                     "min_certified")}, tier_id)):
        flash(_("Tier %(name)s saved.", name=saved.name), "success")
        return redirect_to(url_for("tiers.index") + f"#tier-{saved.id}")
    db.session.rollback()
    return _tiers_page(form, tier_id, status=422)


@bp.post("/admin/tiers")
@require(Permission.MANAGE_TIERS)
def create():
    return _save(None)


@bp.post("/admin/tiers/<id:tier_id>")
@require(Permission.MANAGE_TIERS)
def update(tier_id: int):
    return _save(tier_id)


# --- tier reviews ------------------------------------------------------------------------------------------

@bp.get("/admin/tier-reviews")
@require(Permission.MANAGE_TIERS)
@conditional(TierReview)
def reviews():
    page = paginate(tier_review.reviews(current_user), page_number(), 20)
    return render("tiers/reviews.html", page=page, labels=tier_review.STATUS_LABELS, plain=Form(formdata=None))


@bp.post("/admin/tier-reviews")
@require(Permission.MANAGE_TIERS)
def start():
    # CSRF: checked app-wide (CSRFProtect) before the view runs
    review = tier_review.start(current_user)
    db.session.commit()
    return redirect_to(url_for("tiers.review", review_id=review.id))


@bp.get("/admin/tier-reviews/<id:review_id>")
@require(Permission.MANAGE_TIERS)
def review(review_id: int):
    """The review: its progress while it runs (htmx polls the ``progress`` block), then its proposals."""
    found = tier_review.get(current_user, review_id)
    direction = request.args.get("direction", "")
    direction = direction if direction in tier_review.DIRECTION_LABELS else ""
    page = paginate(tier_review.changes(current_user, review_id, direction), page_number(), PAGE_SIZE,
                    scalars=False) if found.status == "done" else None
    block = "progress" if request.args.get("poll") else None
    return render("tiers/review.html", block, review=found, page=page, direction=direction,
                  directions=tier_review.DIRECTION_LABELS, labels=tier_review.STATUS_LABELS,
                  change_labels=tier_review.CHANGE_LABELS, plain=Form(formdata=None))


@bp.post("/admin/tier-reviews/<id:review_id>/confirm-all")
@require(Permission.MANAGE_TIERS)
def confirm_all(review_id: int):
    # CSRF: checked app-wide (CSRFProtect) before the view runs
    confirmed, skipped = tier_review.confirm_all(current_user, review_id)
    db.session.commit()
    message = ngettext("%(num)s tier change confirmed.", "%(num)s tier changes confirmed.", confirmed)
    if skipped:
        message += " " + ngettext("%(num)s skipped: the partner's tier changed since the review.",
                                  "%(num)s skipped: the partners' tiers changed since the review.", skipped)
    flash(message, "success")
    return redirect_to(url_for("tiers.review", review_id=review_id))


@bp.post("/admin/tier-changes/<id:change_id>/<any(confirm, dismiss):decision>")
@require(Permission.MANAGE_TIERS)
def decide(change_id: int, decision: str):
    # CSRF: checked app-wide (CSRFProtect) before the view runs
    change = (tier_review.confirm if decision == "confirm" else tier_review.dismiss)(current_user, change_id)
    db.session.commit()
    flash(_("Tier change confirmed.") if decision == "confirm" else _("Tier change dismissed."), "success")
    return redirect_to(url_for("tiers.review", review_id=change.review_id) + f"#change-{change.id}")


# --- the partner's own page ---------------------------------------------------------------------------------

@bp.get("/partnership")
@require(Permission.VIEW_PARTNERSHIP)
def partnership():
    """The partner's tier and how far the next one is, its agreement, tier changes and evaluations."""
    partner = current_user.partner
    history = agreements.agreements_of(current_user, partner.id)
    return render("tiers/partnership.html", partner=partner, progress=tiers.progress(partner),
                  agreement=agreements.current(history), agreement_state=agreements.state,
                  agreement_labels=agreements.STATE_LABELS, tier_history=tier_review.history(partner.id),
                  evaluations=evaluations.for_partner(current_user, partner.id),
                  evaluation_labels=evaluations.PARTNER_LABELS, ladder=tiers.ladder(),
                  discount_percent=discount_percent)


@bp.get("/partnership/agreements/<id:agreement_id>/document")
@require(Permission.VIEW_PARTNERSHIP)
def document(agreement_id: int):
    from portal.blueprints.partners import send_stored

    return send_stored(agreements.document(current_user, agreement_id))
