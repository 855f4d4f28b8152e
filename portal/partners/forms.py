from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import BooleanField, HiddenField, RadioField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional
from wtforms.widgets import DateInput

from portal.core.forms import Form, IdField
from portal.partners.models import PartnerStatus, PartnerType

TYPE_LABELS = {
    PartnerType.DISTRIBUTOR: _l("Distributor"),
    PartnerType.RESELLER: _l("Reseller"),
    PartnerType.AGENT: _l("Agent"),
    PartnerType.RETAILER: _l("Retailer"),
    PartnerType.REFERRAL: _l("Referral"),
}
STATUS_LABELS = {
    PartnerStatus.ACTIVE: _l("Active"),
    PartnerStatus.SUSPENDED: _l("Suspended"),
    PartnerStatus.TERMINATED: _l("Terminated"),
}


class PartnerForm(Form):
    name = StringField(_l("Company name"), validators=[DataRequired(_l("Enter the company name.")),
                                                       Length(max=160)])
    type = SelectField(_l("Partner type"), choices=[SelectChoice(k.value, v) for k, v in TYPE_LABELS.items()])
    region = StringField(_l("Region"), validators=[DataRequired(_l("Enter a region.")), Length(max=60)])
    status = SelectField(_l("Status"), choices=[SelectChoice(k.value, v) for k, v in STATUS_LABELS.items()])
    status_reason = TextAreaField(_l("Reason (for suspension or termination)"),
                                  validators=[Optional(), Length(max=500)])
    channel_manager_id = IdField(_l("Channel manager"))
    tier_id = IdField(_l("Tier"))
    # checked by the service (portal.partners.service.validate_partner), with the other fields' errors
    country = StringField(_l("Country or region"))
    website = StringField(_l("Website"))
    company_id = StringField(_l("Company ID (e.g. unified social credit code)"))


# --- recruitment (the services check every field; the forms carry CSRF and render) --------------------

def _choices(labels: dict, empty=None) -> list[SelectChoice]:
    first = [SelectChoice("", empty)] if empty is not None else []
    return first + [SelectChoice(k, v) for k, v in labels.items()]


class ApplicationForm(Form):
    """The public "Become a partner" form."""

    company = StringField(_l("Company name"))
    country = StringField(_l("Country or region"))
    region = SelectField(_l("Sales region"), validate_choice=False)
    partner_type = SelectField(_l("Partner type"), validate_choice=False)
    website = StringField(_l("Website"))
    company_id = StringField(_l("Unified social credit code or company ID (optional)"))
    contact_name = StringField(_l("Contact name"))
    contact_email = StringField(_l("Contact e-mail"))
    contact_phone = StringField(_l("Contact phone (optional)"))
    employees = SelectField(_l("Employees"), validate_choice=False)
    revenue_band = SelectField(_l("Annual revenue"), validate_choice=False)
    markets = TextAreaField(_l("Markets covered (optional)"))
    industries = TextAreaField(_l("Industries covered (optional)"))
    certifications = TextAreaField(_l("Technical certifications held (optional)"))
    motivation = TextAreaField(_l("Why do you want to partner with us?"))

    def __init__(self, *args, **kwargs):
        from portal.partners.applications import EMPLOYEE_BANDS, REGIONS, REVENUE_BANDS

        super().__init__(*args, **kwargs)
        choose = _l("— choose —")
        self.region.choices = _choices(REGIONS, choose)
        self.partner_type.choices = _choices(TYPE_LABELS, choose)
        self.employees.choices = _choices(EMPLOYEE_BANDS, choose)
        self.revenue_band.choices = _choices(REVENUE_BANDS, choose)


def score_form(criteria, data: dict | None = None, read_request: bool = True) -> Form:
    """A reviewer's scorecard: a 1–5 choice per active criterion (``score-<id>``) and a comment."""

    class ScoreForm(Form):
        comment = TextAreaField(_l("Comment (optional)"))

    for criterion in criteria:
        setattr(ScoreForm, f"score-{criterion.id}", RadioField(
            f"{criterion.name} ({criterion.weight} %)", choices=[SelectChoice(str(n), str(n)) for n in range(1, 6)],
            validate_choice=False))
    return ScoreForm(data=data) if read_request else ScoreForm(formdata=None, data=data)


class ApproveForm(Form):
    name = StringField(_l("Partner name"))
    type = SelectField(_l("Partner type"), validate_choice=False)
    region = StringField(_l("Region"))
    tier_id = IdField(_l("Starting tier"))
    channel_manager_id = IdField(_l("Channel manager"))
    contact_name = StringField(_l("Partner admin's name"))
    contact_email = StringField(_l("Partner admin's e-mail (the invitation goes here)"))


class RejectForm(Form):
    reason = TextAreaField(_l("Reason (e-mailed to the applicant)"))


def criteria_form(rows: int, data: dict | None = None, read_request: bool = True) -> Form:
    """The scorecard editor: ``rows`` rows of id, name, weight and a remove box (``<field>-<i>``)."""

    class CriteriaForm(Form):
        pass

    for i in range(rows):
        setattr(CriteriaForm, f"id-{i}", HiddenField())
        setattr(CriteriaForm, f"name-{i}", StringField(_l("Criterion")))
        setattr(CriteriaForm, f"weight-{i}", StringField(_l("Weight")))
        setattr(CriteriaForm, f"remove-{i}", BooleanField(_l("Remove")))
    return CriteriaForm(data=data) if read_request else CriteriaForm(formdata=None, data=data)


class StatusForm(Form):
    """Suspend, terminate or reactivate from the partner page."""

    status = HiddenField()
    status_reason = TextAreaField(_l("Reason"))


# --- agreements, tiers, evaluations -----------------------------------------------------------------------

def DateText(label) -> StringField:  # noqa: N802 - reads like the other field classes
    """A date input whose text the service parses (so a bad date is reported with the other fields' errors)."""
    return StringField(label, widget=DateInput())


class AgreementForm(Form):
    starts_on = DateText(_l("Start"))
    ends_on = DateText(_l("End"))
    annual_target = StringField(_l("Annual sales target"))
    exit_terms = TextAreaField(_l("Exit terms"))


class DocumentForm(Form):
    document = FileField(_l("Signed agreement (PDF)"))


class TierForm(Form):
    name = StringField(_l("Name"))
    rank = StringField(_l("Order (higher is better)"))
    discount = StringField(_l("Catalogue discount in percent"))
    min_revenue = StringField(_l("Minimum revenue, trailing 12 months"))
    min_certified = StringField(_l("Minimum currently certified people"))


class EvaluationStartForm(Form):
    period = SelectField(_l("Quarter"), validate_choice=False)


def evaluation_form(rows: int, data: dict | None = None, read_request: bool = True) -> Form:
    """Ratings, notes and ``rows`` improvement actions (``action-<i>``, ``due-<i>``)."""
    ratings = [SelectChoice("", _l("— not rated —"))] + [SelectChoice(str(n), str(n)) for n in range(1, 6)]

    class EvaluationForm(Form):
        customer_satisfaction = SelectField(_l("Customer satisfaction (1–5)"), choices=ratings,
                                            validate_choice=False)
        marketing_participation = SelectField(_l("Marketing participation (1–5)"), choices=ratings,
                                              validate_choice=False)
        notes = TextAreaField(_l("Improvement notes"))

    for i in range(rows):
        setattr(EvaluationForm, f"action-{i}", StringField(_l("Action")))
        setattr(EvaluationForm, f"due-{i}", DateText(_l("Due")))
    return EvaluationForm(data=data) if read_request else EvaluationForm(formdata=None, data=data)
