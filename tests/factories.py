"""factory_boy factories. Rows are flushed into the test's transaction (rolled back after)."""

from __future__ import annotations

import functools
from datetime import timedelta

import factory
from factory.alchemy import SQLAlchemyModelFactory

from portal.accounts.models import User
from portal.catalogue.models import Category, Product, Tier
from portal.core.permissions import Role
from portal.core.time import utcnow
from portal.orders.models import Order, OrderEvent, OrderLine
from portal.partners.models import Agreement, Application, Partner

PASSWORD = "correct horse battery"


@functools.cache
def password_hash() -> str:
    from portal.accounts.passwords import hash_password

    return hash_password(PASSWORD)  # argon2 is slow on purpose: hash once per test process


def _session():
    from portal.extensions import db

    return db.session


class Base(SQLAlchemyModelFactory):
    class Meta:
        abstract = True
        sqlalchemy_session_factory = _session
        sqlalchemy_session_persistence = "flush"


class UserFactory(Base):
    class Meta:
        model = User

    email = factory.Sequence(lambda n: f"user{n}@example.test")
    name = factory.Sequence(lambda n: f"User {n}")
    role = Role.PARTNER_USER
    password_hash = factory.LazyFunction(password_hash)
    active = True
    timezone = "UTC"
    partner = None


class PartnerFactory(Base):
    class Meta:
        model = Partner

    name = factory.Sequence(lambda n: f"Partner {n} Ltd")
    type = "reseller"
    region = "EMEA"
    status = "active"
    status_reason = ""


def vendor(role: Role = Role.ADMIN, **kw) -> User:
    return UserFactory(role=role, partner=None, **kw)


def partner_user(partner: Partner | None = None, role: Role = Role.PARTNER_USER, **kw) -> User:
    return UserFactory(role=role, partner=partner or PartnerFactory(), **kw)




# --- catalogue and orders (the security tests' world) -----------------------------------------------------------

class CategoryFactory(Base):
    class Meta:
        model = Category

    name = factory.Sequence(lambda n: f"Category {n}")


class ProductFactory(Base):
    class Meta:
        model = Product

    sku = factory.Sequence(lambda n: f"SKU-{n:05d}")
    name = factory.Sequence(lambda n: f"Product {n}")
    description = ""
    category = factory.SubFactory(CategoryFactory)
    list_price_cents = 1000
    currency = "USD"
    unit = "each"
    stock_on_hand = 100
    min_order_qty = 1
    active = True


class OrderFactory(Base):
    """An order placed by ``placer`` (a partner user) for their company; ``order_with_line`` adds a line."""

    class Meta:
        model = Order
        exclude = ("placer",)

    placer = factory.SubFactory(UserFactory, partner=factory.SubFactory(PartnerFactory))
    partner_id = factory.LazyAttribute(lambda o: o.placer.partner_id)
    placed_by = factory.LazyAttribute(lambda o: o.placer.id)
    number = factory.Sequence(lambda n: f"F-{n:06d}")
    idempotency_key = factory.Sequence(lambda n: f"factory-{n:08d}")
    po_number = factory.Sequence(lambda n: f"PO-{n}")
    shipping_address = "1 Harbour Road\n3011 Rotterdam\nNetherlands"
    requested_date = factory.LazyFunction(lambda: utcnow().date())
    notes = ""
    status = "submitted"
    currency = "USD"
    total_cents = 2000


def order_with_line(placer: User, product: Product | None = None, quantity: int = 2, **kw) -> Order:
    """An order of ``quantity`` × ``product`` (a new one when not given) at its list price, with its first
    timeline step."""
    product = product or ProductFactory()
    total = product.list_price_cents * quantity
    order = OrderFactory(placer=placer, total_cents=total, **kw)
    _session().add_all([
        OrderLine(order_id=order.id, product_id=product.id, sku=product.sku, name=product.name, quantity=quantity,
                  list_price_cents=product.list_price_cents, net_unit_cents=product.list_price_cents,
                  line_total_cents=total),
        OrderEvent(order_id=order.id, actor_id=placer.id, from_status="", to_status="submitted")])
    _session().flush()
    return order
