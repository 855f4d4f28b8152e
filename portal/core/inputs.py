"""The one rule for text that comes in — form fields, query parameters, API bodies: no control characters
but tab and line breaks.

A NUL byte or another control character is never what a person meant to type: PostgreSQL refuses NUL in
text (a driver error, a 500), SQLite stores it and breaks a full-text MATCH. Forms refuse it next to the
field (``portal.core.forms.Form`` adds the check to every field), the query string is checked once per
request here (a search box's ``q`` has them stripped instead: a search never fails), and the API checks
its JSON bodies (``portal.blueprints.api.base``). Lone surrogates (only JSON can carry them) count too:
they cannot be stored as UTF-8 either.
"""

from __future__ import annotations

import re

from flask import request
from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import ImmutableMultiDict

from portal.core.errors import Invalid

# C0 controls except tab, line feed and carriage return (browsers send a textarea's line breaks as CR LF),
# DEL, the C1 controls, and UTF-16 surrogates.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")

MESSAGE = _l("Remove the control characters from this text: only tabs and line breaks are allowed.")

# Query parameters that are searches: control characters are taken out rather than refused.
SEARCH_ARGS = frozenset({"q"})


def has_control_characters(text: str) -> bool:
    return _CONTROL.search(text) is not None


def strip_control_characters(text: str) -> str:
    return _CONTROL.sub("", text)


def check_query() -> None:
    """before_request: the query string under the rule. A search (``q``) loses its control characters;
    any other parameter (or a parameter name) holding one is refused with 422 naming it."""
    args = request.args
    if not args or not any(_CONTROL.search(key) or _CONTROL.search(value) for key, value in args.items(multi=True)):
        return
    refused = {key: [str(MESSAGE)] for key, value in args.items(multi=True)
               if has_control_characters(key) or (key not in SEARCH_ARGS and has_control_characters(value))}
    if refused:
        raise Invalid({strip_control_characters(key) or "?": messages for key, messages in refused.items()})
    # a new value for the request's parsed arguments (werkzeug's cached property takes an assignment)
    request.args = ImmutableMultiDict([(key, strip_control_characters(value))
                                       for key, value in args.items(multi=True)])


def json_problems(value, path: str = "") -> dict[str, list[str]]:
    """Where a parsed JSON document breaks the rule: ``{"lines.0.sku": [message]}`` (pydantic's way of naming
    places), keys included. The document's depth is bounded before it is parsed (api.base)."""
    found: dict[str, list[str]] = {}
    if isinstance(value, str):
        if has_control_characters(value):
            found[path or "body"] = [str(MESSAGE)]
    elif isinstance(value, dict):
        for key, item in value.items():
            place = f"{path}.{key}" if path else str(key)
            if has_control_characters(key):
                found[strip_control_characters(place)] = [str(MESSAGE)]
            found.update(json_problems(item, place))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found.update(json_problems(item, f"{path}.{index}" if path else str(index)))
    return found


def install(app) -> None:
    app.before_request(check_query)
