"""Glue between WTForms (parsing, CSRF) and services (rules): service errors land on fields."""

from __future__ import annotations

from flask_wtf import FlaskForm

from portal.core.errors import Invalid


def apply_errors(form: FlaskForm, exc: Invalid) -> None:
    """Show a service's field errors next to the form's fields; others go to the form top."""
    for name, messages in exc.field_errors.items():
        field = getattr(form, name, None)
        if field is not None:
            field.errors = list(field.errors or []) + list(messages)
        else:
            form.form_errors.extend(messages)
    if not exc.field_errors and exc.message:
        form.form_errors.append(exc.message)