# --- partner lifecycle (portal.partners) --------------------------------------------------------------

class ApplicationFactory(Base):
    class Meta:
        model = Application

    number = factory.Sequence(lambda n: f"APP-T{n:05d}")
    status = "new"
    company = factory.Sequence(lambda n: f"Applicant {n} GmbH")
    country = "Germany"
    region = "EMEA"
    partner_type = "reseller"
    website = factory.Sequence(lambda n: f"https://www.applicant{n}.example")
    domain = factory.Sequence(lambda n: f"applicant{n}.example")
    company_id = None
    contact_name = factory.Sequence(lambda n: f"Applicant Contact {n}")
    contact_email = factory.Sequence(lambda n: f"contact{n}@applicant.example")
    contact_phone = ""
    employees = "11-50"
    revenue_band = "1m-10m"
    markets = "DACH"
    industries = "Manufacturing"
    certifications = ""
    motivation = "We sell networks to factories."
    locale = "en"
    review_count = 0


class TierFactory(Base):
    class Meta:
        model = Tier

    name = factory.Sequence(lambda n: f"Tier {n}")
    rank = factory.Sequence(lambda n: n)
    discount_bp = 0
    min_revenue_cents = 0
    min_certified = 0


class AgreementFactory(Base):
    class Meta:
        model = Agreement

    partner = factory.SubFactory(PartnerFactory)
    partner_id = factory.SelfAttribute("partner.id")
    starts_on = factory.LazyFunction(lambda: utcnow().date() - timedelta(days=200))
    ends_on = factory.LazyFunction(lambda: utcnow().date() + timedelta(days=165))
    annual_target_cents = 100_000_000
    exit_terms = "90 days' notice by either side."

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        kwargs.pop("partner", None)
        return super()._create(model_class, *args, **kwargs)


# --- enablement (portal.training, portal.resources, portal.announcements) ---------------------------------

def course(title: str = "Networking basics", status: str = "published", lessons: int = 2, pass_mark: int = 50,
           max_attempts: int = 3, questions: int = 2, audience_types: str = "", audience_tiers: str = ""):
    """A course with ``lessons`` lessons and ``questions`` single-choice questions whose first option ("Right")
    is the correct one of two."""
    from portal.training.models import Course, Lesson, Option, Question

    session = _session()
    item = Course(title=title, summary="About networks.", level="beginner", status=status, pass_mark=pass_mark,
                  max_attempts=max_attempts, audience_types=audience_types, audience_tiers=audience_tiers)
    session.add(item)
    session.flush()
    for n in range(1, lessons + 1):
        session.add(Lesson(course_id=item.id, position=n, title=f"Lesson {n}", content=f"# Lesson {n}\n\nText."))
    for n in range(1, questions + 1):
        question = Question(course_id=item.id, position=n, text=f"Question {n}?", multiple=False)
        session.add(question)
        session.flush()
        session.add_all([Option(question_id=question.id, position=1, text="Right", correct=True),
                         Option(question_id=question.id, position=2, text="Wrong", correct=False)])
    session.flush()
    return item


def certification(courses, name: str = "Certified Networker", months: int = 12):
    from portal.training.models import Certification, CertificationCourse

    session = _session()
    item = Certification(name=name, validity_months=months, status="active")
    session.add(item)
    session.flush()
    session.add_all(CertificationCourse(certification_id=item.id, course_id=c.id) for c in courses)
    session.flush()
    return item


def certificate(user, cert, issued_at=None, months: int = 12, **kw):
    from portal.training.models import Certificate
    from portal.training.service import add_months, new_number

    issued_at = issued_at or utcnow()
    item = Certificate(number=new_number(), certification_id=cert.id, user_id=user.id, partner_id=user.partner_id,
                       holder_name=user.name, issued_at=issued_at, expires_at=add_months(issued_at, months), **kw)
    _session().add(item)
    _session().flush()
    return item


