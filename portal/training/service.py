"""Certifications: what they require, awarding them, their validity, and the counts other areas read.

Rules:
- A certification requires passing the quizzes of its listed courses. It is awarded automatically the
  moment the last requirement is met (``award_for``, called when a quiz is passed): a certificate with a
  unique number, valid on [issued_at, issued_at + validity months) — the day of month clamped to the
  month's end (31 Jan + 1 month = 28/29 Feb).
- Passes count since the person's latest certificate of that certification: the first award takes any
  passes; a renewal needs every required quiz passed again, and starts a new period (a new certificate;
  the old one stays as history).
- Valid at ``at``: issued_at <= at < expires_at and not revoked — computed from the dates, so a certificate
  stops counting the instant it expires, whether or not the daily job has marked it yet.
- ``certified_people``: per partner, the active people holding at least one valid certificate (the tier
  requirement and the evaluation KPI read this).
"""

from __future__ import annotations

import calendar
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, func, select

from portal.accounts.models import User
from portal.core import audit
from portal.core.errors import Forbidden, Invalid, NotFound
from portal.core.permissions import Permission
from portal.core.time import utcnow
from portal.core.urls import row_id
from portal.extensions import db
from portal.partners.models import Partner
from portal.partners.service import partner_scope, take_text
from portal.training.models import Attempt, Certificate, Certification, CertificationCourse, Course

STATUS_LABELS = {"valid": _l("Valid"), "expired": _l("Expired"), "revoked": _l("Revoked")}
MAX_VALIDITY = 120
REMIND_DAYS = 30
NUMBER_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud and typed by hand


def add_months(start: datetime, months: int) -> datetime:
    """``start`` plus whole calendar months, the day clamped to the target month's last day."""
    index = start.month - 1 + months
    year, month = start.year + index // 12, index % 12 + 1
    return start.replace(year=year, month=month, day=min(start.day, calendar.monthrange(year, month)[1]))


def status_at(certificate: Certificate, at: datetime) -> str:
    """valid / expired / revoked at ``at`` (from the dates, not the job's mark)."""
    if certificate.status == "revoked":
        return "revoked"
    if certificate.issued_at <= at < certificate.expires_at:
        return "valid"
    return "expired"


def valid_at(at: datetime):
    """The WHERE clause of certificates valid at ``at``."""
    return and_(Certificate.status != "revoked", Certificate.issued_at <= at, Certificate.expires_at > at)


def certified_people(partner_ids: list[int], at: datetime) -> dict[int, int]:
    """Per partner: active people holding a certificate valid at ``at``, in one query. Partners with none
    are absent (0)."""
    if not partner_ids:
        return {}
    rows = db.session.execute(
        select(Certificate.partner_id, func.count(func.distinct(Certificate.user_id)))
        .join(User, User.id == Certificate.user_id)
        .where(Certificate.partner_id.in_(partner_ids), User.active.is_(True),
               User.partner_id == Certificate.partner_id, valid_at(at))
        .group_by(Certificate.partner_id))
    return {partner_id: count for partner_id, count in rows}


# --- defining certifications ---------------------------------------------------------------------------

def _author(actor) -> None:
    if not actor.can(Permission.MANAGE_COURSES):
        raise Forbidden(_("You do not have permission to do that."))


def certifications() -> list[tuple[Certification, list[int]]]:
    items = list(db.session.scalars(select(Certification).order_by(Certification.name)))
    required: dict[int, list[int]] = {c.id: [] for c in items}
    for cert_id, course_id in db.session.execute(select(CertificationCourse.certification_id,
                                                        CertificationCourse.course_id)):
        required.setdefault(cert_id, []).append(course_id)
    return [(c, required[c.id]) for c in items]


def get_certification(actor, certification_id: int) -> Certification:
    _author(actor)
    found = db.session.get(Certification, certification_id)
    if found is None:
        raise NotFound(_("Certification not found."))
    return found


