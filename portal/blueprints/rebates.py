"""A partner's rebates: what they earn in the current period and their statements (list, detail with lines)."""

from __future__ import annotations

from flask import Blueprint, flash, make_response, redirect, request, url_for
from flask_babel import get_timezone
from flask_babel import gettext as _
from flask_login import current_user

from portal.core import csv as csv_file
from portal.core.forms import Form
from portal.core.htmx import render
from portal.core.pagination import page_number, paginate
from portal.core.permissions import Permission, require
from portal.core.time import utcnow
from portal.pages import conditional
from portal.partners.models import Partner
from portal.rebates import documents, service, simulator
from portal.rebates import statements as rebate_statements
from portal.rebates.forms import PaidForm
from portal.rebates.models import RebateProgram, RebateStatement

bp = Blueprint("rebates", __name__)


@bp.app_template_global("rebate_simulations")
def _simulations(lines) -> list:
    """For the cart and checkout templates: what the orderable ``lines`` add to the partner's rebates."""
    if not current_user.is_authenticated or not current_user.can(Permission.VIEW_REBATES):
        return []
    today = utcnow().astimezone(get_timezone()).date()
    return simulator.simulate(current_user, [(line.product_id, line.currency, line.total_cents) for line in lines
                                             if not line.problem], today)


@bp.app_template_filter("rebate_rate")
def _rate(thousandths: int | None):
    """A stored rate (thousandths of a percent) as the exact Decimal percent, for the ``number`` filter."""
    return service.rate_of(thousandths) if thousandths is not None else None


@bp.get("/rebates/")
@require(Permission.VIEW_REBATES)
@conditional(RebateStatement, RebateProgram, Partner)
def statements():
    today = utcnow().astimezone(get_timezone()).date()
    status = request.args.get("status", "")[:20]
    listing = rebate_statements.listing(current_user, rebate_statements.Filters(status=status))
    page = paginate(listing, page_number(), 25, scalars=False)
    return render("rebates/statements.html", "results", page=page, chosen=status,
                  labels=rebate_statements.STATUS_LABELS, accruals=rebate_statements.accruals(current_user, today))


@bp.get("/rebates/statements/<id:statement_id>")
@require(Permission.VIEW_REBATES)
def statement(statement_id: int):
    row = rebate_statements.get(current_user, statement_id)
    page = paginate(rebate_statements.lines(statement_id), page_number(), 50)
    return render("rebates/statement.html", "lines", statement=row.RebateStatement, partner_name=row.partner_name,
                  program_name=row.program_name, page=page, labels=rebate_statements.STATUS_LABELS,
                  kinds=rebate_statements.KIND_LABELS, rate_of=service.rate_of, paid_form=PaidForm(formdata=None),
                  plain=Form(formdata=None), today=utcnow().date().isoformat())


@bp.get("/rebates/statements/<id:statement_id>/statement.csv")
@require(Permission.VIEW_REBATES)
def statement_csv(statement_id: int):
    row = rebate_statements.get(current_user, statement_id)
    return csv_file.download(f"{row.RebateStatement.number}.csv", documents.csv_header(),
                             documents.csv_rows(row.RebateStatement))


@bp.get("/rebates/statements/<id:statement_id>/statement.pdf")
@require(Permission.VIEW_REBATES)
def statement_pdf(statement_id: int):
    row = rebate_statements.get(current_user, statement_id)
    if documents.font_path() is None:  # a machine without the CJK font: say so instead of failing
        flash(_("PDF statements need the fonts-wqy-microhei package on the server; download the CSV instead."),
              "error")
        return redirect(url_for("rebates.statement", statement_id=statement_id), 303)
    response = make_response(documents.pdf(row.RebateStatement, row.partner_name, row.program_name))
    response.mimetype = "application/pdf"
    response.headers["Content-Disposition"] = f'attachment; filename="{row.RebateStatement.number}.pdf"'
    response.headers["Cache-Control"] = "private, no-store"
    return response
