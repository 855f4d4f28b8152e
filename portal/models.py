"""Every model, imported in one place so Alembic and the app see the whole schema."""

from portal.accounts.models import ApiToken, OneTimeToken, User, UserSession  # noqa: F401
from portal.announcements.models import Announcement, AnnouncementRead  # noqa: F401
from portal.catalogue.models import Category, Product, ProductLink, ProductTierPrice, Tier  # noqa: F401
from portal.core.audit import AuditEntry  # noqa: F401
from portal.core.versions import DataVersion  # noqa: F401
from portal.deals.models import Deal, DealEvent, DealKpi, DealLine  # noqa: F401
from portal.mdf.models import MdfBudget, MdfFile, MdfRequest  # noqa: F401
from portal.notifications.models import Notification, OutboxMessage  # noqa: F401
from portal.orders.models import (  # noqa: F401
    CartLine,
    Credit,
    CreditLine,
    Order,
    OrderEvent,
    OrderLine,
    ReturnLine,
    ReturnRequest,
    Setting,
    ShippingAddress,
)
from portal.partners.models import (  # noqa: F401
    Agreement,
    Application,
    ApplicationReview,
    ApplicationScore,
    Evaluation,
    EvaluationAction,
    Partner,
    ScorecardCriterion,
    TierChange,
    TierReview,
)
from portal.rebates.models import (  # noqa: F401
    RebateProgram,
    RebateRun,
    RebateRung,
    RebateStatement,
    RebateStatementLine,
)
from portal.resources.models import Resource, ResourceVersion  # noqa: F401
from portal.stock_alerts.models import StockAlert  # noqa: F401
from portal.training.models import (  # noqa: F401
    Attempt,
    Certificate,
    Certification,
    CertificationCourse,
    Course,
    Enrolment,
    Feedback,
    Lesson,
    LessonCompletion,
    Option,
    Question,
)
