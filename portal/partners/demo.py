"""The partner lifecycle's demo data (``portal.demo.seed`` calls ``seed``): idempotent, rows only (no audit
entries, no e-mail).

Small: tier requirements; the demo partners' profiles and agreements (Northwind's ends within 60 days and
follows an earlier, renewed one); applications in every state, the ones in review scored by the demo admin
and the demo manager (one flagged as a possible duplicate of Northwind); an evaluation of Northwind's last
quarter shared with it, waiting for Anna's acknowledgement.
Large (``--scale large``): an agreement for each large partner (a tenth ending within 60 days, a fifth with a
renewed predecessor) and LARGE_APPLICATIONS applications with two reviewers' scores each, set-based.
"""

from __future__ import annotations

import random
from datetime import timedelta

from sqlalchemy import select

from portal.accounts.models import User
from portal.catalogue.models import Tier
from portal.core.time import utcnow
from portal.extensions import db
from portal.partners import evaluations, scorecard
from portal.partners.models import (
    Agreement,
    Application,
    ApplicationReview,
    ApplicationScore,
    Evaluation,
    EvaluationAction,
    Partner,
    ScorecardCriterion,
)

# tier → (minimum trailing-12-month revenue in cents, minimum certified people). Sized to the demo's orders:
# Northwind (~4,700.00 delivered) keeps Gold, Eastwind (~5,000.00) is held for Gold until certifications count.
TIER_REQUIREMENTS = {"Registered": (0, 0), "Silver": (250_000, 0), "Gold": (400_000, 2), "Platinum": (2_500_000, 5)}
PROFILES = {  # partner → (country, website, company ID)
    "Northwind Trading": ("United Kingdom", "https://www.northwind.demo.test", "GB08123456"),
    "东风贸易有限公司 (Eastwind)": ("中国", "https://eastwind.demo.test", "91310115MA1K4XXXXB"),
}
# (company, country, region, type, website, company ID, contact, e-mail, employees, revenue band, markets,
#  industries, certifications, motivation, status, days ago, scores by admin, scores by manager, decision reason)
APPLICATIONS = [
    ("Harbour Networks Pty Ltd", "Australia", "APAC", "reseller", "https://www.harbournetworks.example", "",
     "Liam O'Connor", "liam@harbournetworks.example", "11-50", "1m-10m", "Sydney, Melbourne",
     "Ports and logistics", "2 × CCNP", "Our port customers ask for industrial 5G routers.", "new", 2, None, None,
     ""),
    ("Nordlicht Systemhaus GmbH", "Germany", "EMEA", "distributor", "https://nordlicht-systemhaus.example",
     "HRB 123456 B", "Jana Krüger", "jana.krueger@nordlicht-systemhaus.example", "201-1000", "10m-50m",
     "Germany, Austria, Switzerland", "Manufacturing, utilities", "ISO 27001; 6 network engineers",
     "We distribute to 300 resellers in DACH and miss an industrial networking line.", "in_review", 9,
     [4, 4, 5, 3], [5, 4, 4, 4], ""),
    ("Northwind Trading Nordic AB", "Sweden", "EMEA", "reseller", "https://www.northwind.demo.test/nordic", "",
     "Erik Lind", "erik@northwind-nordic.example", "11-50", "1m-10m", "Sweden, Norway", "Retail",
     "", "The Nordic branch of Northwind wants its own price list.", "in_review", 5, [3, 3, 3, 4], [2, 3, 3, 3],
     ""),
    ("东风贸易有限公司 (Eastwind)", "中国", "APAC", "distributor", "https://eastwind.demo.test",
     "91310115MA1K4XXXXB", "陈静 (Chen Jing)", "chen@eastwind.demo.test", "51-200", "10m-50m", "华东、华南",
     "制造业、物流", "华为 HCIP × 4", "我们在华东地区有 200 多家经销商，希望代理贵司的工业网络产品。", "approved", 400,
     [5, 4, 4, 4], [4, 4, 5, 4], ""),
    ("Quick Flip Electronics", "United States", "NA", "retailer", "https://quickflip.example", "",
     "Sam Carter", "sam@quickflip.example", "1-10", "lt1m", "Online marketplaces", "Consumer",
     "", "We resell surplus stock online.", "rejected", 30, [1, 2, 2, 1], [2, 1, 2, 1],
     "We sell through partners who install and support our products on site; online resale of surplus stock "
     "is not part of our channel."),
]
LARGE_APPLICATIONS = 2_000
LARGE_COMPANY_WORDS = ["Alpha", "Blue", "Cedar", "Delta", "Eagle", "Fjord", "Granite", "Harbor", "Iris", "Jade",
                       "Kite", "Lotus", "Maple", "Nova", "Orion", "Pine", "Quartz", "River", "Summit", "Tundra"]
