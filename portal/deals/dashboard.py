"""The deals area's panels on the first screen: a partner's open registrations; a reviewer's waiting queue."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select

from portal.core.permissions import Permission
from portal.core.time import utcnow
from portal.deals.models import Deal
from portal.deals.service import EXPIRING_DAYS, days_left, open_clause
from portal.extensions import db
from portal.orders.queue import ager
from portal.partners.models import Partner
from portal.partners.service import partner_scope

SHOWN = 5


@dataclass(frozen=True)
class PartnerDeals:
    open_deals: list[Deal]  # newest first
    total_open: int
    expiring: int  # protected, ending within EXPIRING_DAYS
    days_left: Callable


@dataclass(frozen=True)
class ReviewerDeals:
    rows: list  # the oldest waiting: (id, customer_name, partner_name, since, had_conflict)
    total: int
    age: Callable


def partner_panel(user) -> PartnerDeals | None:
    """For partner people who register deals: the company's open registrations and how many expire soon."""
    if not user.can(Permission.REGISTER_DEALS):
        return None
    now = utcnow()
    company = Deal.partner_id == user.partner_id
    expiring = (select(func.count()).select_from(Deal).where(
        company, Deal.status == "approved", Deal.protection_ends_at > now,
        Deal.protection_ends_at <= now + timedelta(days=EXPIRING_DAYS)).scalar_subquery())
    # one query: the newest open registrations, how many are open (a window count), how many expire soon
    rows = db.session.execute(select(Deal, func.count().over(), expiring).where(company, open_clause(now))
                              .order_by(Deal.created_at.desc(), Deal.id.desc()).limit(SHOWN)).all()
    return PartnerDeals([deal for deal, _n, _e in rows], rows[0][1] if rows else 0, rows[0][2] if rows else 0,
                        lambda deal: days_left(deal, now))


def reviewer_panel(user) -> ReviewerDeals | None:
    """For reviewers (a channel manager: their partners): how many registrations wait, the oldest first."""
    if not user.can(Permission.REVIEW_DEALS):
        return None
    rows = db.session.execute(
        select(Deal.id, Deal.customer_name, Partner.name.label("partner_name"), Deal.created_at.label("since"),
               Deal.had_conflict, func.count().over().label("waiting"))
        .join(Partner, Partner.id == Deal.partner_id)
        .where(Deal.status == "submitted", partner_scope(user, Deal.partner_id))
        .order_by(Deal.created_at, Deal.id).limit(SHOWN)).all()
    return ReviewerDeals(rows, rows[0].waiting if rows else 0, ager())
