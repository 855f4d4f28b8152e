"""/api/v1 partner lifecycle: partners (admins: list, get), applications (create: the public page's twin, no
token, rate-limited) and tiers (their discounts and requirements), over the web pages' own services.
Money comes twice, never as a JSON float: integer cents and an exact decimal string ("1999.00")."""

from __future__ import annotations

from datetime import date, datetime

from flask import current_app
from flask_babel import get_locale
from pydantic import BaseModel, ConfigDict, Field

from portal.blueprints.api.base import operation
from portal.catalogue.pricing import discount_percent
from portal.core.money import from_cents
from portal.core.pagination import MAX_PAGE_SIZE, paginate
from portal.core.permissions import Permission
from portal.partners import agreements, applications, service, tiers

MONEY_PATTERN = r"^-?\d+\.\d{2}$"
TEXT_GUARD = 10_000  # the service checks each field's own limit; this only bounds the body


# --- models ------------------------------------------------------------------------------------------------

class PartnerListQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    q: str = Field(default="", max_length=160, description="Company name contains this (case-insensitive).")
    status: str = Field(default="", pattern=r"^(|active|suspended|terminated)$", description="active, suspended "
                                                                                            "or terminated")
    type: str = Field(default="", pattern=r"^(|distributor|reseller|agent|retailer|referral)$")
    page: int = Field(default=1, ge=1, le=100_000)
    per_page: int = Field(default=50, ge=1, le=MAX_PAGE_SIZE)


class TierOut(BaseModel):
    id: int
    name: str
    rank: int = Field(description="The order of the tiers: higher is better.")
    discount_percent: str = Field(pattern=MONEY_PATTERN, examples=["10.00"])
    min_revenue_cents: int = Field(description="Minimum trailing-12-month revenue (delivered orders less "
                                               "accepted return credits), in cents.")
    min_revenue: str = Field(pattern=MONEY_PATTERN, examples=["250000.00"])
    min_certified: int = Field(description="Minimum number of currently certified people.")


class AgreementOut(BaseModel):
    id: int
    starts_on: date
    ends_on: date
    annual_target_cents: int
    annual_target: str = Field(pattern=MONEY_PATTERN)
    currency: str
    exit_terms: str
    state: str = Field(description="upcoming, active, ending_soon (within 60 days), ended or renewed")
    has_document: bool


class PartnerOut(BaseModel):
    id: int
    name: str
    type: str
    region: str
    country: str
    website: str
    company_id: str | None
    status: str
    status_reason: str
    tier: str | None
    channel_manager_id: int | None
    created_at: datetime
    agreement: AgreementOut | None = Field(default=None, description="The agreement in force (detail only).")


class PartnerPage(BaseModel):
    items: list[PartnerOut]
    page: int
    per_page: int
    has_next: bool


class TierList(BaseModel):
    items: list[TierOut]


class ApplicationIn(BaseModel):
    """The "Become a partner" form's fields; each is checked like on the page (all errors at once)."""

    model_config = ConfigDict(extra="forbid")

    company: str = Field(max_length=TEXT_GUARD)
    country: str = Field(max_length=TEXT_GUARD)
    region: str = Field(max_length=TEXT_GUARD, description="APAC, EMEA, NA or LATAM")
    partner_type: str = Field(max_length=TEXT_GUARD, description="distributor, reseller, agent, retailer or referral")
    website: str = Field(max_length=TEXT_GUARD)
    company_id: str = Field(default="", max_length=TEXT_GUARD, description="Unified social credit code or company ID")
    contact_name: str = Field(max_length=TEXT_GUARD)
    contact_email: str = Field(max_length=TEXT_GUARD)
    contact_phone: str = Field(default="", max_length=TEXT_GUARD)
    employees: str = Field(max_length=TEXT_GUARD, description="1-10, 11-50, 51-200, 201-1000 or 1000+")
    revenue_band: str = Field(max_length=TEXT_GUARD, description="lt1m, 1m-10m, 10m-50m or gt50m (USD)")
    markets: str = Field(default="", max_length=TEXT_GUARD)
    industries: str = Field(default="", max_length=TEXT_GUARD)
    certifications: str = Field(default="", max_length=TEXT_GUARD)
    motivation: str = Field(max_length=TEXT_GUARD)


class ApplicationOut(BaseModel):
    number: str
    status: str
    possible_duplicate: bool = Field(description="Its website domain or company ID matches a partner or an open "
                                                 "application; the reviewers see which.")


# --- conversions -------------------------------------------------------------------------------------------------

def _tier(tier) -> TierOut:
    return TierOut(id=tier.id, name=tier.name, rank=tier.rank, discount_percent=str(discount_percent(tier.discount_bp)),
                   min_revenue_cents=tier.min_revenue_cents, min_revenue=str(from_cents(tier.min_revenue_cents)),
                   min_certified=tier.min_certified)


def _partner(partner, tier_names: dict[int, str], agreement=None) -> PartnerOut:
    return PartnerOut(
        id=partner.id, name=partner.name, type=partner.type, region=partner.region, country=partner.country,
        website=partner.website, company_id=partner.company_id, status=partner.status,
        status_reason=partner.status_reason, tier=tier_names.get(partner.tier_id),
        channel_manager_id=partner.channel_manager_id, created_at=partner.created_at,
        agreement=AgreementOut(
            id=agreement.id, starts_on=agreement.starts_on, ends_on=agreement.ends_on,
            annual_target_cents=agreement.annual_target_cents,
            annual_target=str(from_cents(agreement.annual_target_cents)), currency=agreement.currency,
            exit_terms=agreement.exit_terms, state=agreements.state(agreement),
            has_document=agreement.document_key is not None) if agreement else None)


# --- endpoints ---------------------------------------------------------------------------------------------------

@operation("/partners", summary="List partners (admins)", query=PartnerListQuery, response=PartnerPage,
           permission=Permission.MANAGE_PARTNERS, tags=("partners",))
def list_partners(user, query: PartnerListQuery) -> PartnerPage:
    page = paginate(service.list_partners(user, query.q, query.status, query.type), query.page, query.per_page)
    names = {t.id: t.name for t in tiers.ladder()}
    return PartnerPage(items=[_partner(p, names) for p in page.items], page=page.number, per_page=page.size,
                       has_next=page.has_next)


@operation("/partners/<id:partner_id>", summary="One partner with its agreement in force (admins)",
           response=PartnerOut, permission=Permission.MANAGE_PARTNERS, tags=("partners",))
def get_partner(user, partner_id: int) -> PartnerOut:
    partner = service.get_partner(user, partner_id)
    names = {t.id: t.name for t in tiers.ladder()}
    return _partner(partner, names, agreements.current(agreements.agreements_of(user, partner.id)))


@operation("/tiers", summary="The tiers with their discounts and requirements", response=TierList,
           tags=("partners",))
def list_tiers(user) -> TierList:
    return TierList(items=[_tier(t) for t in tiers.ladder()])


@operation("/applications", "POST", summary="Apply to become a partner (no token; the public page's twin)",
           body=ApplicationIn, response=ApplicationOut, permission=None, status=201, tags=("partners",),
           public=True, limit=lambda: current_app.config["APPLY_LIMIT_PER_IP"],
           also={429: "Too many applications from this address; try again later"})
def create_application(user, body: ApplicationIn) -> ApplicationOut:
    application = applications.submit(body.model_dump(), str(get_locale()))
    duplicate = bool(applications.duplicates_of([application]))
    return ApplicationOut(number=application.number, status=application.status, possible_duplicate=duplicate)