LARGE_REGIONS = ["APAC", "EMEA", "NA", "LATAM"]
LARGE_TYPES = ["distributor", "reseller", "agent", "retailer", "referral"]


def seed(scale: str = "small") -> str:
    today = utcnow().date()
    for tier in db.session.scalars(select(Tier).where(Tier.name.in_(TIER_REQUIREMENTS))):
        if tier.min_revenue_cents == 0 and tier.min_certified == 0:  # not configured yet (a second run keeps edits)
            tier.min_revenue_cents, tier.min_certified = TIER_REQUIREMENTS[tier.name]
    partners = {p.name: p for p in db.session.scalars(select(Partner).where(Partner.name.in_(PROFILES)))}
    for name, (country, website, company_id) in PROFILES.items():
        partner = partners.get(name)
        if partner is not None and not partner.website:
            from portal.partners.service import normalise_company_id, normalise_website

            partner.country, (partner.website, partner.domain) = country, normalise_website(website)
            partner.company_id = normalise_company_id(company_id)
    admin = db.session.scalar(select(User).where(User.email == "admin@demo.test"))
    manager = db.session.scalar(select(User).where(User.email == "manager@demo.test"))
    northwind = partners.get("Northwind Trading")
    if northwind is not None and not _has(Agreement, Agreement.partner_id == northwind.id):
        earlier = Agreement(partner_id=northwind.id, starts_on=today - timedelta(days=730),
                            ends_on=today - timedelta(days=366), annual_target_cents=4_000_000, renewed=True,
                            exit_terms="Either side may end the agreement with 90 days' written notice.",
                            created_by=admin.id if admin else None)
        db.session.add(earlier)
        db.session.flush()
        db.session.add(Agreement(partner_id=northwind.id, starts_on=today - timedelta(days=365),
                                 ends_on=today + timedelta(days=45), annual_target_cents=6_000_000,
                                 previous_id=earlier.id, created_by=admin.id if admin else None,
                                 exit_terms="Either side may end the agreement with 90 days' written notice; "
                                            "open orders are fulfilled, protected deals released."))
    eastwind = partners.get("东风贸易有限公司 (Eastwind)")
    if eastwind is not None and not _has(Agreement, Agreement.partner_id == eastwind.id):
        db.session.add(Agreement(partner_id=eastwind.id, starts_on=today - timedelta(days=100),
                                 ends_on=today + timedelta(days=265), annual_target_cents=5_000_000,
                                 created_by=admin.id if admin else None,
                                 exit_terms="任何一方可提前 90 天书面通知终止本协议。"))
    if admin is not None and manager is not None:
        _applications(admin, manager, eastwind)
        if northwind is not None:
            _evaluation(northwind, manager)
    db.session.flush()
    if scale == "large":
        return _seed_large(admin, manager)
    return ""


def _has(model, *where) -> bool:
    return db.session.scalar(select(model.id).where(*where).limit(1)) is not None


def _review(application: Application, reviewer: User, scores: list[int], criteria, days_ago: int) -> None:
    at = utcnow() - timedelta(days=days_ago)
    pairs = list(zip(criteria, scores, strict=False))
    review = ApplicationReview(application_id=application.id, reviewer_id=reviewer.id, created_at=at, updated_at=at,
                               total_tenths=scorecard.total_tenths([(c.weight, s) for c, s in pairs]), comment="")
    db.session.add(review)
    db.session.flush()
    db.session.add_all(ApplicationScore(review_id=review.id, criterion_id=c.id, criterion_name=c.name,
                                        weight=c.weight, score=s, position=c.position) for c, s in pairs)


