"""The first screen's partner-lifecycle panel: a partner sees its tier and the way to the next one; vendor
staff see what waits for them (applications, agreements ending soon, tier changes to confirm)."""

from __future__ import annotations

from dataclasses import dataclass, field

from portal.core.permissions import Permission
from portal.partners import agreements, applications, evaluations, tier_review, tiers


@dataclass
class Panel:
    kind: str  # "partner" | "vendor"
    progress: tiers.Progress | None = None
    evaluations_waiting: int = 0
    applications_waiting: int | None = None
    agreements_ending: int = 0
    ending: list = field(default_factory=list)
    tier_changes_waiting: int | None = None


def dashboard_panel(actor) -> Panel | None:
    if actor.can(Permission.VIEW_PARTNERSHIP) and actor.partner is not None:
        return Panel("partner", progress=tiers.progress(actor.partner),
                     evaluations_waiting=evaluations.waiting_acknowledgement(actor))
    if not actor.can(Permission.VIEW_PARTNERS):
        return None
    total, ending = agreements.ending_soon(actor, limit=5)
    return Panel("vendor", agreements_ending=total, ending=ending,
                 applications_waiting=applications.waiting_count()
                 if actor.can(Permission.REVIEW_APPLICATIONS) else None,
                 tier_changes_waiting=tier_review.waiting_count(actor) if actor.can(Permission.MANAGE_TIERS) else None)