# --- deal registration (portal.deals) ------------------------------------------------------------------

def deal(registrant: User, customer: str = "Acme Robotics", domain: str = "acme.com", company_id: str = "",
         status: str = "submitted", days_ago: float = 0, protection_days: float | None = None, **kw):
    """A deal registration by ``registrant`` (a partner user) with one line, its keys as the service makes them;
    ``protection_days``: approved, protected for that many more days."""
    from portal.deals import matching
    from portal.deals.models import Deal, DealEvent, DealLine

    keys = matching.keys_of(customer, domain, company_id)
    now = utcnow()
    if protection_days is not None:
        status = "approved"
        kw.setdefault("protection_ends_at", now + timedelta(days=protection_days))
    row = Deal(partner_id=registrant.partner_id, registered_by=registrant.id, customer_name=customer,
               customer_domain=domain, company_id=keys.company_id, region="EMEA", currency="USD",
               estimated_value_cents=kw.pop("estimated_value_cents", 2_500_000),
               expected_close=(now + timedelta(days=60)).date(), notes="", status=status,
               created_at=now - timedelta(days=days_ago), name_key=keys.name_key,
               **matching.anchors(keys.name_key), domain_key=keys.domain_key, **kw)
    _session().add(row)
    _session().flush()
    product = ProductFactory()
    _session().add_all([DealLine(deal_id=row.id, product_id=product.id, sku=product.sku, name=product.name,
                                 quantity=3),
                        DealEvent(deal_id=row.id, actor_id=registrant.id, from_status="", to_status="submitted",
                                  at=row.created_at)])
    _session().flush()
    return row


# --- rebates (portal.rebates) ------------------------------------------------------------------------------

def rebate_program(name: str = "Growth rebate", mode: str = "retroactive", ladder=(("0", "2"), ("100000", "5"),
                   ("250000", "8"), ("500000", "10")), period_type: str = "quarter", starts_on: str = "2026-01-01",
                   ends_on: str = "2026-12-31", status: str = "active", **kw):
    """A saved rebate program (through its service, so the ladder is validated) with the SPEC's ladder."""
    from portal.rebates import service

    admin = vendor()
    return service.save(admin, service.ProgramInput(name=name, mode=mode, rungs=list(ladder), period_type=period_type,
                                                    starts_on=starts_on, ends_on=ends_on, status=status, **kw))


def delivered_order(placer: User, cents: int, delivered_at, product: Product | None = None) -> Order:
    """A delivered order of one line worth ``cents`` (2 units), delivered at ``delivered_at``."""
    product = product or ProductFactory(list_price_cents=cents // 2)
    return order_with_line(placer, product, quantity=2, status="delivered", delivered_at=delivered_at,
                           currency="USD")


# --- market development funds (portal.mdf) ------------------------------------------------------------

def mdf_budget(partner: Partner, amount_cents: int = 5_000_000, period: tuple[int, int] | None = None,
               currency: str = "USD"):
    """A partner's MDF budget for ``period`` (default: the current quarter)."""
    from portal.mdf.models import MdfBudget
    from portal.mdf.service import current_period

    year, quarter = period or current_period()
    budget = MdfBudget(partner_id=partner.id, year=year, quarter=quarter, amount_cents=amount_cents, currency=currency)
    _session().add(budget)
    _session().flush()
    return budget


def mdf_request(partner: Partner, requested_cents: int = 1_000_000, status: str = "submitted", **kw):
    """A request for funds in the current quarter (``status`` and the amounts as given, nothing checked)."""
    from portal.mdf.models import MdfRequest
    from portal.mdf.service import current_period, period_start

    year, quarter = kw.pop("period", None) or current_period()
    start = period_start((year, quarter))
    row = MdfRequest(partner_id=partner.id, year=year, quarter=quarter, activity="event", title=kw.pop("title", "Expo"),
                     description="Booth at the regional expo.", starts_on=start, ends_on=start, currency="USD",
                     requested_cents=requested_cents, status=status, **kw)
    _session().add(row)
    _session().flush()
    return row