def save_certification(actor, data: dict, certification_id: int | None = None) -> Certification:
    """Name (required, unique), description, validity 1–120 months, the required courses (at least one),
    status active or retired (a retired certification is no longer awarded)."""
    _author(actor)
    certification = get_certification(actor, certification_id) if certification_id else None
    errors: dict[str, list[str]] = {}
    name = take_text(data, "name", 160, errors, missing=_("Enter the certification's name."))
    description = take_text(data, "description", 2000, errors, multiline=True)
    try:
        months = int(str(data.get("validity_months", "")).strip())
    except ValueError:
        months = 0
    if not 1 <= months <= MAX_VALIDITY:
        errors["validity_months"] = [_("Enter a validity from 1 to %(n)s months.", n=MAX_VALIDITY)]
    status = data.get("status") or "active"
    if status not in ("active", "retired"):
        errors["status"] = [_("Choose a status.")]
    wanted = set()
    for value in data.get("course_ids", []):
        if (course_id := row_id(value)) is None:  # text, 0, or beyond any id: never reaches the database
            errors["course_ids"] = [_("Choose courses from the list.")]
        else:
            wanted.add(course_id)
    known = set(db.session.scalars(select(Course.id).where(Course.id.in_(wanted)))) if wanted else set()
    if wanted - known:
        errors["course_ids"] = [_("Choose courses from the list.")]
    elif not wanted:
        errors["course_ids"] = [_("Choose at least one course whose quiz must be passed.")]
    if name and "name" not in errors:
        clash = db.session.scalar(select(Certification.id).where(Certification.name == name))
        if clash and (certification is None or clash != certification.id):
            errors["name"] = [_("A certification with this name already exists.")]
    if errors:
        raise Invalid(errors)
    if certification is None:
        certification = Certification()
        db.session.add(certification)
    certification.name, certification.description = name, description
    certification.validity_months, certification.status = months, status
    db.session.flush()
    db.session.execute(CertificationCourse.__table__.delete().where(
        CertificationCourse.certification_id == certification.id))
    db.session.add_all(CertificationCourse(certification_id=certification.id, course_id=c) for c in sorted(wanted))
    db.session.flush()
    audit.record(actor, "certification.saved", certification, summary=name)
    return certification


# --- awarding ------------------------------------------------------------------------------------------

def certificate_number(draw) -> str:
    """CERT-XXXXX-XXXXX from ten characters of ``NUMBER_ALPHABET``, each ``draw(NUMBER_ALPHABET)``."""
    raw = "".join(draw(NUMBER_ALPHABET) for _ in range(10))
    return f"CERT-{raw[:5]}-{raw[5:]}"


def new_number() -> str:
    """A certificate number nobody holds: CERT-XXXXX-XXXXX (32^10 possibilities, checked for a clash)."""
    while True:
        number = certificate_number(secrets.choice)
        if db.session.scalar(select(Certificate.id).where(Certificate.number == number)) is None:
            return number


def award_for(user, course_id: int, at: datetime | None = None) -> list[Certificate]:
    """Award every active certification that requires ``course_id`` and whose requirements ``user`` now
    meets (see the module's rules); returns the new certificates and e-mails the holder."""
    from portal.notifications.service import notify

    at = at or utcnow()
    awarded = []
    candidates = db.session.scalars(select(Certification).join(
        CertificationCourse, CertificationCourse.certification_id == Certification.id)
        .where(CertificationCourse.course_id == course_id, Certification.status == "active"))
    for certification in candidates:
        since = db.session.scalar(select(func.max(Certificate.issued_at)).where(
            Certificate.user_id == user.id, Certificate.certification_id == certification.id))
        required = set(db.session.scalars(select(CertificationCourse.course_id).where(
            CertificationCourse.certification_id == certification.id)))
        passes = select(Attempt.course_id).where(Attempt.user_id == user.id, Attempt.passed.is_(True),
                                                 Attempt.course_id.in_(required))
        if since is not None:
            passes = passes.where(Attempt.submitted_at > since)
        if required - set(db.session.scalars(passes)):
            continue
        certificate = Certificate(number=new_number(), certification_id=certification.id, user_id=user.id,
                                  partner_id=user.partner_id, holder_name=user.name, issued_at=at,
                                  expires_at=add_months(at, certification.validity_months), status="valid")
        db.session.add(certificate)
        db.session.flush()
        audit.record(user, "certificate.awarded", certificate, partner_id=user.partner_id,
                     summary=f"{certificate.number} {certification.name}")
        notify(f"certificate-awarded-{certificate.id}", [user], "certificate_awarded",
               link=f"/certificates/{certificate.id}", certificate=certificate,
               certification_name=certification.name)
        awarded.append(certificate)
    return awarded


