"""Forms of ordering: what the checkout and the order pages post. Types and the input rule here (``Form``);
the rules (required, lengths, dates, stock) live in checkout.py and lifecycle.py, which see the values."""

from __future__ import annotations

from wtforms import StringField, TextAreaField

from portal.core.forms import Form


class CheckoutForm(Form):
    idempotency_key = StringField()
    po_number = StringField()
    requested_date = StringField()
    notes = TextAreaField()
    address_id = StringField()  # a saved address's id, or "new" for the fields below
    label = StringField()
    lines = StringField()
    city = StringField()
    postcode = StringField()
    country = StringField()


class ReasonForm(Form):
    """Cancelling an order (partner), rejecting one (queue), asking for a return (its quantities are
    ``quantity-<line id>`` fields, whole numbers checked by lifecycle.request_return)."""

    reason = TextAreaField()


class ShipForm(Form):
    carrier = StringField()
    tracking = StringField()


class QueueCancelForm(Form):
    cancel_reason = TextAreaField()


class DeclineReturnForm(Form):
    decline_reason = TextAreaField()
