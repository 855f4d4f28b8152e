"""Recruitment: the public application, duplicate detection, the reviewers' list and the decision.

- Anyone may apply (no account is created); every field is checked at once and the applicant gets a
  confirmation e-mail in the language they applied in.
- An application whose website domain or company ID matches a partner or another open application is
  flagged to the reviewers (never refused: a branch office may apply on purpose).
- Approving creates the partner (type, region, starting tier, channel manager) and its partner admin,
  who is e-mailed an invitation link (``portal.accounts.service.invite_user``); rejecting e-mails the
  reason. Both are audited; an application is decided once (a conditional UPDATE claims it).
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import literal, or_, select, union_all, update

from portal.catalogue.models import Tier
from portal.core import audit
from portal.core.errors import Conflict, Forbidden, Invalid, NotFound
from portal.core.permissions import Permission, Role
from portal.core.time import utcnow
from portal.extensions import db
from portal.notifications.service import notify
from portal.partners.models import OPEN_APPLICATION, Application, ApplicationStatus, Partner, PartnerType
from portal.partners.service import (
    WEBSITE_MAX,
    clean_text,
    normalise_company_id,
    normalise_website,
    save_partner,
    take_text,
    validate_partner,
)

REGIONS = {"APAC": _l("Asia Pacific"), "EMEA": _l("Europe, Middle East and Africa"), "NA": _l("North America"),
           "LATAM": _l("Latin America")}
EMPLOYEE_BANDS = {"1-10": "1–10", "11-50": "11–50", "51-200": "51–200", "201-1000": "201–1,000",
                  "1000+": "1,000+"}
REVENUE_BANDS = {"lt1m": _l("under $1 million"), "1m-10m": _l("$1–10 million"), "10m-50m": _l("$10–50 million"),
                 "gt50m": _l("over $50 million")}
STATUS_LABELS = {ApplicationStatus.NEW: _l("New"), ApplicationStatus.IN_REVIEW: _l("In review"),
                 ApplicationStatus.APPROVED: _l("Approved"), ApplicationStatus.REJECTED: _l("Rejected")}
SORTS = ("newest", "oldest", "score", "company")
TEXT_LIMITS = {"company": 160, "country": 60, "contact_name": 120, "contact_phone": 40}
LONG_LIMITS = {"markets": 1000, "industries": 1000, "certifications": 1000, "motivation": 4000}
REASON_MAX = 1000


@dataclass(frozen=True)
class Applicant:
    """Whom the applicant's e-mails go to (``notify`` takes anything with these attributes)."""

    email: str
    name: str
    locale: str
    id: None = None


def applicant(application: Application) -> Applicant:
    return Applicant(application.contact_email, application.contact_name, application.locale)


def number(application_id: int) -> str:
    return f"APP-{application_id:06d}"


# --- the public form -----------------------------------------------------------------------------------

def _choice(data: dict, name: str, choices, errors: dict, message: str) -> str:
    value = str(data.get(name) or "")
    if value not in choices:
        errors[name] = [message]
    return value


def clean_application(data: dict) -> dict:
    """The application's fields, cleaned; Invalid with every problem next to its field."""
    from portal.accounts.service import normalise_email

    errors: dict[str, list[str]] = {}
    missing = {"company": _("Enter the company name."), "country": _("Enter the country or region."),
               "contact_name": _("Enter the contact person's name.")}
    out = {name: take_text(data, name, limit, errors, missing.get(name)) for name, limit in TEXT_LIMITS.items()}
    for name, limit in LONG_LIMITS.items():
        out[name] = take_text(data, name, limit, errors, multiline=True,
                              missing=_("Tell us why you want to partner with us.") if name == "motivation" else None)
    out["region"] = _choice(data, "region", REGIONS, errors, _("Choose a region."))
    out["partner_type"] = _choice(data, "partner_type", set(PartnerType), errors, _("Choose a partner type."))
    out["employees"] = _choice(data, "employees", EMPLOYEE_BANDS, errors, _("Choose the number of employees."))
    out["revenue_band"] = _choice(data, "revenue_band", REVENUE_BANDS, errors, _("Choose the annual revenue."))
    website, problem = clean_text(data.get("website"), WEBSITE_MAX)
    if problem or not website:
        errors["website"] = [problem or _("Enter the company's web address, e.g. https://www.example.com.")]
    else:
        try:
            out["website"], out["domain"] = normalise_website(website)
        except ValueError as exc:
            errors["website"] = [str(exc)]
    try:
        out["company_id"] = normalise_company_id(clean_text(data.get("company_id"), 60)[0])
    except ValueError as exc:
        errors["company_id"] = [str(exc)]
    email, problem = clean_text(data.get("contact_email"), 254)
    try:
        if problem:
            raise Invalid({"email": [problem]})
        out["contact_email"] = normalise_email(email)
    except Invalid as exc:
        errors["contact_email"] = exc.field_errors["email"]
    phone = out["contact_phone"]
    if phone and "contact_phone" not in errors and not all(ch.isdigit() or ch in " +-()./" for ch in phone):
        errors["contact_phone"] = [_("Use digits, spaces and + - ( ) only.")]
    if errors:
        raise Invalid(errors)
    return out


