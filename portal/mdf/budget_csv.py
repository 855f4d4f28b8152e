"""Budgets by CSV (admins): columns ``partner, year, quarter, amount, currency``.

Every row is checked (the partner by its exact name, the period, the amount as the budget form takes it,
the currency, no partner and quarter twice in the file, not below what the quarter already committed and
paid); when any row is wrong nothing is written and every row's errors are reported. Otherwise each row
sets that budget (audited when it changes), as the budgets page does.
"""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import select

from portal.core import csv as csv_file
from portal.core.csv import ImportRejected, RowError
from portal.core.errors import Invalid
from portal.extensions import db
from portal.mdf import service
from portal.partners.models import Partner

COLUMNS = ["partner", "year", "quarter", "amount", "currency"]
MAX_BYTES = csv_file.MAX_IMPORT_BYTES
MAX_ROWS = 20_000

__all__ = ["COLUMNS", "MAX_BYTES", "ImportRejected", "RowError", "import_csv"]


def import_csv(actor, data: bytes) -> int:
    """Check every row, then set each budget; any error → ImportRejected and nothing is written. The number
    of rows imported."""
    if not actor.can(service.Permission.MANAGE_MDF_BUDGETS):
        raise service.Forbidden(_("You do not have permission to do that."))
    rows = [(n, {k: v.strip() for k, v in row.items()})
            for n, row in csv_file.read_rows(data, COLUMNS, _("The file has no budget rows."), MAX_ROWS)]
    names = {row["partner"] for _n, row in rows if row.get("partner")}
    partners: dict[str, Partner] = {}
    listed = sorted(names)
    for start in range(0, len(listed), 500):
        partners.update((p.name, p) for p in db.session.scalars(
            select(Partner).where(Partner.name.in_(listed[start:start + 500]))))
    errors: list[RowError] = []
    parsed = []
    seen: dict[tuple, int] = {}
    for number, raw in rows:
        clean, field_errors = service.clean_budget({"period": f"{raw.get('year', '')}-{raw.get('quarter', '')}",
                                                    "amount": raw.get("amount"), "currency": raw.get("currency")})
        if "period" in field_errors:
            field_errors["quarter"] = [_("Enter a year (e.g. 2026) and a quarter from 1 to 4.")]
            del field_errors["period"]
        partner = partners.get(raw.get("partner") or "")
        if partner is None:
            field_errors["partner"] = [_("No partner is called %(name)s.", name=raw.get("partner") or "—")]
        elif clean["period"] is not None:
            key = (partner.id, *clean["period"])
            if key in seen:
                field_errors["partner"] = [_("This partner and quarter are also on row %(row)s.", row=seen[key])]
            else:
                seen[key] = number
        for column in COLUMNS:
            errors.extend(RowError(number, column, message) for message in field_errors.get(column, []))
        parsed.append((number, partner, clean))
    if not errors:
        for number, partner, clean in parsed:
            try:
                with db.session.begin_nested():
                    service.write_budget(actor, partner, clean, source=" (CSV import)")
            except Invalid as exc:
                for column, messages in exc.field_errors.items():
                    column = column if column in COLUMNS else "amount"
                    errors.extend(RowError(number, column, message) for message in messages)
    if errors:
        count = len({e.row for e in errors})
        raise ImportRejected(ngettext("Nothing was imported: %(num)d row has errors.",
                                      "Nothing was imported: %(num)d rows have errors.", count), errors)
    return len(parsed)
