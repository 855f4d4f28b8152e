"""Rebate forms. The ladder's rungs are repeated inputs (``rung_threshold`` / ``rung_rate``) read by the view
and checked by ``portal.rebates.ladder``, so their messages sit next to each rung."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import SelectChoice, SelectField, SelectMultipleField, StringField
from wtforms.widgets import DateInput

from portal.core.forms import Form
from portal.partners.forms import TYPE_LABELS
from portal.rebates import service


def _choices(labels: dict) -> list[SelectChoice]:
    return [SelectChoice(str(k), v) for k, v in labels.items()]


class ProgramForm(Form):
    name = StringField(_l("Name"))
    period_type = SelectField(_l("Period"), choices=_choices(service.PERIOD_LABELS), validate_choice=False)
    starts_on = StringField(_l("Starts on"), widget=DateInput())
    ends_on = StringField(_l("Ends on"), widget=DateInput())
    mode = SelectField(_l("Mode"), choices=_choices(service.MODE_LABELS), validate_choice=False)
    status = SelectField(_l("Status"), choices=_choices(service.STATUS_LABELS), validate_choice=False)
    currency = SelectField(_l("Currency"), choices=[SelectChoice(c, c) for c in service.CURRENCIES],
                           validate_choice=False)
    tier_ids = SelectMultipleField(_l("Partner tiers"), validate_choice=False)
    partner_types = SelectMultipleField(_l("Partner types"), choices=_choices(TYPE_LABELS), validate_choice=False)
    category_ids = SelectMultipleField(_l("Product categories"), validate_choice=False)


class PaidForm(Form):
    reference = StringField(_l("Payment reference"))
    paid_on = StringField(_l("Paid on"), widget=DateInput())