def submit(data: dict, locale: str) -> Application:
    """A company applies (no actor: the page is public). Confirmation e-mail in ``locale``."""
    fields = clean_application(data)
    application = Application(status=ApplicationStatus.NEW, locale=locale or "en", created_at=utcnow(), **fields)
    db.session.add(application)
    db.session.flush()
    application.number = number(application.id)
    audit.record(None, "application.submitted", application,
                 after={"company": application.company, "domain": application.domain,
                        "contact_email": application.contact_email},
                 summary=f"{application.number} {application.company}")
    notify(f"application-received:{application.id}", [applicant(application)], "application_received",
           in_app=False, application=application)
    return application


# --- reviewers' side -----------------------------------------------------------------------------------

def _allowed(actor, permission: Permission = Permission.REVIEW_APPLICATIONS) -> None:
    if not actor.can(permission):
        raise Forbidden(_("You do not have permission to do that."))


@dataclass(frozen=True)
class Filters:
    status: str = ""
    region: str = ""
    type: str = ""
    min_score: int | None = None  # 0–100
    sort: str = "newest"

    @classmethod
    def from_args(cls, args) -> Filters:
        """Leniently: nonsense in a hand-edited address means "no filter"."""
        raw = (args.get("min_score") or "").strip()
        min_score = int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 3 and int(raw) <= 100 else None
        sort = args.get("sort", "newest")
        return cls(status=args.get("status", "") if args.get("status") in set(ApplicationStatus) else "",
                   region=args.get("region", "") if args.get("region") in REGIONS else "",
                   type=args.get("type", "") if args.get("type") in set(PartnerType) else "",
                   min_score=min_score, sort=sort if sort in SORTS else "newest")

    def as_args(self) -> dict:
        args = {k: v for k, v in (("status", self.status), ("region", self.region), ("type", self.type)) if v}
        if self.min_score is not None:
            args["min_score"] = self.min_score
        if self.sort != "newest":
            args["sort"] = self.sort
        return args


def list_applications(actor, filters: Filters):
    """The applications for reviewers (vendor staff: applications belong to no partner yet)."""
    _allowed(actor)
    stmt = select(Application)
    if filters.status:
        stmt = stmt.where(Application.status == filters.status)
    if filters.region:
        stmt = stmt.where(Application.region == filters.region)
    if filters.type:
        stmt = stmt.where(Application.partner_type == filters.type)
    if filters.min_score is not None:
        stmt = stmt.where(Application.score_tenths >= filters.min_score * 10)
    order = {"newest": (Application.created_at.desc(), Application.id.desc()),
             "oldest": (Application.created_at, Application.id),
             "score": (Application.score_tenths.desc().nulls_last(), Application.id.desc()),
             "company": (Application.company, Application.id)}[filters.sort]
    return stmt.order_by(*order)


def get_application(actor, application_id: int) -> Application:
    _allowed(actor)
    application = db.session.get(Application, application_id)
    if application is None:
        raise NotFound(_("Application not found."))
    return application


@dataclass(frozen=True)
class Duplicate:
    kind: str  # "partner" | "application"
    id: int
    name: str
    label: str  # partner name or application number
    match: str  # "domain" | "company_id"


def _matches(domains: set[str], company_ids: set[str]):
    """One statement: partners and open applications with one of these domains or company IDs."""
    def where(model):
        clauses = []
        if domains:
            clauses.append(model.domain.in_(sorted(domains)))
        if company_ids:
            clauses.append(model.company_id.in_(sorted(company_ids)))
        return or_(*clauses)

    partners = select(literal("partner").label("kind"), Partner.id, Partner.name, Partner.name.label("label"),
                      Partner.domain, Partner.company_id).where(where(Partner))
    applications = select(literal("application").label("kind"), Application.id, Application.company,
                          Application.number, Application.domain, Application.company_id).where(
        where(Application), Application.status.in_(OPEN_APPLICATION))
    return db.session.execute(union_all(partners, applications)).all()