def _applications(admin: User, manager: User, eastwind: Partner | None) -> None:
    from portal.partners.applications import number
    from portal.partners.service import normalise_company_id, normalise_website

    criteria = scorecard.criteria()
    for (company, country, region, type_, website, company_id, contact, email, employees, revenue, markets,
         industries, certifications, motivation, status, days_ago, by_admin, by_manager, reason) in APPLICATIONS:
        if _has(Application, Application.contact_email == email, Application.company == company):
            continue
        at = utcnow() - timedelta(days=days_ago)
        website, domain = normalise_website(website)
        application = Application(
            status=status, company=company, country=country, region=region, partner_type=type_, website=website,
            domain=domain, company_id=normalise_company_id(company_id), contact_name=contact, contact_email=email,
            employees=employees, revenue_band=revenue, markets=markets, industries=industries,
            certifications=certifications, motivation=motivation, locale="zh_Hans" if region == "APAC" and
            country == "中国" else "en", created_at=at)
        db.session.add(application)
        db.session.flush()
        application.number = number(application.id)
        totals = []
        for reviewer, scores, offset in ((admin, by_admin, 1), (manager, by_manager, 2)):
            if scores:
                _review(application, reviewer, scores, criteria, max(days_ago - offset, 0))
                totals.append(scorecard.total_tenths([(c.weight, s) for c, s in zip(criteria, scores, strict=False)]))
        application.score_tenths, application.review_count = scorecard.average_tenths(totals), len(totals)
        if status in ("approved", "rejected"):
            application.decided_at, application.decided_by = at + timedelta(days=3), admin.id
            application.decision_reason = reason
            application.partner_id = eastwind.id if status == "approved" and eastwind is not None else None


def _evaluation(partner: Partner, manager: User) -> None:
    year, quarter = evaluations.previous_quarter(*evaluations.current_quarter())
    if _has(Evaluation, Evaluation.partner_id == partner.id, Evaluation.year == year, Evaluation.quarter == quarter):
        return
    shared = evaluations.quarter_start(*evaluations.current_quarter()) + timedelta(days=3)
    evaluation = Evaluation(partner_id=partner.id, year=year, quarter=quarter, status="shared",
                            kpis=evaluations.compute_kpis(partner.id, year, quarter), customer_satisfaction=4,
                            marketing_participation=2, created_by=manager.id, shared_at=min(shared, utcnow()),
                            notes="Strong service quality; join the spring campaign and certify two engineers.")
    db.session.add(evaluation)
    db.session.flush()
    due = utcnow().date() + timedelta(days=60)
    db.session.add_all([
        EvaluationAction(evaluation_id=evaluation.id, position=1, due_on=due,
                         description="Two engineers pass the Networking Essentials certification"),
        EvaluationAction(evaluation_id=evaluation.id, position=2, due_on=due + timedelta(days=30),
                         description="Run one co-marketing event with the spring campaign kit"),
    ])


# --- large ---------------------------------------------------------------------------------------------------

def _seed_large(admin: User | None, manager: User | None) -> str:
    """Agreements for the large partners and LARGE_APPLICATIONS scored applications, set-based; skipped
    when they exist (a second run adds nothing)."""
    from portal.demo import first_free_id, insert_rows, sync_id_sequences

    parts = []
    rng = random.Random(20261204)
    today = utcnow().date()
    large = list(db.session.scalars(select(Partner.id).where(Partner.name.like("Large %")).order_by(Partner.id)))
    if large and not _has(Agreement, Agreement.partner_id == large[0]):
        rows, next_id = [], first_free_id(Agreement)
        for i, partner_id in enumerate(large):
            ends = today + timedelta(days=rng.randint(1, 60) if i % 10 == 0 else rng.randint(61, 700))
            starts = ends - timedelta(days=364)
            previous = None
            if i % 5 == 0:  # a renewed earlier agreement: the history
                previous = next_id
                rows.append(_agreement_row(next_id, partner_id, starts - timedelta(days=365),
                                           starts - timedelta(days=1), rng, True, None))
                next_id += 1
            rows.append(_agreement_row(next_id, partner_id, starts, ends, rng, False, previous))
            next_id += 1
        insert_rows(Agreement, rows)
        parts.append(f"{len(rows)} agreements")
    if admin is not None and manager is not None and not _has(Application, Application.number.like("APP-L%")):
        parts.append(_large_applications(rng, admin, manager))
    sync_id_sequences(Agreement, Application, ApplicationReview, ApplicationScore)
    db.session.flush()
    return "; ".join(parts)


