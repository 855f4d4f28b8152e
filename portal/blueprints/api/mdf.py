"""/api/v1 market development funds: a partner's budgets (allocated, committed, paid, remaining per quarter),
its requests, and a new request — over the web pages' own services (same rules, same tenancy).
Money comes twice, never as a JSON float: integer cents and an exact decimal string ("1999.00")."""

from __future__ import annotations

from datetime import date, datetime

from flask_babel import gettext as _
from pydantic import BaseModel, ConfigDict, Field

from portal.blueprints.api.base import operation
from portal.core.errors import Invalid
from portal.core.money import from_cents
from portal.core.pagination import MAX_PAGE_SIZE
from portal.core.permissions import Permission
from portal.mdf import requests, service

MONEY_PATTERN = r"^-?\d+\.\d{2}$"


class BudgetQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    partner_id: int | None = Field(default=None, ge=1, le=2**63 - 1,
                                   description="Vendor staff: whose budgets (a partner's people: their own).")


class BudgetOut(BaseModel):
    year: int
    quarter: int
    currency: str
    allocated_cents: int
    committed_cents: int
    paid_cents: int
    remaining_cents: int
    waiting_cents: int = Field(description="Requested and not decided yet: reserves nothing.")
    remaining: str = Field(pattern=MONEY_PATTERN)


class BudgetList(BaseModel):
    items: list[BudgetOut]


class RequestQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: str = Field(default="", pattern=r"^(|" + "|".join(requests.STATUS_LABELS) + r")$")
    page: int = Field(default=1, ge=1, le=100_000)
    per_page: int = Field(default=50, ge=1, le=MAX_PAGE_SIZE)


class RequestOut(BaseModel):
    id: int
    partner_id: int
    year: int
    quarter: int
    activity: str
    title: str
    description: str
    starts_on: date
    ends_on: date
    currency: str
    status: str
    requested_cents: int
    approved_cents: int | None
    reimbursed_cents: int | None
    claim_due_on: date | None
    created_at: datetime


class RequestPage(BaseModel):
    items: list[RequestOut]
    page: int
    per_page: int
    has_next: bool


class RequestIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    activity: str = Field(max_length=30, description=", ".join(requests.ACTIVITIES))
    title: str = Field(max_length=1000)
    description: str = Field(max_length=10_000)
    starts_on: str = Field(max_length=10, examples=["2026-11-02"])
    ends_on: str = Field(max_length=10, examples=["2026-11-04"])
    amount: str = Field(max_length=30, description="Major units as a decimal string", examples=["5000.00"])


def _request(row) -> RequestOut:
    return RequestOut(**{name: getattr(row, name) for name in RequestOut.model_fields})


@operation("/mdf/budgets", summary="MDF budgets per quarter: allocated, committed, paid, remaining",
           query=BudgetQuery, response=BudgetList, permission=Permission.VIEW_MDF, tags=("mdf",))
def list_budgets(user, query: BudgetQuery) -> BudgetList:
    partner_id = user.partner_id or query.partner_id
    if partner_id is None:
        raise Invalid({"partner_id": [_("Choose a partner.")]})
    lines = service.partner_overview(user, partner_id)
    return BudgetList(items=[BudgetOut(
        year=line.period[0], quarter=line.period[1], currency=line.currency, allocated_cents=line.figures.allocated,
        committed_cents=line.figures.committed, paid_cents=line.figures.paid,
        remaining_cents=line.figures.remaining, waiting_cents=line.figures.waiting,
        remaining=str(from_cents(line.figures.remaining))) for line in lines])


@operation("/mdf/requests", summary="MDF requests (newest first)", query=RequestQuery, response=RequestPage,
           permission=Permission.VIEW_MDF, tags=("mdf",))
def list_requests(user, query: RequestQuery) -> RequestPage:
    page = requests.list_page(user, requests.Filters(status=query.status), query.page, query.per_page)
    return RequestPage(items=[_request(row) for row, _name in page.items], page=page.number, per_page=page.size,
                       has_next=page.has_next)


@operation("/mdf/requests", "POST", summary="Request MDF funds (partner admins)", body=RequestIn,
           response=RequestOut, permission=Permission.REQUEST_MDF, status=201, tags=("mdf",))
def create_request(user, body: RequestIn) -> RequestOut:
    return _request(requests.request_funds(user, body.model_dump()))
