"""The calculation job end to end on a real RQ worker (SQLite and PostgreSQL): drafts from delivered lines minus
accepted returns, one run at a time, idempotent re-runs, approved statements untouched, clawbacks."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from portal.core.permissions import Role
from portal.orders import lifecycle
from portal.rebates import calculation, statements
from portal.rebates.models import RebateRun, RebateStatement, RebateStatementLine
from tests import factories

pytestmark = pytest.mark.pg

Q1, Q2 = date(2026, 1, 1), date(2026, 4, 1)


@pytest.fixture
def world(db):
    admin = factories.vendor()
    partner = factories.PartnerFactory(name="Acme Trading")
    seller = factories.partner_user(partner, role=Role.PARTNER_ADMIN)
    program = factories.rebate_program()
    big = factories.delivered_order(seller, 24_000_000, datetime(2026, 2, 15, 9, tzinfo=UTC))
    small = factories.delivered_order(seller, 8_000_000, datetime(2026, 3, 31, 23, 59, tzinfo=UTC))
    factories.delivered_order(seller, 5_000_000, datetime(2026, 4, 1, 0, 0, tzinfo=UTC))  # Q2, not Q1
    other = factories.partner_user(factories.PartnerFactory(name="Other Ltd"))
    factories.delivered_order(other, 1_000_000, datetime(2026, 1, 2, tzinfo=UTC))
    db.session.commit()
    return {"admin": admin, "partner": partner, "seller": seller, "program": program, "big": big, "small": small}


def calculate(db, run_jobs, admin, program, period):
    run, started = calculation.start(admin, program.id, period)
    db.session.commit()
    assert started
    assert run_jobs() >= 1  # the calculation (and any e-mails waiting)
    db.session.expire_all()
    return db.session.get(RebateRun, run.id)


def statement_of(db, program, partner, period) -> RebateStatement:
    return db.session.scalar(select(RebateStatement).where(
        RebateStatement.program_id == program.id, RebateStatement.partner_id == partner.id,
        RebateStatement.period_start == period))


def snapshot(db, statement):
    lines = db.session.execute(select(RebateStatementLine.kind, RebateStatementLine.reference,
                                      RebateStatementLine.amount_cents)
                               .where(RebateStatementLine.statement_id == statement.id)
                               .order_by(RebateStatementLine.kind, RebateStatementLine.reference)).all()
    return (statement.revenue_cents, statement.rung, statement.rate_thousandths, statement.earned_cents,
            statement.amount_cents, statement.revenue_to_next_cents, lines)


def test_the_job_writes_a_draft_statement_per_partner_with_its_orders_as_lines(db, run_jobs, world):
    run = calculate(db, run_jobs, world["admin"], world["program"], Q1)
    assert (run.status, run.statements, run.running_key) == ("done", 2, None)
    mine = statement_of(db, world["program"], world["partner"], Q1)
    # 320,000 reaches the 250,000 rung: 8 % of everything (retroactive); 180,000 more to reach 10 %
    assert (mine.status, mine.revenue_cents, mine.rung, mine.rate_thousandths) == ("draft", 32_000_000, 2, 8000)
    assert (mine.earned_cents, mine.amount_cents, mine.revenue_to_next_cents) == (2_560_000, 2_560_000, 18_000_000)
    _r, _n, _t, _e, _a, _x, lines = snapshot(db, mine)
    assert sorted(lines) == sorted([("order", world["big"].number, 24_000_000),
                                    ("order", world["small"].number, 8_000_000)])


def test_a_second_click_while_it_runs_does_not_start_a_second_run(db, run_jobs, world):
    first, started = calculation.start(world["admin"], world["program"].id, Q1)
    again, started_again = calculation.start(world["admin"], world["program"].id, Q1)
    db.session.commit()
    assert (started, started_again, again.id) == (True, False, first.id)
    assert run_jobs() == 1
    assert db.session.scalars(select(RebateRun)).all() == [first]


def test_a_rerun_replaces_drafts_with_identical_results(db, run_jobs, world):
    calculate(db, run_jobs, world["admin"], world["program"], Q1)
    before = snapshot(db, statement_of(db, world["program"], world["partner"], Q1))
    calculate(db, run_jobs, world["admin"], world["program"], Q1)
    assert snapshot(db, statement_of(db, world["program"], world["partner"], Q1)) == before
    assert len(db.session.scalars(select(RebateStatement)).all()) == 2


def test_approved_statements_are_untouched_by_a_rerun_and_a_return_is_clawed_back_on_the_next(
        db, run_jobs, world, outbox):
    admin, program, partner = world["admin"], world["program"], world["partner"]
    calculate(db, run_jobs, admin, program, Q1)
    approved = statement_of(db, program, partner, Q1)
    statements.approve(admin, [approved.id])
    db.session.commit()
    # after approval, the smaller order is returned in full: Q1 revenue 320,000 → 240,000
    small = world["small"]
    line = db.session.scalar(select(lifecycle.OrderLine).where(lifecycle.OrderLine.order_id == small.id))
    request_ = lifecycle.request_return(world["seller"], small.id, {str(line.id): "2"}, "Damaged")
    lifecycle.accept_return(admin, request_.id)
    db.session.commit()
    calculate(db, run_jobs, admin, program, Q1)
    again = statement_of(db, program, partner, Q1)
    assert (again.id, again.status, again.earned_cents, again.revenue_cents) == (
        approved.id, "approved", 2_560_000, 32_000_000)
    calculate(db, run_jobs, admin, program, Q2)
    following = statement_of(db, program, partner, Q2)
    # Q2: 50,000 at 2 % = 1,000; the Q1 adjustment: 240,000 earns 5 % = 12,000 instead of 25,600 → −13,600
    assert (following.earned_cents, following.adjustment_cents, following.amount_cents) == (
        100_000, -1_360_000, -1_260_000)
    [adjustment] = statements.adjustments_of(following.id)
    assert (adjustment.adjusts_id, adjustment.from_revenue_cents, adjustment.to_revenue_cents,
            adjustment.from_earned_cents, adjustment.to_earned_cents, adjustment.amount_cents) == (
        approved.id, 32_000_000, 24_000_000, 2_560_000, 1_200_000, -1_360_000)
    # once the adjustment is approved, the next run owes nothing more for Q1: nothing is paid twice
    statements.approve(admin, [following.id])
    db.session.commit()
    q3 = date(2026, 7, 1)
    factories.delivered_order(world["seller"], 1_000_000, datetime(2026, 7, 5, tzinfo=UTC))
    db.session.commit()
    calculate(db, run_jobs, admin, program, q3)
    assert statement_of(db, program, partner, q3).adjustment_cents == 0
    assert any("approved" in m["Subject"] for m in outbox())


def test_a_stale_adjustment_cannot_be_approved_twice(db, run_jobs, world):
    admin, program, partner = world["admin"], world["program"], world["partner"]
    calculate(db, run_jobs, admin, program, Q1)
    statements.approve(admin, [statement_of(db, program, partner, Q1).id])
    small = world["small"]
    line = db.session.scalar(select(lifecycle.OrderLine).where(lifecycle.OrderLine.order_id == small.id))
    lifecycle.accept_return(admin, lifecycle.request_return(world["seller"], small.id, {str(line.id): "2"}, "x").id)
    db.session.commit()
    calculate(db, run_jobs, admin, program, Q2)
    q3 = date(2026, 7, 1)
    calculate(db, run_jobs, admin, program, q3)  # both drafts carry the Q1 clawback
    statements.approve(admin, [statement_of(db, program, partner, Q2).id])
    db.session.commit()
    from portal.core.errors import Conflict

    with pytest.raises(Conflict):
        statements.approve(admin, [statement_of(db, program, partner, q3).id])


def test_eligibility_by_partner_type_leaves_other_partners_out(db, run_jobs, world):
    from portal.rebates import service

    program = world["program"]
    data = service.ProgramInput(name=program.name, mode="incremental", rungs=[("0", "2"), ("100000", "5")],
                                starts_on="2026-01-01", ends_on="2026-12-31", status="active",
                                partner_types=["distributor"])
    service.save(world["admin"], data, program.id)
    world["partner"].type = "distributor"
    db.session.commit()
    run = calculate(db, run_jobs, world["admin"], program, Q1)
    mine = statement_of(db, program, world["partner"], Q1)
    # incremental: 100,000 × 2 % + 220,000 × 5 % = 2,000 + 11,000
    assert (run.statements, mine.earned_cents) == (1, 1_300_000)


def test_the_demo_has_an_active_program_and_an_approved_statement_for_last_quarter(db):
    from portal import demo
    from portal.rebates.models import RebateProgram

    demo.seed("small")
    demo.seed("small")  # idempotent
    programs = db.session.scalars(select(RebateProgram).order_by(RebateProgram.name)).all()
    assert [(p.name, p.status) for p in programs] == [("Distributor volume bonus", "active"),
                                                      ("Quarterly growth rebate", "active")]
    approved = db.session.scalars(select(RebateStatement).where(RebateStatement.status == "approved")).all()
    assert len({s.partner_id for s in approved}) == len(approved)
