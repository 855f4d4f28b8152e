"""Market development funds: budgets (admins), requests and their decisions, claims with proof files, payment."""

from __future__ import annotations

from flask import Blueprint, flash, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.core.errors import Invalid
from portal.core.forms import Form, apply_errors, submit
from portal.core.forms import status as form_status
from portal.core.htmx import redirect_to, render
from portal.core.pagination import page_number
from portal.core.permissions import Permission, require
from portal.core.time import utcnow
from portal.core.urls import row_id
from portal.extensions import db
from portal.mdf import budget_csv, proofs, requests, service
from portal.mdf.forms import (
    ApproveForm,
    BudgetForm,
    ClaimDecisionForm,
    ClaimForm,
    ImportForm,
    LapseForm,
    PayForm,
    RejectForm,
    RequestForm,
)
from portal.mdf.models import MdfBudget, MdfRequest
from portal.orders.models import Setting
from portal.pages import conditional
from portal.partners.models import Partner

bp = Blueprint("mdf", __name__, url_prefix="/mdf")


@bp.app_template_filter("mdf_status")
def _status_label(status: str) -> str:
    label = requests.STATUS_LABELS.get(status)
    return str(label) if label is not None else status


@bp.app_template_filter("mdf_activity")
def _activity_label(activity: str) -> str:
    label = requests.ACTIVITIES.get(activity)
    return str(label) if label is not None else activity


@bp.app_template_filter("money_plain")
def _money_plain(cents: int) -> str:
    return _plain(cents)


@bp.app_template_filter("period")
def _period_label(period) -> str:
    return _("%(year)s Q%(quarter)s", year=period[0], quarter=period[1])


def _filters() -> tuple[dict[str, str], requests.Filters]:
    args = {k: request.args.get(k, "").strip()[:20] for k in ("status", "period", "partner")}
    return args, requests.Filters(status=args["status"], period=service.parse_period(args["period"]),
                                  partner_id=row_id(args["partner"]) if args["partner"] else None)


@bp.get("/")
@require(Permission.VIEW_MDF)
@conditional(MdfRequest, MdfBudget, Partner)
def index():
    args, filters = _filters()
    page = requests.list_page(current_user, filters, page_number())
    overview = service.partner_overview(current_user, current_user.partner_id) \
        if current_user.partner_id is not None else None
    return render("mdf/index.html", "results", page=page, filters=args, overview=overview,
                  statuses=requests.STATUS_LABELS, periods=service.period_choices())


# --- the partner: requesting and claiming ------------------------------------------------------------------

@bp.route("/requests/new", methods=["GET", "POST"])
@require(Permission.REQUEST_MDF)
def new():
    form = RequestForm()
    if saved := submit(form, lambda: requests.request_funds(current_user, form.data)):
        flash(_("Your request is sent; your channel manager will decide on it."), "success")
        return redirect_to(url_for("mdf.detail", request_id=saved.id))
    if request.method == "POST":
        db.session.rollback()
    overview = service.partner_overview(current_user, current_user.partner_id)
    return render("mdf/new.html", "form", status=form_status(form), form=form, overview=overview)


def _detail_page(request_id: int, status: int = 200, **forms):
    row = requests.get(current_user, request_id)
    partner = db.session.get(Partner, row.partner_id)
    period = (row.year, row.quarter)
    figures = service.figures([row.partner_id], [period]).get((row.partner_id, *period))
    defaults = {"approve": ApproveForm(formdata=None, data={"amount": _plain(row.requested_cents)}),
                "reject": RejectForm(formdata=None),
                "claim": ClaimForm(formdata=None, data={"claimed": _plain(row.approved_cents)}),
                "claim_decision": ClaimDecisionForm(formdata=None, data={"reimburse": _plain(
                    min(row.approved_cents or 0, row.claimed_cents or 0) if row.claimed_cents else None)}),
                "pay": PayForm(formdata=None, data={"paid_on": utcnow().date().isoformat()})}
    defaults.update(forms)
    return render("mdf/detail.html", status=status, row=row, partner=partner, period=period,
                  figures=figures[0] if figures else service.Figures(), files=proofs.of_request(row),
                  forms=defaults)


def _plain(cents: int | None) -> str:
    from portal.core.money import from_cents

    return "" if cents is None else str(from_cents(cents))


@bp.get("/requests/<id:request_id>")
@require(Permission.VIEW_MDF)
def detail(request_id: int):
    return _detail_page(request_id)


def _decide(request_id: int, name: str, form: Form, action, message: str):
    if submit(form, action):
        flash(message, "success")
        return redirect_to(url_for("mdf.detail", request_id=request_id))
    db.session.rollback()
    return _detail_page(request_id, 422, **{name: form})


@bp.post("/requests/<id:request_id>/approve")
@require(Permission.DECIDE_MDF)
def approve(request_id: int):
    form = ApproveForm()
    return _decide(request_id, "approve", form, lambda: requests.approve(current_user, request_id, form.amount.data),
                   _("The request is approved; the partner is told."))


@bp.post("/requests/<id:request_id>/reject")
@require(Permission.DECIDE_MDF)
def reject(request_id: int):
    form = RejectForm()
    return _decide(request_id, "reject", form, lambda: requests.reject(current_user, request_id, form.reason.data),
                   _("The request is rejected; the partner is told why."))


