"""Glue between WTForms (parsing, CSRF) and services (rules): service errors land on fields."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from flask import request
from flask_wtf import FlaskForm

from portal.core.errors import DomainError, Invalid

T = TypeVar("T")


def apply_errors(form: FlaskForm, exc: Invalid, only_unflagged: bool = False) -> None:
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


def submit(form: FlaskForm, action: Callable[[], T]) -> T | None:
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
        if "csrf_token" not in form.errors:
            _check_rules_too(form, action)
        return None
    try:
        result = action()
    except Invalid as exc:  # no commit follows: the request's session is discarded unwritten
        apply_errors(form, exc)
        return None
    db.session.commit()
    return result


def _check_rules_too(form: FlaskForm, action: Callable) -> None:
    """Run ``action`` only for the messages of the rules it checks; whatever it wrote is rolled back (jobs it
    queued go with the savepoint). A refusal for another reason (not found, not allowed, a clash) waits
    until the form's own errors are fixed."""
    from portal.extensions import db

    savepoint = db.session.begin_nested()
    try:
        action()
    except Invalid as exc:
        apply_errors(form, exc, only_unflagged=True)
    except DomainError:
        pass
    finally:
        savepoint.rollback()


def status(form: FlaskForm) -> int:
    """The status of a page that shows ``form`` again: 422 after a failed submission."""
    return 422 if request.method == "POST" else 200
