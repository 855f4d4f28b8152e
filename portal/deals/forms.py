"""Forms of deal registration: types, labels and the input rule (``Form``); the rules live in service.py and
review.py, which see the values."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import StringField, TextAreaField

from portal.core.forms import Form


class DealForm(Form):
    customer_name = StringField(_l("Customer company name"))
    customer_domain = StringField(_l("Customer website or e-mail domain"))
    company_id = StringField(_l("Unified social credit code or other company ID (optional)"))
    contact_name = StringField(_l("Customer contact"))
    contact_email = StringField(_l("Contact e-mail"))
    region = StringField(_l("Region"))
    estimated_value = StringField(_l("Estimated value"))
    expected_close = StringField(_l("Expected close date"))
    notes = TextAreaField(_l("Notes"))
    sku_1 = StringField(_l("Product SKU"))
    quantity_1 = StringField(_l("Quantity"))
    sku_2 = StringField(_l("Product SKU"))
    quantity_2 = StringField(_l("Quantity"))
    sku_3 = StringField(_l("Product SKU"))
    quantity_3 = StringField(_l("Quantity"))


class ReasonForm(Form):
    reason = TextAreaField(_l("Reason"))


class WonForm(Form):
    won_value = StringField(_l("Actual value"))
    won_on = StringField(_l("Close date"))


class ActionForm(Form):
    """A button that posts nothing but the CSRF token (extend, withdraw, approve, approve the earliest)."""


class SettingsForm(Form):
    protection_days = StringField(_l("Protection days"))
    extension_days = StringField(_l("Extension days"))
    threshold = StringField(_l("Similarity threshold (50–100)"))
    free_mail = TextAreaField(_l("Free-mail and public domains (yahoo.* for any suffix)"))
