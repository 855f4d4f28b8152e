"""Glue between WTForms (parsing, CSRF) and services (rules): service errors land on fields."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from flask import request
from flask_wtf import FlaskForm

from portal.core.errors import Invalid

T = TypeVar("T")


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


def submit(form: FlaskForm, action: Callable[[], T]) -> T | None:
    """Validate ``form``, run ``action`` (one service call) and commit it as one transaction.

    Returns what the action returned, or None when the form was not submitted or when the form or
    the service found errors — those are then on the form, next to their fields, and nothing
    was written.
    """
    from portal.extensions import db

    if not form.validate_on_submit():
        return None
    try:
        result = action()
    except Invalid as exc:  # no commit follows: the request's session is discarded unwritten
        apply_errors(form, exc)
        return None
    db.session.commit()
    return result


def status(form: FlaskForm) -> int:
    """The status of a page that shows ``form`` again: 422 after a failed submission."""
    return 422 if request.method == "POST" else 200