# --- reading certificates ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Held:
    certificate: Certificate
    name: str  # the certification's
    status: str  # at the time asked


def _held(stmt, at: datetime) -> list[Held]:
    rows = db.session.execute(stmt.add_columns(Certification.name)
                              .join(Certification, Certification.id == Certificate.certification_id)
                              .order_by(Certificate.issued_at.desc(), Certificate.id.desc()))
    return [Held(c, name, status_at(c, at)) for c, name in rows]


def my_certificates(actor, at: datetime | None = None) -> list[Held]:
    return _held(select(Certificate).where(Certificate.user_id == actor.id), at or utcnow())


def get_certificate(actor, certificate_id: int) -> Held:
    """One certificate for its printable page: the holder's own, or one in the actor's scope for a partner
    admin (own company) and training staff; anyone else's → NotFound."""
    stmt = select(Certificate).where(Certificate.id == certificate_id)
    if not (actor.can(Permission.VIEW_TRAINING_REPORTS) or actor.can(Permission.VIEW_COMPANY_CERTIFICATIONS)):
        stmt = stmt.where(Certificate.user_id == actor.id)
    else:
        stmt = stmt.where(partner_scope(actor, Certificate.partner_id))
    found = _held(stmt, utcnow())
    if not found:
        raise NotFound(_("Certificate not found."))
    return found[0]


def verify(number: str, at: datetime | None = None) -> Held:
    """The public check of a certificate number (exact, case-insensitive); unknown → NotFound."""
    cleaned = (number or "").strip().upper()[:32]
    if not re.fullmatch(r"[A-Z0-9-]+", cleaned):  # no certificate number has anything else (or a NUL byte)
        raise NotFound(_("No certificate has this number."))
    found = _held(select(Certificate).where(Certificate.number == cleaned), at or utcnow())
    if not found:
        raise NotFound(_("No certificate has this number."))
    return found[0]


def company_people(actor, at: datetime | None = None) -> list[tuple[User, list[Held]]]:
    """A partner admin: the company's people, each with their certificates (newest first)."""
    if not actor.can(Permission.VIEW_COMPANY_CERTIFICATIONS) or actor.partner_id is None:
        raise Forbidden(_("You do not have permission to do that."))
    at = at or utcnow()
    people = list(db.session.scalars(select(User).where(User.partner_id == actor.partner_id)
                                     .order_by(User.name, User.id)))
    held: dict[int, list[Held]] = {u.id: [] for u in people}
    for item in _held(select(Certificate).where(Certificate.partner_id == actor.partner_id), at):
        held.setdefault(item.certificate.user_id, []).append(item)
    return [(u, held[u.id]) for u in people]


def revoke(actor, certificate_id: int) -> Certificate:
    _author(actor)
    certificate = db.session.get(Certificate, certificate_id)
    if certificate is None:
        raise NotFound(_("Certificate not found."))
    if certificate.status != "revoked":
        certificate.status, certificate.revoked_at = "revoked", utcnow()
        db.session.flush()
        audit.record(actor, "certificate.revoked", certificate, partner_id=certificate.partner_id,
                     summary=certificate.number)
    return certificate


