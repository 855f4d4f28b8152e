"""Rebate programs (admins): list, create/edit with the htmx ladder editor and its live preview, calculation
runs with their progress (htmx polling), and the statements list with bulk approval and payment."""

from __future__ import annotations

from decimal import Decimal

from flask import Blueprint, flash, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import select
from wtforms import SelectChoice

from portal.catalogue.models import Category, Tier
from portal.core.errors import Invalid, NotFound
from portal.core.forms import Form
from portal.core.htmx import is_partial, redirect_to, render
from portal.core.pagination import page_number, paginate
from portal.core.permissions import Permission, require
from portal.core.time import DayError, parse_day, utcnow
from portal.core.urls import row_id
from portal.extensions import db
from portal.pages import conditional
from portal.partners.models import Partner
from portal.rebates import calculation, ladder, service, statements
from portal.rebates.forms import PaidForm, ProgramForm
from portal.rebates.models import RebateProgram, RebateRung, RebateStatement

bp = Blueprint("rebates_admin", __name__)

SAMPLE_LIMIT = 12


# --- programs ----------------------------------------------------------------------------------------------

@bp.get("/admin/rebates/programs")
@require(Permission.MANAGE_REBATES)
@conditional(RebateProgram, RebateRung)
def programs():
    status = request.args.get("status", "")[:20]
    page = paginate(service.programs(current_user, status), page_number(), 25)
    return render("rebates/programs.html", "results", page=page, chosen=status, labels=service.STATUS_LABELS,
                  modes=service.MODE_LABELS, periods=service.PERIOD_LABELS)


def _form(program: RebateProgram | None = None, read_request: bool = True) -> ProgramForm:
    data = None
    if program is not None:
        elig = service.eligibility_of(program.id)
        data = {"name": program.name, "period_type": program.period_type, "starts_on": program.starts_on.isoformat(),
                "ends_on": program.ends_on.isoformat(), "mode": program.mode, "status": program.status,
                "currency": program.currency, "tier_ids": [str(t) for t in elig.tier_ids],
                "partner_types": elig.partner_types, "category_ids": [str(c) for c in elig.category_ids]}
    form = ProgramForm(data=data) if read_request else ProgramForm(formdata=None, data=data)
    tiers = db.session.scalars(select(Tier).order_by(Tier.rank))
    form.tier_ids.choices = [SelectChoice(str(t.id), t.name) for t in tiers]
    form.category_ids.choices = [SelectChoice(str(c.id), c.name) for c in db.session.scalars(select(Category)
                                                                                  .order_by(Category.name))]
    return form


def _input(form: ProgramForm, rows: list[tuple[str, str]]) -> service.ProgramInput:
    return service.ProgramInput(
        name=form.name.data or "", period_type=form.period_type.data or "", starts_on=form.starts_on.data or "",
        ends_on=form.ends_on.data or "", mode=form.mode.data or "", status=form.status.data or "",
        currency=form.currency.data or "", tier_ids=list(form.tier_ids.data or []),
        partner_types=list(form.partner_types.data or []), category_ids=list(form.category_ids.data or []),
        rungs=rows)


def _posted_rungs() -> list[tuple[str, str]]:
    thresholds = [v.strip()[:30] for v in request.form.getlist("rung_threshold")][:ladder.MAX_RUNGS + 1]
    rates = [v.strip()[:30] for v in request.form.getlist("rung_rate")][:ladder.MAX_RUNGS + 1]
    rates += [""] * (len(thresholds) - len(rates))
    return list(zip(thresholds, rates, strict=False))


def _edited(rows: list[tuple[str, str]], op: str) -> list[tuple[str, str]]:
    """The ladder rows after an editor button: add, remove-<i>, up-<i>, down-<i>."""
    rows = list(rows)
    action, _sep, raw = op.partition("-")
    index = row_id(raw) if raw else None
    index = index - 1 if index is not None else (0 if raw == "0" else None)
    if action == "add" and len(rows) < ladder.MAX_RUNGS:
        rows.append(("", ""))
    elif index is not None and 0 <= index < len(rows):
        if action == "remove" and len(rows) > 1:
            rows.pop(index)
        elif action == "up" and index > 0:
            rows[index - 1], rows[index] = rows[index], rows[index - 1]
        elif action == "down" and index < len(rows) - 1:
            rows[index + 1], rows[index] = rows[index], rows[index + 1]
    return rows