def duplicates_of(applications: list[Application]) -> dict[int, list[Duplicate]]:
    """Per application: the partners and other open applications sharing its domain or company ID (one query)."""
    domains = {a.domain for a in applications if a.domain}
    company_ids = {a.company_id for a in applications if a.company_id}
    if not applications or not (domains or company_ids):
        return {}
    rows = _matches(domains, company_ids)
    found: dict[int, list[Duplicate]] = {}
    for application in applications:
        for kind, row_id, name, label, domain, company_id in rows:
            if kind == "application" and row_id == application.id:
                continue
            if application.company_id and company_id == application.company_id:
                found.setdefault(application.id, []).append(Duplicate(kind, row_id, name, label, "company_id"))
            elif domain and domain == application.domain:
                found.setdefault(application.id, []).append(Duplicate(kind, row_id, name, label, "domain"))
    return found


# --- decision ------------------------------------------------------------------------------------------

def _claim(application: Application, to_status: str, actor, reason: str = "", partner_id: int | None = None) -> None:
    claimed = db.session.execute(
        update(Application).where(Application.id == application.id, Application.status.in_(OPEN_APPLICATION))
        .values(status=to_status, decided_at=utcnow(), decided_by=actor.id, decision_reason=reason,
                partner_id=partner_id).execution_options(synchronize_session=False)).rowcount
    db.session.refresh(application)
    if claimed != 1:
        raise Conflict(_("Application %(number)s is already %(status)s.", number=application.number,
                         status=str(STATUS_LABELS.get(application.status, application.status)).lower()))


def _decidable(actor, application_id: int) -> Application:
    _allowed(actor, Permission.DECIDE_APPLICATIONS)
    application = get_application(actor, application_id)
    if application.status not in OPEN_APPLICATION:
        raise Conflict(_("Application %(number)s is already %(status)s.", number=application.number,
                         status=str(STATUS_LABELS.get(application.status, application.status)).lower()))
    return application


def approve(actor, application_id: int, data: dict) -> Partner:
    """Create the partner from the application (``data``: name, type, region, tier_id, channel_manager_id,
    contact_name, contact_email — prefilled from the application, editable) and invite its partner admin."""
    from portal.accounts.service import find_by_email, invite_user, normalise_email

    application = _decidable(actor, application_id)
    record = {"name": data.get("name"), "type": data.get("type"), "region": data.get("region"),
              "status": "active", "status_reason": "", "channel_manager_id": data.get("channel_manager_id"),
              "country": application.country, "website": application.website,
              "company_id": application.company_id}
    errors = validate_partner(record, None)
    tier_id = data.get("tier_id")
    if tier_id is not None and db.session.get(Tier, tier_id) is None:
        errors["tier_id"] = [_("Choose a tier.")]
    contact_name = take_text(data, "contact_name", 120, errors, _("Enter the contact person's name."))
    try:
        contact_email = normalise_email(clean_text(data.get("contact_email"), 254)[0])
        if find_by_email(contact_email) is not None:
            errors["contact_email"] = [_("Someone with this e-mail address already has an account.")]
    except Invalid as exc:
        errors["contact_email"] = exc.field_errors["email"]
    if errors:
        raise Invalid(errors)
    partner = save_partner(actor, record)
    partner.tier_id = tier_id
    _claim(application, ApplicationStatus.APPROVED, actor, partner_id=partner.id)
    invite_user(actor, contact_email, contact_name, Role.PARTNER_ADMIN, partner.id, locale=application.locale)
    tier = db.session.get(Tier, tier_id) if tier_id else None
    audit.record(actor, "application.approved", application, partner_id=partner.id,
                 before={"status": "open"},
                 after={"status": "approved", "partner": partner.name, "tier": tier.name if tier else None,
                        "channel_manager_id": partner.channel_manager_id, "partner_admin": contact_email},
                 summary=f"{application.number} {application.company}")
    return partner


def reject(actor, application_id: int, reason: str) -> Application:
    """Reject with a reason the applicant is e-mailed."""
    application = _decidable(actor, application_id)
    reason, problem = clean_text(reason, REASON_MAX, multiline=True)
    if problem or not reason:
        raise Invalid({"reason": [problem or _("Give the applicant a reason.")]})
    _claim(application, ApplicationStatus.REJECTED, actor, reason=reason)
    audit.record(actor, "application.rejected", application, before={"status": "open"},
                 after={"status": "rejected", "reason": reason}, summary=f"{application.number} {application.company}")
    notify(f"application-rejected:{application.id}", [applicant(application)], "application_rejected",
           in_app=False, application=application, reason=reason)
    return application


def waiting_count() -> int:
    """Open applications (the admin and manager dashboard)."""
    from sqlalchemy import func

    return db.session.scalar(select(func.count()).select_from(Application)
                             .where(Application.status.in_(OPEN_APPLICATION))) or 0
