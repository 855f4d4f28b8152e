from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

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