def preview_rows(rungs: list[ladder.Rung], typed: Decimal | None) -> list[dict]:
    """Sample revenues (one cent below and at every threshold, and beyond the top) and the typed one, with
    what each earns in both modes — the same function as the calculation job."""
    samples: set[Decimal] = set()
    for rung in rungs[1:]:
        samples.update((rung.threshold - Decimal("0.01"), rung.threshold))
    if rungs:
        samples.add((rungs[-1].threshold * Decimal("1.5")).quantize(Decimal("0.01")) or Decimal("10000.00"))
    ordered = sorted(samples)[:SAMPLE_LIMIT * 2]
    if typed is not None:
        ordered = [typed, *[s for s in ordered if s != typed]]
    rows = []
    for revenue in ordered:
        retro, incr = ladder.payout("retroactive", rungs, revenue), ladder.payout("incremental", rungs, revenue)
        rows.append({"revenue": revenue, "rate": retro.rate, "retroactive": retro.rebate_cents,
                     "incremental": incr.rebate_cents, "typed": revenue == typed})
    return rows


def _page(form: ProgramForm, program: RebateProgram | None, rows: list[tuple[str, str]], status: int = 200,
          errors: dict | None = None, block: str | None = None):
    errors = dict(errors or {})
    filled = list(rows)
    while len(filled) > 1 and not any(filled[-1]):  # a rung just added and not typed in yet: no message yet
        filled.pop()
    rungs, ladder_errors = ladder.parse_rungs(filled)
    for key, messages in ladder_errors.items():
        errors.setdefault(key, messages)
    typed_text = request.form.get("preview_revenue", "").strip()[:30]
    typed = ladder.parse_amount(typed_text, "preview_revenue", errors) if typed_text else None
    preview = preview_rows(rungs, typed) if not ladder_errors else []
    currency = form.currency.data or (program.currency if program else "USD")
    return render("rebates/program.html", block, status=status, form=form, program=program, rows=rows,
                  errors=errors, preview=preview, typed=typed_text, currency=currency,
                  labels=service.STATUS_LABELS, runs=calculation.runs(program.id) if program else [],
                  periods=service.periods(program, utcnow().date()) if program else [], plain=Form(formdata=None))


@bp.get("/admin/rebates/programs/new")
@require(Permission.MANAGE_REBATES)
def new_program():
    return _page(_form(read_request=False), None, [("0", "2"), ("100000", "5")])


@bp.get("/admin/rebates/programs/<id:program_id>")
@require(Permission.MANAGE_REBATES)
def program(program_id: int):
    found = service.get(current_user, program_id)
    rows = [(ladder.decimal_text(r.threshold, 2), ladder.decimal_text(r.rate)) for r in service.rungs_of(found.id)]
    return _page(_form(found, read_request=False), found, rows)


@bp.post("/admin/rebates/ladder")
@require(Permission.MANAGE_REBATES)
def ladder_editor():
    """The editor's buttons and typing: the ladder rows changed in place, checked, previewed; nothing saved.
    htmx swaps the ``ladder`` block; without JavaScript the whole page comes back."""
    program_id = row_id(request.form.get("program_id", ""))
    found = service.get(current_user, program_id) if program_id else None
    rows = _edited(_posted_rungs(), request.form.get("op", "")[:20])
    return _page(_form(), found, rows, block="ladder" if is_partial() else None)


@bp.post("/admin/rebates/programs/new")
@require(Permission.MANAGE_REBATES)
def create_program():
    return _save(None)


@bp.post("/admin/rebates/programs/<id:program_id>")
@require(Permission.MANAGE_REBATES)
def update_program(program_id: int):
    return _save(program_id)


