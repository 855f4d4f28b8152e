"""A statement as CSV (``portal.core.csv``: guarded cells, exact decimals) and as PDF (fpdf2 with an embedded
CJK-capable font, so Chinese company names render: Debian's fonts-wqy-microhei, installed by
``make system-deps``; ``REBATE_PDF_FONT`` may point at another TTF/TTC)."""

from __future__ import annotations

import os
from collections.abc import Iterator

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from portal.core.i18n import format_day, format_money
from portal.core.money import from_cents
from portal.extensions import db
from portal.rebates import service, statements
from portal.rebates.models import RebateStatementLine

FONT_PATHS = ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
              "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")


def csv_header() -> list[str]:
    return [_("Kind"), _("Reference"), _("Date"), _("Amount"), _("Currency"), _("Details")]


def _details(line, currency: str) -> str:
    if line.kind != "adjustment":
        return ""
    return _("revenue %(before)s → %(after)s: earned %(earned_before)s → %(earned_after)s; adjustment %(amount)s",
             before=format_money(line.from_revenue_cents, currency),
             after=format_money(line.to_revenue_cents, currency),
             earned_before=format_money(line.from_earned_cents, currency),
             earned_after=format_money(line.to_earned_cents, currency),
             amount=format_money(line.amount_cents, currency))


def csv_rows(statement) -> Iterator[list]:
    """Every line of the statement (read in chunks), then the statement's totals."""
    result = db.session.execute(statements.lines(statement.id).execution_options(yield_per=1000)).scalars()
    for line in result:
        yield [str(statements.KIND_LABELS.get(line.kind, line.kind)), line.reference,
               line.happened_at.date().isoformat() if line.happened_at else "", from_cents(line.amount_cents),
               statement.currency, _details(line, statement.currency)]
    yield [_("Eligible revenue"), "", "", from_cents(statement.revenue_cents), statement.currency, ""]
    yield [_("Rebate earned"), "", "", from_cents(statement.earned_cents), statement.currency,
           f"{service.rate_of(statement.rate_thousandths)} %"]
    yield [_("Amount"), "", "", from_cents(statement.amount_cents), statement.currency, ""]


def font_path() -> str | None:
    configured = current_app.config.get("REBATE_PDF_FONT") or os.environ.get("REBATE_PDF_FONT")
    for path in ((configured,) if configured else ()) + FONT_PATHS:
        if path and os.path.exists(path):
            return path
    return None


def pdf(statement, partner_name: str, program_name: str) -> bytes:
    """A one-document PDF of the statement: header, summary and every line (pages follow as needed)."""
    from fpdf import FPDF

    doc = FPDF(format="A4")
    doc.set_auto_page_break(True, margin=15)
    path = font_path()
    if path is None:
        raise RuntimeError("no CJK-capable font found for PDF statements; install fonts-wqy-microhei")
    doc.add_font("cjk", fname=path)
    doc.add_page()
    doc.set_font("cjk", size=16)
    doc.cell(0, 10, _("Statement %(number)s", number=statement.number), new_x="LMARGIN", new_y="NEXT")
    doc.set_font("cjk", size=11)
    currency = statement.currency
    for label, value in (
            (_("Partner"), partner_name), (_("Program"), program_name),
            (_("Period"), f"{format_day(statement.period_start)} – {format_day(statement.period_end)}"),
            (_("Status"), str(statements.STATUS_LABELS.get(statement.status, statement.status))),
            (_("Eligible revenue"), format_money(statement.revenue_cents, currency)),
            (_("Rate reached"), f"{service.rate_of(statement.rate_thousandths)} %"),
            (_("Rebate earned"), format_money(statement.earned_cents, currency)),
            (_("Adjustments of earlier periods"), format_money(statement.adjustment_cents, currency)),
            (_("Amount"), format_money(statement.amount_cents, currency))):
        doc.cell(60, 7, label)
        doc.cell(0, 7, value, new_x="LMARGIN", new_y="NEXT")
    doc.ln(4)
    doc.set_font("cjk", size=9)
    lines = db.session.scalars(select(RebateStatementLine).where(RebateStatementLine.statement_id == statement.id)
                               .order_by(RebateStatementLine.kind, RebateStatementLine.id))
    for line in lines:
        doc.cell(30, 6, str(statements.KIND_LABELS.get(line.kind, line.kind)))
        doc.cell(45, 6, line.reference)
        doc.cell(35, 6, format_day(line.happened_at) if line.happened_at else "")
        doc.cell(0, 6, format_money(line.amount_cents, currency), align="R", new_x="LMARGIN", new_y="NEXT")
        if line.kind == "adjustment":
            doc.multi_cell(0, 5, _details(line, currency), new_x="LMARGIN", new_y="NEXT")
    return bytes(doc.output())
