"""Forms of the accounts area. Types and presence here; the rules live in accounts/service.py."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape
from wtforms import BooleanField, EmailField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional
from wtforms.widgets import html_params

from portal.core.forms import Form, IdField
from portal.core.time import zone_choices


def zone_select(field, **kwargs) -> Markup:
    """The time zone <select>: its ~400 options written straight out, the field's value selected (WTForms'
    own Select widget builds each option through its attribute renderer)."""
    kwargs.setdefault("id", field.id)
    options = "".join(f'<option{" selected" if zone == field.data else ""} value="{escape(zone)}">'
                      f"{escape(zone)}</option>" for zone in zone_choices())
    return Markup(f"<select {html_params(name=field.name, **kwargs)}>{options}</select>")


class LoginForm(Form):
    email = EmailField(_l("E-mail"), validators=[DataRequired(_l("Enter your e-mail address.")),
                                                 Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(_l("Enter your password.")),
                                                         Length(max=256)])
    remember = BooleanField(_l("Remember me"))


class ForgotForm(Form):
    email = EmailField(_l("E-mail"), validators=[DataRequired(_l("Enter your e-mail address.")),
                                                 Length(max=254)])


class SetPasswordForm(Form):
    password = PasswordField(_l("New password"), validators=[DataRequired(_l("Enter a new password."))])
    confirm = PasswordField(_l("Repeat the new password"), validators=[DataRequired(_l("Repeat the password."))])


class ProfileForm(Form):
    name = StringField(_l("Name"), validators=[DataRequired(_l("Enter your name.")), Length(max=120)])
    # accounts.service.update_profile checks both against the offered lists (one rule, its own messages)
    locale = SelectField(_l("Language"), validators=[Optional()], validate_choice=False)
    timezone = SelectField(_l("Time zone"), validate_choice=False, widget=zone_select)


class OrderNoticesForm(Form):
    follows_company_orders = BooleanField(_l("Tell me about every order of my company"))


class PasswordChangeForm(Form):
    current_password = PasswordField(_l("Current password"),
                                     validators=[DataRequired(_l("Enter your current password."))])
    new_password = PasswordField(_l("New password"), validators=[DataRequired(_l("Enter a new password."))])
    confirm = PasswordField(_l("Repeat the new password"), validators=[DataRequired(_l("Repeat the password."))])


class ApiTokenForm(Form):
    name = StringField(_l("Token name"), validators=[DataRequired(_l("Name the token.")), Length(max=80)])


class InviteForm(Form):
    email = EmailField(_l("E-mail"), validators=[DataRequired(_l("Enter an e-mail address.")), Length(max=254)])
    name = StringField(_l("Name"), validators=[DataRequired(_l("Enter the person's name.")), Length(max=120)])
    # The service decides which roles and companies the actor may give (and says so next to the field).
    role = SelectField(_l("Role"), validate_choice=False)
    partner_id = IdField(_l("Partner company"))
