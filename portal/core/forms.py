"""Glue between WTForms (parsing, CSRF) and services (rules): service errors land on fields.

Every form of the portal subclasses ``Form``: it puts the input rule (``portal.core.inputs``: no control
characters) in front of every field's validators, so no form can forget it. A row chosen by id (a
``<select>`` of categories, managers, companies) is an ``IdField``: anything but a row id is refused next to
the field before a service sees it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from flask import request
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy.exc import DBAPIError
from wtforms import SelectField
from wtforms.validators import StopValidation

from portal.core import inputs
from portal.core.errors import DomainError, Invalid
from portal.core.urls import row_id

T = TypeVar("T")


def refuse_control_characters(form, field) -> None:
    """The input rule as a WTForms validator: any submitted text value with a control character."""
    if any(isinstance(value, str) and inputs.has_control_characters(value) for value in field.raw_data or ()):
        raise StopValidation(str(inputs.MESSAGE))


class Form(FlaskForm):
    """The base of every form: Flask-WTF's (CSRF), with the input rule checked first on every field."""

    class Meta(FlaskForm.Meta):
        def bind_field(self, form, unbound_field, options):
            field = super().bind_field(form, unbound_field, options)
            field.validators = [refuse_control_characters, *field.validators]
            return field


class IdField(SelectField):
    """A ``<select>`` of rows by id. Empty means none (``None``); a value that is not a row id (1 … 2^63 − 1:
    text, 0, a number no column holds) is refused next to the field. Whether the row exists and may be
    chosen is the service's rule (the choices are not checked here)."""

    def __init__(self, label=None, validators=None, **kwargs):
        kwargs.setdefault("validate_choice", False)
        super().__init__(label, validators, coerce=_id_or_none, **kwargs)

    def process_formdata(self, valuelist):
        if valuelist:
            try:
                self.data = _id_or_none(valuelist[0], strict=True)
            except ValueError:
                self.data = None
                if not inputs.has_control_characters(str(valuelist[0])):  # else the input rule says why
                    raise ValueError(str(NOT_AN_OPTION)) from None


NOT_AN_OPTION = _l("Choose one of the offered options.")


def _id_or_none(value, strict: bool = False) -> int | None:
    """A row id, or None for an empty choice; ``strict``: ValueError for anything else (the form data),
    otherwise None (the choices' values, compared when the <select> is drawn)."""
    if value is None or value == "" or value == "None":
        return None
    found = row_id(value)
    if found is None and strict:
        raise ValueError(value)
    return found


def apply_errors(form: Form, exc: Invalid, only_unflagged: bool = False) -> None:
    """Show a service's field errors next to the form's fields; others go to the form top.
    ``only_unflagged``: add nothing to a field the form itself already refused (no message twice)."""
    for name, messages in exc.field_errors.items():
        field = getattr(form, name, None)
        if field is not None:
            if only_unflagged and field.errors:
                continue
            field.errors = list(field.errors or []) + list(messages)
        elif not only_unflagged:
            form.form_errors.extend(messages)
    if not exc.field_errors and exc.message and not only_unflagged:
        form.form_errors.append(exc.message)


def submit(form: Form, action: Callable[[], T]) -> T | None:
    """Validate ``form``, run ``action`` (one service call) and commit it as one transaction.

    Returns what the action returned, or None when the form was not submitted or when the form or
    the service found errors — those are then on the form, next to their fields, and nothing
    was written. Every field is checked in one round: when the form refuses some fields, the service's
    rules still run (in a savepoint that is always rolled back) so their messages show at the same time.
    """
    from portal.extensions import db

    if not form.is_submitted():
        return None
    if not form.validate():
        if "csrf_token" not in form.errors and not _refused_input(form):
            _check_rules_too(form, action)
        return None
    try:
        result = action()
    except Invalid as exc:  # no commit follows: the request's session is discarded unwritten
        apply_errors(form, exc)
        return None
    db.session.commit()
    return result


def _refused_input(form: Form) -> bool:
    """Some field holds what no rule should see (control characters): the service does not run at all."""
    return any(isinstance(value, str) and inputs.has_control_characters(value)
               for field in form for value in (field.raw_data or ()))


def _check_rules_too(form: Form, action: Callable) -> None:
    """Run ``action`` only for the messages of the rules it checks; whatever it wrote is rolled back (jobs it
    queued go with the savepoint). A refusal for another reason (not found, not allowed, a clash) waits
    until the form's own errors are fixed."""
    from portal.extensions import db

    savepoint = db.session.begin_nested()
    try:
        action()
    except Invalid as exc:
        apply_errors(form, exc, only_unflagged=True)
    except (DomainError, DBAPIError):  # refused for another reason, or by the database: the form's errors say enough
        pass
    finally:
        savepoint.rollback()


def status(form: Form) -> int:
    """The status of a page that shows ``form`` again: 422 after a failed submission."""
    return 422 if request.method == "POST" else 200
