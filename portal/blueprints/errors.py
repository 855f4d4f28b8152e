"""One place that turns errors into pages, fragments or JSON."""

from __future__ import annotations

import logging

from flask import Blueprint, current_app, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from portal.core.errors import DomainError
from portal.core.htmx import is_partial, render
from portal.extensions import db

bp = Blueprint("errors", __name__)
log = logging.getLogger(__name__)


def _titles() -> dict[int, str]:
    return {
        400: _("Bad request"),
        401: _("Please sign in"),
        403: _("Not allowed"),
        404: _("Not found"),
        405: _("Not allowed"),
        409: _("Conflict"),
        413: _("Too large"),
        422: _("Please check your input"),
        429: _("Too many attempts"),
        500: _("Something went wrong"),
    }


def _default_message(status: int) -> str:
    return {
        400: _("The request could not be understood. Reload the page and try again."),
        401: _("Sign in to continue."),
        403: _("You do not have permission to do that."),
        404: _("There is nothing here, or it is not yours to see."),
        405: _("This address does not accept that kind of request."),
        409: _("This cannot be done in the current state."),
        413: _("The upload is too large."),
        422: _("Please correct the errors and try again."),
        429: _("Too many attempts. Wait a few minutes and try again."),
        500: _("We could not complete this. Nothing was changed. Please try again later."),
    }.get(status, _("Something went wrong."))


def respond(status: int, message: str | None = None, field_errors: dict | None = None):
    db.session.rollback()  # an error never leaves half a change behind
    message = message or _default_message(status)
    if request.path.startswith("/api/"):
        from portal.blueprints.api.base import error_response

        return error_response(status, message, field_errors)
    if status == 429 and request.endpoint == "auth.login":
        from portal.accounts.forms import LoginForm

        form = LoginForm()
        form.form_errors.append(_("Too many sign-in attempts. Wait 15 minutes and try again, or reset your "
                                  "password."))
        return render("auth/login.html", "form", status=429, form=form)
    template = "errors/_fragment.html" if is_partial() else "errors/page.html"
    response = render(template, status=status, code=status, title=_titles().get(status, str(status)),
                      message=message, field_errors=field_errors or {})
    if is_partial():
        # show the error in the toast region rather than swapping it into the target
        response.headers["HX-Retarget"] = "#toasts"
        response.headers["HX-Reswap"] = "beforeend"
    return response


@bp.app_errorhandler(DomainError)
def domain_error(exc: DomainError):
    return respond(exc.status, exc.message, exc.field_errors)


@bp.app_errorhandler(CSRFError)
def csrf_error(exc: CSRFError):
    return respond(400, _("Your form expired or came from another site. Reload the page and try again."))


@bp.app_errorhandler(HTTPException)
def http_error(exc: HTTPException):
    return respond(exc.code or 500)


@bp.app_errorhandler(Exception)
def unexpected(exc: Exception):
    if current_app.config.get("PROPAGATE_EXCEPTIONS"):
        raise exc  # tests see the real traceback
    log.exception("unhandled error on %s %s", request.method, request.path)
    return respond(500)