def _agreement_row(row_id, partner_id, starts, ends, rng, renewed, previous) -> dict:
    return {"id": row_id, "partner_id": partner_id, "starts_on": starts, "ends_on": ends,
            "annual_target_cents": rng.randint(5, 500) * 1_000_000, "currency": "USD",
            "exit_terms": "90 days' written notice.", "document_key": None, "document_name": None,
            "previous_id": previous, "renewed": renewed, "created_by": None, "created_at": utcnow()}


def _large_applications(rng, admin: User, manager: User) -> str:
    from portal.demo import first_free_id, insert_rows

    criteria = list(db.session.scalars(select(ScorecardCriterion).where(ScorecardCriterion.active.is_(True))
                                       .order_by(ScorecardCriterion.position)))
    ids = {model: first_free_id(model) for model in (Application, ApplicationReview, ApplicationScore)}
    apps, reviews, scores = [], [], []
    now = utcnow()
    for n in range(LARGE_APPLICATIONS):
        app_id = ids[Application]
        ids[Application] += 1
        at = now - timedelta(minutes=rng.randint(10, 730 * 1440))
        status = rng.choices(["new", "in_review", "approved", "rejected"], weights=[2, 3, 2, 3])[0]
        name = f"{rng.choice(LARGE_COMPANY_WORDS)} {rng.choice(LARGE_COMPANY_WORDS)} {n:04d} Ltd"
        domain = f"applicant{n:04d}.large.test"
        totals = []
        if status != "new":
            for reviewer in (admin, manager):
                values = [rng.randint(1, 5) for _ in criteria]
                total = scorecard.total_tenths([(c.weight, s) for c, s in zip(criteria, values, strict=True)])
                totals.append(total)
                review_id = ids[ApplicationReview]
                ids[ApplicationReview] += 1
                reviews.append({"id": review_id, "application_id": app_id, "reviewer_id": reviewer.id,
                                "total_tenths": total, "comment": "", "created_at": at, "updated_at": at})
                for c, value in zip(criteria, values, strict=True):
                    scores.append({"id": ids[ApplicationScore], "review_id": review_id, "criterion_id": c.id,
                                   "criterion_name": c.name, "weight": c.weight, "score": value,
                                   "position": c.position})
                    ids[ApplicationScore] += 1
        decided = status in ("approved", "rejected")
        apps.append({"id": app_id, "number": f"APP-L{app_id:06d}", "status": status, "company": name,
                     "country": "—", "region": rng.choice(LARGE_REGIONS), "partner_type": rng.choice(LARGE_TYPES),
                     "website": f"https://{domain}", "domain": domain, "company_id": None,
                     "contact_name": f"Contact {n:04d}", "contact_email": f"contact{n:04d}@{domain}",
                     "contact_phone": "", "employees": rng.choice(["1-10", "11-50", "51-200", "201-1000"]),
                     "revenue_band": rng.choice(["lt1m", "1m-10m", "10m-50m", "gt50m"]), "markets": "",
                     "industries": "", "certifications": "", "motivation": "We want to sell your products.",
                     "locale": "en", "created_at": at, "score_tenths": scorecard.average_tenths(totals),
                     "review_count": len(totals), "decided_at": at + timedelta(days=5) if decided else None,
                     "decided_by": admin.id if decided else None,
                     "decision_reason": "Outside our target markets." if status == "rejected" else "",
                     "partner_id": None})
    for model, rows in ((Application, apps), (ApplicationReview, reviews), (ApplicationScore, scores)):
        insert_rows(model, rows)
    return f"{len(apps)} applications with {len(reviews)} reviews"

