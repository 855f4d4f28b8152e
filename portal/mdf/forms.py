"""The MDF forms (parsing and CSRF; the rules are the services')."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, MultipleFileField
from wtforms import SelectChoice, SelectField, StringField, TextAreaField

from portal.core.forms import Form
from portal.mdf.requests import ACTIVITIES

DATE = {"type": "date"}
AMOUNT = {"inputmode": "decimal", "autocomplete": "off"}


class RequestForm(Form):
    activity = SelectField(_l("Activity type"), choices=[SelectChoice("", _l("Choose…"))] + [
        SelectChoice(k, v) for k, v in ACTIVITIES.items()], validate_choice=False)
    title = StringField(_l("Activity name"))
    description = TextAreaField(_l("Description (goals, audience, channels)"))
    starts_on = StringField(_l("Starts on"), render_kw=DATE)
    ends_on = StringField(_l("Ends on"), render_kw=DATE)
    amount = StringField(_l("Amount requested"), render_kw=AMOUNT)


class ApproveForm(Form):
    amount = StringField(_l("Amount to approve"), render_kw=AMOUNT)


class RejectForm(Form):
    reason = TextAreaField(_l("Reason for rejecting"))


class ClaimForm(Form):
    claimed = StringField(_l("Amount spent (to reimburse)"), render_kw=AMOUNT)
    leads = StringField(_l("Leads generated (optional)"), render_kw={"inputmode": "numeric"})
    pipeline = StringField(_l("Pipeline created (optional)"), render_kw=AMOUNT)
    revenue = StringField(_l("Revenue attributed (optional)"), render_kw=AMOUNT)
    notes = TextAreaField(_l("What happened (optional)"))
    proof = MultipleFileField(_l("Proof of performance (PDF, PNG, JPEG or WebP; up to 5 files of 10 MB)"))


class ClaimDecisionForm(Form):
    reimburse = StringField(_l("Amount to reimburse"), render_kw=AMOUNT)


class PayForm(Form):
    reference = StringField(_l("Payment reference"))
    paid_on = StringField(_l("Paid on"), render_kw=DATE)


class BudgetForm(Form):
    period = StringField(_l("Quarter"))
    amount = StringField(_l("Budget"), render_kw=AMOUNT)
    currency = SelectField(_l("Currency"), validate_choice=False)


class ImportForm(Form):
    file = FileField(_l("CSV file"))


class LapseForm(Form):
    lapse_days = StringField(_l("Unclaimed approvals lapse this many days after their quarter"),
                             render_kw={"inputmode": "numeric"})
