"""The only module that knows htmx. Views call ``render`` and ``redirect_to``.

``render`` answers a full page, or only the named block when the request comes from htmx
and is not a boosted navigation (jinja2-fragments renders the block). Pending flash
messages ride along as an out-of-band swap into the toast region.
"""

from __future__ import annotations

import json

from flask import get_flashed_messages, make_response, redirect, render_template, request
from htmx_flask import request as hx_request
from jinja2_fragments.flask import render_block


def is_htmx() -> bool:
    return bool(getattr(hx_request, "htmx", False)) or request.headers.get("HX-Request") == "true"


def is_partial() -> bool:
    """An htmx request that wants a fragment. A boosted navigation wants the whole page, and so does a
    history restore (Back/Forward to a URL an htmx filter pushed: htmx keeps no pages of its own,
    ``historyCacheSize`` is 0, and asks the server for that URL with ``HX-History-Restore-Request``)."""
    headers = request.headers
    return (is_htmx() and headers.get("HX-Boosted") != "true"
            and headers.get("HX-History-Restore-Request") != "true")


def render(template: str, block: str | None = None, status: int = 200, **context):
    fragment = is_partial() and (block is not None or template.rpartition("/")[2].startswith("_"))
    if fragment and block:
        html = render_block(template, block, **context)
    else:
        html = render_template(template, **context)
    if fragment and (toasts := get_flashed_messages(with_categories=True)):
        html += render_template("_toasts.html", toasts=toasts, oob=True)
    response = make_response(html, status)
    response.vary.update(("HX-Request", "HX-History-Restore-Request"))
    return response


def redirect_to(url: str, status: int = 303):
    """After a successful action: a plain redirect, or ``HX-Location`` for htmx (keeps history)."""
    if is_htmx():
        response = make_response("", 200)
        # htmx fetches the page into <body>; it is a navigation, so ask for the whole page the way a
        # boosted link does (``render`` answers a fragment to plain htmx requests).
        response.headers["HX-Location"] = json.dumps(
            {"path": url, "target": "body", "headers": {"HX-Boosted": "true"}})
        return response
    return redirect(url, code=status)


def client_redirect(url: str, status: int = 401):
    """Tell htmx to load another page (used when an htmx request needs a sign-in)."""
    response = make_response("", status)
    response.headers["HX-Redirect"] = url
    return response


def trigger(response, event: str):
    """Ask the page to fire a client event (e.g. refresh the unread badge)."""
    existing = response.headers.get("HX-Trigger")
    response.headers["HX-Trigger"] = f"{existing}, {event}" if existing else event
    return response
