"""Domain errors raised by services; one handler (portal/blueprints/errors.py) maps them to responses."""

from __future__ import annotations

from flask_babel import gettext as _


class DomainError(Exception):
    status = 400

    def __init__(self, message: str = "", field_errors: dict[str, list[str]] | None = None):
        super().__init__(message)
        self.message = message
        self.field_errors = field_errors or {}


class NotFound(DomainError):
    """The row does not exist *for this actor* (other tenants' rows are not found either)."""

    status = 404


class Forbidden(DomainError):
    status = 403


class Invalid(DomainError):
    """Input broke a rule; ``field_errors`` maps field name → messages shown next to the field."""

    status = 422

    def __init__(self, field_errors: dict[str, list[str]] | str, message: str = ""):
        if isinstance(field_errors, str):
            message, field_errors = field_errors, {}
        super().__init__(message or _("Please correct the errors below."), field_errors)


class Conflict(DomainError):
    """The action clashes with the row's current state (wrong status, duplicate, stale)."""

    status = 409
