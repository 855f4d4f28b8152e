"""The portal as `make bench` serves it: ``wsgi.app`` plus two probe pages that measure what every
signed-in page costs before its own content (the "floor" rows of the bench table).

- ``/_bench/signed-in``: sign-in only — the session, the signed-in user and the permission check; answers
  the user's name as text.
- ``/_bench/layout``: the same plus the layout — the page every portal page is (``base.html``: header with
  role, name and badge counts, footer, CSRF token), with an empty content block, through ``render``.

Only the bench loads this module; the product has no such pages.
"""

from flask import Blueprint
from flask_login import current_user

from portal.core.htmx import render
from portal.core.permissions import require
from wsgi import app

probes = Blueprint("bench_probes", __name__, url_prefix="/_bench", template_folder="bench_templates")


@probes.get("/signed-in")
@require()
def signed_in() -> str:
    return current_user.name


@probes.get("/layout")
@require()
def layout():
    return render("bench/layout.html")


app.register_blueprint(probes)
