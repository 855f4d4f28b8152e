"""Enablement at the large scale (``portal.training.demo.seed("large")`` calls ``seed``), for `make bench`: rows
only, inserted in bulk (``portal.demo.insert_rows``, explicit ids), deterministic (one seeded RNG, times relative
to now), once — skipped when its first course exists, whatever the small demo's state.

LARGE_COURSES courses (mostly published, some drafts and archived; three levels; for everyone, or for some
partner types and tiers) with lessons and a single-choice quiz, a certification for each of LARGE_CERTIFICATIONS
published courses, LARGE_RESOURCES library resources (links) with their versions, and the large partners'
people learning: about LARGE_ENROLMENTS enrolments in courses of their audience, lesson completions, quiz
attempts after a completed enrolment, a certificate after each pass of a certification's course (valid for 12
months: valid, expired or revoked), and feedback.
"""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import SimpleNamespace

from sqlalchemy import select

from portal.accounts.models import User
from portal.core.time import utcnow
from portal.extensions import db
from portal.partners.models import Partner
from portal.resources.models import Resource, ResourceVersion
from portal.training import audience
from portal.training.models import (
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
from portal.training.service import add_months, certificate_number

LARGE_COURSES = 120
LARGE_CERTIFICATIONS = 30
LARGE_RESOURCES = 600
LARGE_ENROLMENTS = 30_000  # about: each large partner person takes 0 to twice the mean number of courses
LESSONS_PER_COURSE = (3, 6)
QUESTIONS_PER_COURSE = 4  # three options each, one correct
CERTIFICATION_WEIGHT = 4  # a certification's course is that many times as popular as another
RENEWALS = 0.6  # the share of expired certificates whose holder passed again (a renewal: a new certificate)
VERBS = [("Selling", "销售"), ("Deploying", "部署"), ("Designing", "设计"), ("Troubleshooting", "排障"),
         ("Securing", "安全加固"), ("Managing", "运维")]
SUBJECTS = [("industrial routers", "工业路由器"), ("Wi-Fi 6E campuses", "Wi-Fi 6E 园区网络"),
            ("PoE switching", "PoE 交换"), ("SD-WAN branches", "SD-WAN 分支"),
            ("next-generation firewalls", "下一代防火墙"), ("5G gateways", "5G 网关"),
            ("data-centre fabrics", "数据中心网络"), ("fibre optics", "光纤与光模块"), ("outdoor wireless", "室外无线"),
            ("cloud management", "云管理平台"), ("video surveillance", "视频监控"),
            ("industrial Ethernet", "工业以太网"), ("VPN and remote access", "VPN 与远程接入"),
            ("UPS and power", "不间断电源"), ("rack and cabling", "机柜与布线"), ("LTE failover", "LTE 备份链路"),
            ("network access control", "网络准入控制"), ("mesh networks", "无线 Mesh 网络"),
            ("managed services", "托管服务"), ("threat protection licences", "威胁防护许可证")]
FAMILIES = [("Router", "路由器", "RT"), ("Switch", "交换机", "SW"), ("Access point", "无线接入点", "AP"),
            ("Firewall", "防火墙", "FW"), ("Gateway", "网关", "GW"), ("Camera", "摄像机", "CAM")]
INDUSTRIES = ["retail chain", "regional bank", "hospital group", "port authority", "car plant", "university",
              "hotel group", "water utility"]
SALES_TOOLS = ["sizing calculator", "TCO calculator", "battle card", "pitch deck", "competitive comparison"]
REGIONS = ["EMEA", "APAC", "NA", "LATAM"]
COMMENTS = ["", "", "Clear and practical.", "The quiz was harder than the lessons.", "More examples, please.",
            "内容很实用。", "Good pace; the lessons are short enough for a lunch break."]


@dataclass
class _Course:
    id: int
    title: str
    status: str
    pass_mark: int
    published_at: datetime | None
    types: str
    tiers: str
    lessons: list[int] = field(default_factory=list)
    quiz: list[tuple[int, list[int], int]] = field(default_factory=list)  # (question, options, the correct one)
    certification: int | None = None


def course_title(n: int) -> str:
    """The n-th large course's title (every sixth in Chinese), unique: verbs × subjects, then numbered."""
    (verb, verb_zh), (subject, subject_zh) = VERBS[n // len(SUBJECTS) % len(VERBS)], SUBJECTS[n % len(SUBJECTS)]
    title = f"{subject_zh}{verb_zh}" if n % 6 == 5 else f"{verb} {subject}"
    repeat = n // (len(VERBS) * len(SUBJECTS))
    return f"{title} ({repeat + 1})" if repeat else title


def seed() -> str:
    """The bulk rows, once; '' when present (or there are no large partners' people to learn)."""
    from portal.demo import sync_id_sequences

    if db.session.scalar(select(Course.id).where(Course.title == course_title(0))) is not None:
        return ""
    learners = db.session.execute(
        select(User.id, User.partner_id, User.name, Partner.type, Partner.tier_id)
        .join(Partner, Partner.id == User.partner_id).where(User.email.like("%.large.test")).order_by(User.id)).all()
    if not learners:
        return ""
    rng, now = random.Random(4120), utcnow()
    trainer = db.session.scalar(select(User.id).where(User.email == "trainer@demo.test"))
    types = sorted({row.type for row in learners})
    tiers = sorted({row.tier_id for row in learners if row.tier_id is not None})
    courses = _courses(rng, now, trainer, types, tiers)
    certifications = _certifications(rng, courses)
    resources = _resources(rng, now, trainer, types, tiers)
    learning = _learning(rng, now, learners, courses)
    sync_id_sequences(Course, Lesson, Question, Option, Certification, Resource, ResourceVersion)
    db.session.flush()
    return f"{len(courses)} courses, {certifications} certifications, {resources} resources, {learning}"


def _audience(rng: random.Random, types: list[str], tiers: list[int]) -> tuple[str, str]:
    """Everyone mostly; else some partner types, the upper tiers, or both (stored as audience.pack does)."""
    roll = rng.random()
    chosen_types = audience.pack(rng.sample(types, rng.randint(1, 2))) if 0.65 <= roll < 0.8 or roll >= 0.9 else ""
    chosen_tiers = audience.pack(tiers[rng.randint(1, len(tiers) - 1):] if len(tiers) > 1 else tiers) \
        if roll >= 0.8 else ""
    return chosen_types, chosen_tiers


def _courses(rng: random.Random, now: datetime, trainer: int | None, types: list[str],
             tiers: list[int]) -> list[_Course]:
    from portal.demo import first_free_id, insert_rows

    ids = {model: first_free_id(model) for model in (Course, Lesson, Question, Option)}
    rows: dict = {Course: [], Lesson: [], Question: [], Option: []}
    courses = []
    for n in range(LARGE_COURSES):
        status = rng.choices(["published", "draft", "archived"], [80, 10, 10])[0]
        created = now - timedelta(days=rng.randint(120, 900), minutes=rng.randint(0, 1440))
        published = created + timedelta(days=rng.randint(1, 20)) if status != "draft" else None
        types_, tiers_ = _audience(rng, types, tiers)
        title = course_title(n)
        course = _Course(ids[Course], title, status, rng.choice([60, 70, 75, 75, 80]), published, types_, tiers_)
        ids[Course] += 1
        rows[Course].append({
            "id": course.id, "title": title, "summary": f"{title}: what to offer, how to size it, what to avoid.",
            "level": rng.choices(["beginner", "intermediate", "advanced"], [45, 35, 20])[0],
            "audience_types": types_, "audience_tiers": tiers_, "status": status, "pass_mark": course.pass_mark,
            "max_attempts": rng.choice([0, 3, 3, 5]), "created_by": trainer, "created_at": created,
            "published_at": published})
        for position in range(1, rng.randint(*LESSONS_PER_COURSE) + 1):
            course.lessons.append(ids[Lesson])
            rows[Lesson].append({
                "id": ids[Lesson], "course_id": course.id, "position": position, "title": f"Part {position}",
                "content": f"# Part {position} of {title}\n\nThe **essentials**, a worked example and a checklist.",
                "video_url": "", "external_url": "", "attachment_key": None, "attachment_name": None,
                "attachment_type": None})
            ids[Lesson] += 1
        for position in range(1, QUESTIONS_PER_COURSE + 1):
            options = list(range(ids[Option], ids[Option] + 3))
            ids[Option] += 3
            correct = rng.choice(options)
            course.quiz.append((ids[Question], options, correct))
            rows[Question].append({"id": ids[Question], "course_id": course.id, "position": position,
                                   "text": f"Question {position} on {title}?", "multiple": False})
            rows[Option].extend({"id": option, "question_id": ids[Question], "position": m,
                                 "text": f"Answer {m}", "correct": option == correct}
                                for m, option in enumerate(options, 1))
            ids[Question] += 1
        courses.append(course)
    for model, model_rows in rows.items():
        insert_rows(model, model_rows)
    return courses


def _certifications(rng: random.Random, courses: list[_Course]) -> int:
    """An active certification for each of LARGE_CERTIFICATIONS published courses, requiring its quiz."""
    from portal.demo import first_free_id, insert_rows

    published = [c for c in courses if c.status == "published"]
    chosen = rng.sample(published, min(LARGE_CERTIFICATIONS, len(published)))
    next_id = first_free_id(Certification)
    rows, links = [], []
    for course in chosen:
        course.certification = next_id
        rows.append({"id": next_id, "name": f"Certified: {course.title}", "validity_months": 12,
                     "description": f"Passing the quiz of {course.title}.", "status": "active",
                     "created_at": course.published_at})
        links.append({"certification_id": next_id, "course_id": course.id})
        next_id += 1
    insert_rows(Certification, rows)
    insert_rows(CertificationCourse, links)
    return len(rows)


def _resources(rng: random.Random, now: datetime, trainer: int | None, types: list[str], tiers: list[int]) -> int:
    """A library of links over every category and audience, a third with later versions."""
    from portal.demo import first_free_id, insert_rows

    resources, versions = [], []
    resource_id, version_id = first_free_id(Resource), first_free_id(ResourceVersion)
    for n in range(LARGE_RESOURCES):
        name, name_zh, code = rng.choice(FAMILIES)
        model = f"{code}-{100 + n}"
        category = rng.choice(["datasheet", "datasheet", "case_study", "marketing", "price_list", "sales_tool"])
        title, description = {
            "datasheet": (f"{name_zh} {model} 产品手册" if n % 5 == 4 else f"{name} {model} datasheet",
                          f"Specifications of the {name.lower()} {model}."),
            "case_study": (f"Case study: a {rng.choice(INDUSTRIES)} on {name.lower()}s, {rng.randint(3, 90)} sites",
                           f"How the {model} was rolled out."),
            "marketing": (f"Campaign kit: {rng.choice(['spring', 'summer', 'autumn', 'winter'])} {2025 + n % 3} "
                          f"{name.lower()}s", "Banners, e-mails and a landing page."),
            "price_list": (f"{rng.choice(REGIONS)} price list {2025 + n % 3} Q{n % 4 + 1} ({model})",
                           "Partner prices by tier."),
            "sales_tool": (f"{name} {rng.choice(SALES_TOOLS)} {model}", "For the first customer meeting."),
        }[category]
        types_, tiers_ = _audience(rng, types, tiers)
        if category == "price_list" and not types_:
            types_ = audience.pack(rng.sample(types, 2))
        created = now - timedelta(days=rng.randint(10, 900))
        count = 1 + (rng.random() < 0.3) + (rng.random() < 0.1)
        at = created
        for version in range(1, count + 1):
            url = f"https://resources.example.com/{model.lower()}/{category}/v{version}"
            versions.append({"id": version_id, "resource_id": resource_id, "version": version, "url": url,
                             "file_key": None, "file_name": None, "file_type": None,
                             "note": "First version" if version == 1 else "Updated figures",
                             "created_by": trainer, "created_at": at})
            version_id += 1
            at = min(at + timedelta(days=rng.randint(5, 200)), now)
        resources.append({"id": resource_id, "title": title, "description": description, "category": category,
                          "audience_types": types_, "audience_tiers": tiers_, "version": count, "url": url,
                          "file_key": None, "file_name": None, "file_type": None,
                          "download_count": rng.randint(0, 3000), "active": rng.random() < 0.95,
                          "created_at": created, "updated_at": versions[-1]["created_at"]})
        resource_id += 1
    insert_rows(Resource, resources)
    insert_rows(ResourceVersion, versions)
    return len(resources)


def _certificate_number(rng: random.Random, taken: set[str]) -> str:
    """A certificate number as service.new_number writes it, from the seeded RNG, unique among ``taken`` (no
    query each)."""
    while True:
        number = certificate_number(rng.choice)
        if number not in taken:
            taken.add(number)
            return number


def _learning(rng: random.Random, now: datetime, learners, courses: list[_Course]) -> str:
    """Each large partner person: enrolments in courses of their audience (published or, from before, archived),
    lessons completed in order, attempts once every lesson is complete, a certificate after a pass of a
    certification's course, feedback now and then."""
    from portal.demo import insert_rows

    open_courses = [c for c in courses if c.status != "draft"]
    pools: dict[tuple, tuple[list[_Course], list[int]]] = {}
    mean = LARGE_ENROLMENTS / len(learners)
    taken = set(db.session.scalars(select(Certificate.number)))
    rows: dict = {Enrolment: [], LessonCompletion: [], Attempt: [], Certificate: [], Feedback: []}
    for learner in learners:
        key = (learner.type, learner.tier_id)
        if key not in pools:
            partner = SimpleNamespace(type=learner.type, tier_id=learner.tier_id, region="")
            pool = [c for c in open_courses if audience.partner_in(partner, c.types, c.tiers)]
            pools[key] = pool, list(itertools.accumulate(CERTIFICATION_WEIGHT if c.certification else 1
                                                         for c in pool))
        pool, weights = pools[key]
        wanted = min(round(rng.uniform(0, 2 * mean)), len(pool))
        chosen: dict[int, _Course] = {}
        while len(chosen) < wanted:
            course = rng.choices(pool, cum_weights=weights)[0]
            chosen[course.id] = course
        for course in chosen.values():
            _learn(rng, now, learner, course, rows, taken)
    for model, model_rows in rows.items():
        insert_rows(model, model_rows)
    certificates = rows[Certificate]
    by_status = {status: sum(c["status"] == status for c in certificates) for status in ("valid", "expired",
                                                                                         "revoked")}
    return (f"{len(rows[Enrolment])} enrolments, {len(rows[LessonCompletion])} lesson completions, "
            f"{len(rows[Attempt])} quiz attempts, {len(certificates)} certificates ({by_status['valid']} valid, "
            f"{by_status['expired']} expired, {by_status['revoked']} revoked), {len(rows[Feedback])} ratings")


def _learn(rng: random.Random, now: datetime, learner, course: _Course, rows: dict, taken: set[str]) -> None:
    """One person's enrolment in one course and what followed (rows appended to ``rows``)."""
    start = course.published_at
    enrolled = start + (now - start) * rng.random()
    complete = rng.random() < 0.6
    done = len(course.lessons) if complete else rng.randint(0, len(course.lessons) - 1)
    at = enrolled
    for lesson in course.lessons[:done]:
        at = min(at + timedelta(hours=rng.randint(1, 96)), now)
        rows[LessonCompletion].append({"lesson_id": lesson, "user_id": learner.id, "completed_at": at})
    completed = at if complete else None
    rows[Enrolment].append({"course_id": course.id, "user_id": learner.id, "partner_id": learner.partner_id,
                            "enrolled_at": enrolled, "completed_at": completed})
    if completed is None:
        return
    if rng.random() < 0.3:
        rows[Feedback].append({"course_id": course.id, "user_id": learner.id,
                               "rating": rng.choices([5, 4, 3, 2, 1], [40, 35, 15, 6, 4])[0],
                               "comment": rng.choice(COMMENTS), "created_at": min(completed + timedelta(hours=2), now)})
    if rng.random() < 0.1:
        return  # completed, quiz not taken (yet)
    tries = rng.choices([1, 2, 3], [60, 30, 10])[0]
    passes = rng.random() < 0.85
    for n in range(1, tries + 1):
        started = min(completed + timedelta(days=n - 1, hours=1), now - timedelta(minutes=15))
        right = QUESTIONS_PER_COURSE if passes and n == tries else rng.randint(0, QUESTIONS_PER_COURSE)
        if n < tries or not passes:  # an earlier try, or the last one failed
            right = _failing(course, right)
        _attempt(rng, learner, course, started, right, rows)
    if not (passes and course.certification):
        return
    certificate = _certificate(rng, now, learner, course, rows, taken)
    renewal = certificate["expires_at"] - timedelta(days=rng.randint(0, 40))
    if certificate["status"] == "expired" and renewal < now and rng.random() < RENEWALS:
        _attempt(rng, learner, course, renewal, QUESTIONS_PER_COURSE, rows)  # passed again: a new certificate
        _certificate(rng, now, learner, course, rows, taken)


def _attempt(rng: random.Random, learner, course: _Course, started: datetime, right: int, rows: dict) -> None:
    """A submitted attempt with ``right`` of the quiz's questions answered right, in a shuffled order."""
    quiz = course.quiz[:]
    rng.shuffle(quiz)
    answers = {str(q): [correct if i < right else next(o for o in options if o != correct)]
               for i, (q, options, correct) in enumerate(quiz)}
    score = right * 100 // QUESTIONS_PER_COURSE
    rows[Attempt].append({"course_id": course.id, "user_id": learner.id, "partner_id": learner.partner_id,
                          "order": [[q, options] for q, options, _c in quiz], "answers": answers,
                          "started_at": started, "submitted_at": started + timedelta(minutes=12),
                          "score": score, "passed": score >= course.pass_mark})


def _certificate(rng: random.Random, now: datetime, learner, course: _Course, rows: dict, taken: set[str]) -> dict:
    """The certificate the last (passed) attempt earned: 12 months from it; valid, expired or revoked."""
    issued = rows[Attempt][-1]["submitted_at"]
    expires = add_months(issued, 12)
    revoked = rng.random() < 0.03
    reminded = expires - timedelta(days=30)  # the daily job's reminder went out for those past that day
    row = {"number": _certificate_number(rng, taken), "certification_id": course.certification,
           "user_id": learner.id, "partner_id": learner.partner_id, "holder_name": learner.name,
           "issued_at": issued, "expires_at": expires,
           "status": "revoked" if revoked else ("valid" if expires > now else "expired"),
           "reminded_at": reminded if not revoked and reminded <= now else None,
           "revoked_at": min(issued + timedelta(days=rng.randint(1, 300)), now) if revoked else None}
    rows[Certificate].append(row)
    return row


def _failing(course: _Course, right: int) -> int:
    """A failed try's number of right answers: fewer than the course's pass mark needs."""
    while right * 100 // QUESTIONS_PER_COURSE >= course.pass_mark:
        right -= 1
    return right
