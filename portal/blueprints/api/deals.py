"""/api/v1/deals — register, list, read, extend, withdraw and close deal registrations over the web pages' services.

A partner's token sees its company's registrations, and never anything about conflicts: a new registration
answers with its status ("submitted": under review) like any other. Admins and channel managers (their
partners) read any registration in their scope with ``conflicts``: the ids of the matching open registrations
and why each matched. Another partner's registration is a 404. Money as integer cents and an exact decimal
string, never a JSON float.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt

from portal.blueprints.api.base import Day, operation
from portal.core.money import from_cents
from portal.core.pagination import MAX_PAGE_SIZE, paginate
from portal.core.permissions import Permission
from portal.core.time import to_zone, utcnow
from portal.deals import review, service
from portal.deals.models import Deal

MONEY_PATTERN = r"^-?\d+\.\d{2}$"
Status = Literal["submitted", "approved", "rejected", "withdrawn", "won", "lost", "expired", "released"]
Reason = Literal["company_id", "domain", "name", "similar_name"]


class DealListQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: Status | None = Field(default=None, description="Only registrations with this status.")
    expiry: Literal["protected", "expiring"] | None = Field(
        default=None, description="protected: in protection now; expiring: protection ends within 14 days.")
    page: int = Field(default=1, ge=1, le=100_000)
    per_page: int = Field(default=50, ge=1, le=MAX_PAGE_SIZE)


class DealLineIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sku: str = Field(min_length=1, max_length=64)
    quantity: StrictInt = Field(ge=1, le=service.MAX_QUANTITY)


class DealCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    customer_name: str = Field(max_length=200)
    customer_domain: str = Field(max_length=200, description="The customer's website or e-mail domain.")
    company_id: str = Field(default="", max_length=40,
                            description="A unified social credit code (18 characters, check character validated) "
                                        "or another company ID.")
    contact_name: str = Field(default="", max_length=120)
    contact_email: str = Field(default="", max_length=254)
    region: str = Field(max_length=60)
    lines: list[DealLineIn] = Field(min_length=1, max_length=service.MAX_LINES)
    estimated_value: str = Field(pattern=r"^\d{1,13}(\.\d{1,2})?$", examples=["25000.00"])
    expected_close: Day
    notes: str = Field(default="", max_length=service.NOTES_MAX)


class DealLineOut(BaseModel):
    product_id: int | None
    sku: str
    name: str
    quantity: int


class HistoryStep(BaseModel):
    at: datetime
    from_status: str
    to_status: Status
    note: str


class DealOut(BaseModel):
    id: int
    number: str
    partner_id: int
    status: Status
    customer_name: str
    customer_domain: str
    company_id: str | None
    contact_name: str
    contact_email: str
    region: str
    currency: str
    estimated_value: str = Field(pattern=MONEY_PATTERN)
    estimated_value_cents: int
    expected_close: date
    notes: str
    created_at: datetime
    protection_ends_at: datetime | None = Field(description="When the protection ends (approved registrations).")
    extended: bool = Field(description="Its one extension was used.")
    reason: str = Field(description="Why it was rejected, lost or released.")
    won_value_cents: int | None
    won_on: date | None
    closed_at: datetime | None
    lines: list[DealLineOut]
    history: list[HistoryStep]


class ConflictOut(BaseModel):
    id: int = Field(description="The matching open registration.")
    reason: Reason = Field(description="The strongest rule that matched.")
    score: int = Field(description="Similarity of the normalised names, 0–100.")


class DealReviewOut(DealOut):
    conflicts: list[ConflictOut] | None = Field(
        default=None, description="Admins and channel managers only: the matching open registrations.")


class DealPage(BaseModel):
    items: list[DealOut]
    page: int
    per_page: int
    has_next: bool


class WonIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    value: str = Field(pattern=r"^\d{1,13}(\.\d{1,2})?$", examples=["24000.00"], description="The actual value.")
    close_date: Day


class LostIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=service.REASON_MAX)


def _out(deal: Deal, detail: bool = True) -> dict:
    return {"id": deal.id, "number": deal.number, "partner_id": deal.partner_id, "status": deal.status,
            "customer_name": deal.customer_name, "customer_domain": deal.customer_domain,
            "company_id": deal.company_id, "contact_name": deal.contact_name, "contact_email": deal.contact_email,
            "region": deal.region, "currency": deal.currency,
            "estimated_value": str(from_cents(deal.estimated_value_cents)),
            "estimated_value_cents": deal.estimated_value_cents, "expected_close": deal.expected_close,
            "notes": deal.notes, "created_at": deal.created_at, "protection_ends_at": deal.protection_ends_at,
            "extended": deal.extended_at is not None, "reason": deal.reason, "won_value_cents": deal.won_value_cents,
            "won_on": deal.won_on, "closed_at": deal.closed_at,
            "lines": [DealLineOut(product_id=line.product_id, sku=line.sku, name=line.name, quantity=line.quantity)
                      for line in service.lines(deal)] if detail else [],
            "history": [HistoryStep(at=e.at, from_status=e.from_status, to_status=e.to_status, note=e.note)
                        for e in service.history(deal)] if detail else []}


def _detail(user, deal: Deal) -> DealOut:
    if user.can(Permission.REVIEW_DEALS):
        conflicts = [ConflictOut(id=side.deal.id, reason=side.reason, score=side.score)
                     for side in review.conflicts(user, deal)]
        return DealReviewOut(**_out(deal), conflicts=conflicts)
    return DealOut(**_out(deal))


def _today(user) -> date:
    return to_zone(utcnow(), user.timezone or "UTC").date()


@operation("/deals", summary="List the deal registrations you may see, newest first (without lines and history)",
           query=DealListQuery, response=DealPage, tags=("deals",))
def list_deals(user, query: DealListQuery) -> DealPage:
    stmt = service.list_deals(user, service.Filters(status=query.status or "", expiry=query.expiry or ""))
    page = paginate(stmt, query.page, query.per_page)
    return DealPage(items=[DealOut(**_out(deal, detail=False)) for deal in page.items], page=page.number,
                    per_page=page.size, has_next=page.has_next)


@operation("/deals/<id:deal_id>", summary="One registration; for admins and channel managers with its conflicts",
           response=DealReviewOut, tags=("deals",))
def get_deal(user, deal_id: int) -> DealOut:
    return _detail(user, service.get(user, deal_id))


@operation("/deals", "POST", summary="Register a deal (it goes to review; no conflict detail is returned)",
           body=DealCreate, response=DealOut, permission=Permission.REGISTER_DEALS, status=201, tags=("deals",))
def create_deal(user, body: DealCreate) -> DealOut:
    data = body.model_dump(exclude={"lines"})
    for n, line in enumerate(body.lines, start=1):
        data[f"sku_{n}"], data[f"quantity_{n}"] = line.sku, str(line.quantity)
    deal = service.register(user, data, _today(user))
    return DealOut(**_out(deal))


@operation("/deals/<id:deal_id>/extend", "POST", summary="Extend the protection once, before it ends",
           response=DealOut, permission=Permission.REGISTER_DEALS, tags=("deals",),
           also={409: "Not protected now, or extended once already"})
def extend_deal(user, deal_id: int) -> DealOut:
    return DealOut(**_out(service.extend(user, deal_id)))


@operation("/deals/<id:deal_id>/withdraw", "POST", summary="Withdraw a registration under review",
           response=DealOut, permission=Permission.REGISTER_DEALS, tags=("deals",),
           also={409: "The registration is decided already"})
def withdraw_deal(user, deal_id: int) -> DealOut:
    return DealOut(**_out(service.withdraw(user, deal_id)))


@operation("/deals/<id:deal_id>/won", "POST", summary="Close an approved registration as won", body=WonIn,
           response=DealOut, permission=Permission.REGISTER_DEALS, tags=("deals",),
           also={409: "Only approved registrations can be closed"})
def win_deal(user, body: WonIn, deal_id: int) -> DealOut:
    return DealOut(**_out(service.mark_won(user, deal_id, body.value, body.close_date, _today(user))))


@operation("/deals/<id:deal_id>/lost", "POST", summary="Close an approved registration as lost", body=LostIn,
           response=DealOut, permission=Permission.REGISTER_DEALS, tags=("deals",),
           also={409: "Only approved registrations can be closed"})
def lose_deal(user, body: LostIn, deal_id: int) -> DealOut:
    return DealOut(**_out(service.mark_lost(user, deal_id, body.reason)))
