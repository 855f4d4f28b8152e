"""Taking a course's quiz: scored on the server only.

- An attempt fixes the order its questions and options are shown in (shuffled per attempt); the page gets
  only ids and texts (``Shown``) — which options are correct never leaves the server before submission.
- A question counts as right when the chosen options are exactly its correct ones. The score is the
  percentage of right questions, rounded half up; the attempt passes at or above the course's pass mark.
- Attempts limit: at most ``max_attempts`` submitted attempts until a pass (a pass starts the count again,
  so passing again later — a renewal — is possible); beyond it: a Conflict saying so. 0 = no limit.
- After submission the learner sees the score, pass/fail and which of their answers were wrong.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import func, select

from portal.core.errors import Conflict, Forbidden, NotFound
from portal.core.permissions import Permission
from portal.core.time import utcnow
from portal.extensions import db
from portal.partners.service import require_trading
from portal.training import courses
from portal.training.models import Attempt, Course, Option, Question


@dataclass(frozen=True)
class Shown:
    """A question as the page shows it: no hint of the correct options."""

    id: int
    text: str
    multiple: bool
    options: list[tuple[int, str]]


def score(correct: dict[int, set[int]], answers: dict[int, set[int]]) -> tuple[int, set[int]]:
    """(score in percent rounded half up, ids of the questions answered wrong)."""
    wrong = {qid for qid, right in correct.items() if answers.get(qid, set()) != right}
    if not correct:
        return 0, wrong
    percent = (Decimal(len(correct) - len(wrong)) * 100 / len(correct)).quantize(Decimal(1), ROUND_HALF_UP)
    return int(percent), wrong


def _taker(actor) -> None:
    if not actor.can(Permission.TAKE_COURSES):
        raise Forbidden(_("You do not have permission to do that."))


def attempts_left(actor, course: Course) -> int | None:
    """Submitted attempts still allowed before a pass (None: no limit)."""
    if not course.max_attempts:
        return None
    last_pass = db.session.scalar(select(func.max(Attempt.id)).where(
        Attempt.user_id == actor.id, Attempt.course_id == course.id, Attempt.passed.is_(True)))
    used = db.session.scalar(select(func.count(Attempt.id)).where(
        Attempt.user_id == actor.id, Attempt.course_id == course.id, Attempt.submitted_at.is_not(None),
        Attempt.id > (last_pass or 0)))
    return max(course.max_attempts - used, 0)


def start(actor, course_id: int, rng: random.Random | None = None) -> Attempt:
    """The learner's open attempt at the course's quiz, or a new one in a new shuffled order. Needs an
    enrolment; refused (Conflict) once the attempts limit is used up."""
    _taker(actor)
    course = courses.get_course(actor, course_id)
    require_trading(actor)
    if courses.enrolment_of(actor, course.id) is None:
        raise Conflict(_("Enrol in the course first."))
    open_attempt = db.session.scalar(select(Attempt).where(
        Attempt.user_id == actor.id, Attempt.course_id == course.id, Attempt.submitted_at.is_(None)))
    if open_attempt is not None:
        return open_attempt
    if attempts_left(actor, course) == 0:
        raise Conflict(ngettext("You have used your %(num)s attempt at this quiz.",
                                "You have used all %(num)s attempts at this quiz.", course.max_attempts))
    rng = rng or random.SystemRandom()
    order = []
    for question, options in courses.questions_of(course):
        ids = [o.id for o in options]
        rng.shuffle(ids)
        order.append([question.id, ids])
    rng.shuffle(order)
    if not order:
        raise Conflict(_("This course has no quiz yet."))
    attempt = Attempt(course_id=course.id, user_id=actor.id, partner_id=actor.partner_id, order=order, answers={})
    db.session.add(attempt)
    db.session.flush()
    return attempt


def get_attempt(actor, attempt_id: int) -> Attempt:
    """One of the actor's own attempts (anyone else's: NotFound)."""
    attempt = db.session.scalar(select(Attempt).where(Attempt.id == attempt_id, Attempt.user_id == actor.id))
    if attempt is None:
        raise NotFound(_("Attempt not found."))
    return attempt


def shown(attempt: Attempt) -> list[Shown]:
    """The attempt's questions in its order, with ids and texts only."""
    ids = [qid for qid, _options in attempt.order]
    questions = {q.id: q for q in db.session.scalars(select(Question).where(Question.id.in_(ids)))}
    texts = dict(db.session.execute(select(Option.id, Option.text).where(Option.question_id.in_(ids))).all())
    return [Shown(qid, questions[qid].text, questions[qid].multiple,
                  [(oid, texts[oid]) for oid in option_ids if oid in texts])
            for qid, option_ids in attempt.order if qid in questions]


def _correct(question_ids: list[int]) -> dict[int, set[int]]:
    found: dict[int, set[int]] = {qid: set() for qid in question_ids}
    for qid, oid in db.session.execute(select(Option.question_id, Option.id)
                                       .where(Option.question_id.in_(question_ids), Option.correct.is_(True))):
        found[qid].add(oid)
    return found


def submit(actor, attempt_id: int, answers: dict[int, set[int]]):
    """Score the attempt on the server and record it; a pass may award certifications
    (``portal.training.service.award_for``). Returns (attempt, new certificates). Submitting twice: Conflict."""
    from portal.training import service

    _taker(actor)
    attempt = get_attempt(actor, attempt_id)
    require_trading(actor)
    if attempt.submitted_at is not None:
        raise Conflict(_("This attempt is already submitted."))
    course = courses.get_course(actor, attempt.course_id)
    shown_options = {qid: set(option_ids) for qid, option_ids in attempt.order}
    given = {qid: {oid for oid in answers.get(qid, set()) if oid in shown_options[qid]} for qid in shown_options}
    percent, _wrong = score(_correct(list(shown_options)), given)
    attempt.answers = {str(qid): sorted(oids) for qid, oids in given.items()}
    attempt.score, attempt.passed, attempt.submitted_at = percent, percent >= course.pass_mark, utcnow()
    db.session.flush()
    awarded = service.award_for(actor, course.id) if attempt.passed else []
    return attempt, awarded


@dataclass(frozen=True)
class Marked:
    """A submitted question: the learner's choices, and whether each was right (correct ones not revealed)."""

    text: str
    right: bool
    options: list[tuple[str, bool, bool]]  # (text, chosen, chosen but wrong)


def result(attempt: Attempt) -> list[Marked]:
    """The submitted attempt question by question: which were wrong, and which chosen answers were wrong."""
    questions = shown(attempt)
    correct = _correct([q.id for q in questions])
    marked = []
    for q in questions:
        chosen = set(attempt.answers.get(str(q.id), []))
        marked.append(Marked(q.text, chosen == correct[q.id],
                             [(text, oid in chosen, oid in chosen and oid not in correct[q.id])
                              for oid, text in q.options]))
    return marked


def attempts_of(actor, course_id: int) -> list[Attempt]:
    return list(db.session.scalars(select(Attempt).where(Attempt.user_id == actor.id, Attempt.course_id == course_id,
                                                         Attempt.submitted_at.is_not(None))
                                   .order_by(Attempt.id.desc())))