@bp.post("/requests/<id:request_id>/claim")
@require(Permission.REQUEST_MDF)
def claim(request_id: int):
    form = ClaimForm()
    uploads = [proofs.Upload(f.filename or "", f.stream.read(proofs.MAX_BYTES + 1))
               for f in request.files.getlist(form.proof.name) if f and f.filename]
    stored: list[str] = []

    def action():
        requests.check_claim(current_user, request_id, form.data)  # the form's fields first, then the files
        checked = proofs.check(uploads)
        row = requests.claim(current_user, request_id, form.data)
        stored.extend(proofs.attach(current_user, row, checked))
        return row

    try:
        done = submit(form, action)
    except BaseException:
        proofs.discard(stored)
        raise
    if done:
        flash(_("Your claim is sent with its proof; your channel manager will decide on it."), "success")
        return redirect_to(url_for("mdf.detail", request_id=request_id))
    db.session.rollback()
    proofs.discard(stored)
    return _detail_page(request_id, 422, claim=form)


@bp.post("/requests/<id:request_id>/approve-claim")
@require(Permission.DECIDE_MDF)
def approve_claim(request_id: int):
    form = ClaimDecisionForm()
    return _decide(request_id, "claim_decision", form,
                   lambda: requests.approve_claim(current_user, request_id, form.reimburse.data),
                   _("The claim is approved for payment; the partner is told."))


@bp.post("/requests/<id:request_id>/pay")
@require(Permission.DECIDE_MDF)
def pay(request_id: int):
    form = PayForm()
    return _decide(request_id, "pay", form,
                   lambda: requests.pay(current_user, request_id, form.reference.data, form.paid_on.data),
                   _("The payment is recorded; the partner is told."))


@bp.get("/files/<id:file_id>")
@require(Permission.VIEW_MDF)
def proof_file(file_id: int):
    """A proof-of-performance file, always as a download, to those who see its request (else 404)."""
    found = proofs.stored(current_user, file_id)
    response = send_file(found.path, mimetype=found.content_type, as_attachment=True,
                         download_name=found.download_name, conditional=True, etag=True, max_age=None)
    response.headers["Cache-Control"] = "private, no-cache"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


# --- vendor staff: budgets ---------------------------------------------------------------------------------

def _budgets_page(status: int = 200, **ctx):
    period = service.parse_period(request.values.get("period")) or service.current_period()
    q = request.args.get("q", "").strip()[:100]
    page, rows = service.budget_rows(current_user, period, page_number(), q=q)
    ctx.setdefault("lapse_form", LapseForm(formdata=None, data={"lapse_days": str(requests.lapse_days())}))
    return render("mdf/budgets.html", "results", status=status, page=page, rows=rows, period=period, q=q,
                  periods=service.period_choices(), currencies=service.CURRENCIES, plain=Form(formdata=None),
                  args={"period": f"{period[0]}-{period[1]}", "q": q}, **ctx)


@bp.get("/budgets")
@require(Permission.DECIDE_MDF)
@conditional(MdfRequest, MdfBudget, Partner, Setting)  # Setting: the lapse days shown under the budgets
def budgets():
    return _budgets_page()


@bp.post("/budgets/<id:partner_id>")
@require(Permission.MANAGE_MDF_BUDGETS)
def set_budget(partner_id: int):
    form = BudgetForm()
    if saved := submit(form, lambda: service.set_budget(current_user, partner_id, form.data)):
        flash(_("The budget of %(year)s Q%(quarter)s is saved.", year=saved.year, quarter=saved.quarter), "success")
        return redirect_to(url_for("mdf.budgets", period=f"{saved.year}-{saved.quarter}",
                                   q=request.args.get("q", "")))
    db.session.rollback()
    errors = {name: form[name].errors for name in ("period", "amount", "currency") if form[name].errors}
    return _budgets_page(422, failed={"partner_id": partner_id, "errors": errors, "amount": form.amount.data or "",
                                      "form_errors": form.form_errors})


@bp.post("/settings")
@require(Permission.MANAGE_MDF_BUDGETS)
def settings():
    form = LapseForm()
    if submit(form, lambda: requests.set_lapse_days(current_user, form.lapse_days.data)) is not None:
        flash(_("The lapse setting is saved."), "success")
        return redirect_to(url_for("mdf.budgets"))
    db.session.rollback()
    return _budgets_page(422, lapse_form=form)


@bp.route("/budgets/import", methods=["GET", "POST"])
@require(Permission.MANAGE_MDF_BUDGETS)
def import_budgets():
    form = ImportForm()
    if not form.validate_on_submit():
        return render("mdf/import.html", status=form_status(form), form=form)
    upload = request.files.get(form.file.name)
    try:
        if upload is None or not upload.filename:
            raise Invalid({"file": [_("Choose a CSV file.")]})
        if not upload.filename.lower().endswith(".csv"):
            raise Invalid({"file": [_("Only .csv files can be imported.")]})
        count = budget_csv.import_csv(current_user, upload.stream.read(budget_csv.MAX_BYTES + 1))
    except budget_csv.ImportRejected as exc:
        db.session.rollback()
        return render("mdf/import.html", status=422, form=form, rejected=exc)
    except Invalid as exc:
        db.session.rollback()
        apply_errors(form, exc)
        return render("mdf/import.html", status=422, form=form)
    db.session.commit()
    return render("mdf/import.html", form=ImportForm(formdata=None), imported=count)