# --- the daily job: mark expired, remind 30 days ahead once -----------------------------------------------

def mark_expired(at: datetime) -> int:
    """Certificates past their expiry get the status ``expired`` (idempotent)."""
    found = list(db.session.scalars(select(Certificate).where(Certificate.status == "valid",
                                                              Certificate.expires_at <= at)))
    for certificate in found:
        certificate.status = "expired"
    db.session.flush()
    return len(found)


def send_reminders(at: datetime) -> int:
    """E-mail each holder whose certificate expires within 30 days, once per certificate (``reminded_at``
    and the notification's event key), unless they already hold a newer certificate of it."""
    from portal.notifications.service import notify

    later = Certificate.__table__.alias("later")
    rows = db.session.execute(
        select(Certificate, Certification.name, User)
        .join(Certification, Certification.id == Certificate.certification_id)
        .join(User, User.id == Certificate.user_id)
        .where(valid_at(at), Certificate.reminded_at.is_(None), User.active.is_(True),
               Certificate.expires_at <= at + timedelta(days=REMIND_DAYS),
               ~select(later.c.id).where(later.c.user_id == Certificate.user_id,
                                         later.c.certification_id == Certificate.certification_id,
                                         later.c.issued_at > Certificate.issued_at).exists())).all()
    for certificate, name, user in rows:
        notify(f"certificate-expiry-{certificate.id}", [user], "certificate_expiring",
               link=f"/certificates/{certificate.id}", certificate=certificate, certification_name=name)
        certificate.reminded_at = at
    db.session.flush()
    return len(rows)


def expiring(actor, days: int, at: datetime | None = None, limit: int | None = None,
             offset: int = 0) -> list[tuple[Held, str]]:
    """Training staff: certificates valid now that expire within ``days`` days, soonest first, with the
    holder's company (a page of them: ``limit`` from ``offset``; all of them for the CSV)."""
    if not actor.can(Permission.VIEW_TRAINING_REPORTS):
        raise Forbidden(_("You do not have permission to do that."))
    at = at or utcnow()
    rows = db.session.execute(
        select(Certificate, Certification.name, Partner.name)
        .join(Certification, Certification.id == Certificate.certification_id)
        .join(Partner, Partner.id == Certificate.partner_id)
        .where(valid_at(at), Certificate.expires_at <= at + timedelta(days=days),
               partner_scope(actor, Certificate.partner_id))
        .order_by(Certificate.expires_at, Certificate.id).limit(limit).offset(offset))
    return [(Held(c, name, status_at(c, at)), partner) for c, name, partner in rows]


def partner_certificates(partner_id: int, size: int, at: datetime | None = None) -> list[Held]:
    """A partner's latest certificates with their status, for its partner page (the caller checked the actor
    may see the partner)."""
    return _held(select(Certificate).where(Certificate.partner_id == partner_id).limit(size), at or utcnow())


def certificates_for(actor, partner_id: int | None = None, at: datetime | None = None) -> list[Held]:
    """The API's list: training staff and admins — every partner's (or ``partner_id``'s) certificates in their
    scope; a partner admin — the company's; anyone else — their own. Another partner's id: NotFound."""
    at = at or utcnow()
    stmt = select(Certificate)
    if actor.can(Permission.VIEW_TRAINING_REPORTS) or actor.can(Permission.VIEW_COMPANY_CERTIFICATIONS):
        stmt = stmt.where(partner_scope(actor, Certificate.partner_id))
        if partner_id is not None:
            visible = db.session.scalar(select(Partner.id).where(Partner.id == partner_id,
                                                                 partner_scope(actor, Partner.id)))
            if visible is None:
                raise NotFound(_("Partner not found."))
            stmt = stmt.where(Certificate.partner_id == partner_id)
    elif actor.can(Permission.TAKE_COURSES):
        stmt = stmt.where(Certificate.user_id == actor.id)
    else:
        raise Forbidden(_("You do not have permission to do that."))
    return _held(stmt.limit(1000), at)