def _save(program_id: int | None):
    found = service.get(current_user, program_id) if program_id else None
    form, rows = _form(), _posted_rungs()
    data = _input(form, rows)
    if form.validate():
        try:
            saved = service.save(current_user, data, program_id)
        except Invalid as exc:
            db.session.rollback()
            errors = exc.field_errors
        else:
            db.session.commit()
            flash(_("Rebate program %(name)s is saved.", name=saved.name), "success")
            return redirect_to(url_for("rebates_admin.program", program_id=saved.id))
    else:
        _checked, errors = service.check(data)
        errors = {**errors, **{k: list(v) for k, v in form.errors.items()}}
    for name, messages in errors.items():
        if (field := getattr(form, name, None)) is not None and hasattr(field, "errors"):
            field.errors = list(messages)
    return _page(form, found, rows, 422, errors={k: v for k, v in errors.items() if k.startswith("rungs")})


# --- calculation runs ---------------------------------------------------------------------------------------

@bp.post("/admin/rebates/programs/<id:program_id>/calculate")
@require(Permission.MANAGE_REBATES)
def calculate(program_id: int):
    try:
        period = parse_day(request.form.get("period", "")[:10])
    except DayError:
        period = None
    run, started = calculation.start(current_user, program_id, period)
    db.session.commit()
    if not started:
        flash(_("A calculation of this program is already running."), "error")
    return redirect_to(url_for("rebates_admin.run", program_id=program_id, run_id=run.id))


@bp.get("/admin/rebates/programs/<id:program_id>/runs/<id:run_id>")
@require(Permission.MANAGE_REBATES)
def run(program_id: int, run_id: int):
    """A run: a progress bar while it runs (htmx polls the ``progress`` block), then its summary."""
    found = service.get(current_user, program_id)
    calc = db.session.get(calculation.RebateRun, run_id)
    if calc is None or calc.program_id != found.id:
        raise NotFound(_("Calculation not found."))
    done, total = calculation.progress_of(calc)
    return render("rebates/run.html", "progress" if is_partial() else None, program=found, run=calc, done=done,
                  total=total)


# --- statements ---------------------------------------------------------------------------------------------

def _statement_filters() -> tuple[dict[str, str], statements.Filters]:
    args = {k: request.args.get(k, "").strip()[:100] for k in ("program", "status", "period", "partner")}
    try:
        period = parse_day(args["period"])
    except DayError:
        period, args["period"] = None, ""
    return args, statements.Filters(program_id=row_id(args["program"]) if args["program"] else None,
                                    status=args["status"], period=period, partner=args["partner"])


@bp.get("/admin/rebates/statements")
@require(Permission.MANAGE_REBATES)
@conditional(RebateStatement, RebateProgram, Partner)
def statement_list():
    args, filters = _statement_filters()
    page = paginate(statements.listing(current_user, filters), page_number(), 50, scalars=False)
    programs_ = db.session.execute(select(RebateProgram.id, RebateProgram.name).order_by(RebateProgram.name)).all()
    return render("rebates/admin_statements.html", "results", page=page, filters=args, programs=programs_,
                  labels=statements.STATUS_LABELS, plain=Form(formdata=None))


@bp.post("/admin/rebates/statements/approve")
@require(Permission.MANAGE_REBATES)
def approve():
    ids = [i for i in (row_id(v) for v in request.form.getlist("statement_ids")[:500]) if i is not None]
    done = statements.approve(current_user, ids)
    db.session.commit()
    flash(ngettext("%(num)s statement approved.", "%(num)s statements approved.", len(done)), "success")
    return redirect_to(url_for("rebates_admin.statement_list", status="draft"))


@bp.post("/admin/rebates/statements/<id:statement_id>/paid")
@require(Permission.MANAGE_REBATES)
def paid(statement_id: int):
    form = PaidForm()
    try:
        day = parse_day(form.paid_on.data)
    except DayError as exc:
        raise Invalid({"paid_on": [str(exc)]}) from None
    statements.mark_paid(current_user, statement_id, form.reference.data or "", day)
    db.session.commit()
    flash(_("The statement is marked paid."), "success")
    return redirect_to(url_for("rebates.statement", statement_id=statement_id))
