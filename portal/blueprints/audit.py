"""The audit log: filterable, paginated, scoped like the rows it describes."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, request
from flask_login import current_user

from portal.accounts import service as accounts
from portal.accounts.models import User
from portal.core import audit
from portal.core.htmx import render
from portal.core.pagination import page_number
from portal.core.permissions import Permission, require
from portal.core.time import DayError, day_end, day_start, parse_day
from portal.pages import conditional
from portal.partners.models import Partner
from portal.partners.service import partner_scope

bp = Blueprint("audit", __name__, url_prefix="/audit")


def _day(name: str, errors: dict) -> date | None:
    """A yyyy-mm-dd filter (a day of the calendar the portal takes: ``core.time.parse_day``)."""
    try:
        return parse_day(request.args.get(name, ""))
    except DayError as exc:
        errors[name] = [str(exc)]
        return None


@bp.get("/")
@require(Permission.VIEW_AUDIT)
@conditional(audit.AuditEntry, User, Partner)
def index():
    errors: dict[str, list[str]] = {}
    since = _day("since", errors)
    until = _day("until", errors)
    filters = {k: request.args.get(k, "").strip() for k in ("action", "entity_type", "actor", "since", "until")}
    actor_id = None
    if filters["actor"]:
        actor = accounts.find_by_email(filters["actor"])
        actor_id = actor.id if actor else -1  # an unknown e-mail matches nothing
    zone = current_user.timezone
    stmt = audit.filtered(audit.visible_entries(current_user, partner_scope), action=filters["action"],
                          entity_type=filters["entity_type"], actor_id=actor_id,
                          since=day_start(since, zone) if since else None,
                          until=day_end(until, zone) if until else None)
    page = audit.page_of(stmt, page_number(), 50)
    actors = accounts.users_by_id({e.actor_id for e in page.items if e.actor_id})
    return render("audit/index.html", "results", status=422 if errors else 200, page=page,
                  filters=filters, errors=errors, actors=actors)
