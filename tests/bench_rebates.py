"""`make bench` (rebates row): the calculation of one quarter for all partners against the bare aggregate SQL
query over the same lines, measured in the same run on the large seed (≥ 1,000,000 order lines). Target: the
calculation takes at most 3× the bare query.

- The bare query: SUM of the quarter's delivered order lines minus the credits of accepted returns of those
  orders, grouped by partner (one SQLAlchemy statement, rows fetched, nothing written).
- The calculation: the RQ job itself (``jobs.rebates.calculate``, run in process: it takes the run, computes
  every partner's revenue, writes the draft statements with their lines and commits) for the demo's quarterly
  program over all partners, for the last complete quarter. Each round re-runs it, which replaces the drafts.

Three rounds, alternating, after one warm-up of the bare query (both then read a warm page cache); the medians
are printed with their ratio, and the bare query's plan (SQLite).

Builds a throwaway instance (SQLite, migrated, ``seed-demo --scale large``, 3–5 minutes) — or uses
``BENCH_INSTANCE``: seeded first when it has no database yet, then kept with the quarter's draft statements
(`make bench` runs this first in one folder, and tests/bench.py then reads those statements in its pages).

    .venv/bin/python -m tests.bench_rebates
    BENCH_INSTANCE=/path/to/instance .venv/bin/python -m tests.bench_rebates
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

TARGET_RATIO = 3.0
ROUNDS = 3
PROGRAM = "Quarterly growth rebate"  # portal/rebates/demo.py: all partners, retroactive


def _seed(instance: Path, folder: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "MAIL_URL", "PORTAL_DEBUG")}
    env.update(INSTANCE_PATH=str(instance), OUTBOX_DIR=str(folder / "outbox"), PYTHONUNBUFFERED="1")
    flask = [sys.executable, "-m", "flask", "--app", "wsgi"]
    print("bench: migrating and seeding (seed-demo --scale large) ...", flush=True)
    with open(folder / "seed.log", "wb") as log:
        for cmd in ([*flask, "db", "upgrade"], [*flask, "seed-demo", "--scale", "large"]):
            subprocess.run(cmd, env=env, stdout=log, stderr=subprocess.STDOUT, check=True, timeout=1200)
    print((folder / "seed.log").read_text().strip().splitlines()[-1], flush=True)


def bare_query(program, start, end):
    """Net revenue per partner over the window's lines: delivered lines minus accepted return credits."""
    from sqlalchemy import func, select, union_all

    from portal.orders.models import Credit, CreditLine, Order, OrderLine

    window = (Order.delivered_at >= start, Order.delivered_at < end, Order.currency == program.currency)
    sold = (select(Order.partner_id.label("partner_id"), OrderLine.line_total_cents.label("cents"))
            .join(Order, Order.id == OrderLine.order_id).where(*window))
    back = (select(Order.partner_id, -CreditLine.line_total_cents).select_from(CreditLine)
            .join(Credit, Credit.id == CreditLine.credit_id).join(Order, Order.id == Credit.order_id).where(*window))
    lines = union_all(sold, back).subquery()
    return select(lines.c.partner_id, func.sum(lines.c.cents)).group_by(lines.c.partner_id)


def main() -> int:
    folder = Path(tempfile.mkdtemp(prefix="bench-rebates-"))
    try:
        reused = os.environ.get("BENCH_INSTANCE")
        instance = Path(reused) if reused else folder / "instance"
        instance.mkdir(parents=True, exist_ok=True)
        if not (instance / "portal.db").exists():
            _seed(instance, folder)
        os.environ.pop("DATABASE_URL", None)
        os.environ["INSTANCE_PATH"] = str(instance)
        return measure()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def measure() -> int:
    from sqlalchemy import func, select, update

    from jobs.rebates import calculate
    from portal import create_app
    from portal.accounts.models import User
    from portal.core.time import utcnow
    from portal.extensions import db
    from portal.orders.models import Order, OrderLine
    from portal.rebates import calculation, service
    from portal.rebates.models import RebateProgram, RebateRun, RebateStatement, RebateStatementLine

    app = create_app({"TESTING": False})
    with app.app_context():
        lines_total = db.session.scalar(select(func.count()).select_from(OrderLine))
        program = db.session.scalar(select(RebateProgram).where(RebateProgram.name == PROGRAM))
        admin_id = db.session.scalar(select(User.id).where(User.email == "admin@demo.test"))
        period = service.periods(program, utcnow().date())[1]  # the last complete quarter
        start, end = calculation.window(program, period.start, period.end)
        query = bare_query(program, start, end)
        program_id = program.id
        db.session.execute(query).all()  # warm-up: the quarter's pages in the cache for both
        bare_times, calc_times, partners, statements, lines = [], [], 0, 0, 0
        for _round in range(ROUNDS):
            t0 = time.perf_counter()
            partners = len(db.session.execute(query).all())
            bare_times.append(time.perf_counter() - t0)
            db.session.rollback()

            db.session.execute(update(RebateRun).where(RebateRun.running_key == program_id).values(
                running_key=None, status="failed", error="left by an interrupted bench"))
            run = RebateRun(program_id=program_id, period_start=period.start, period_end=period.end,
                            status="queued", running_key=program_id, started_by=admin_id)
            db.session.add(run)
            db.session.commit()
            run_id = run.id
            db.session.expunge_all()
            t0 = time.perf_counter()
            statements = calculate(run_id)  # what the worker runs: begin, the set-based pass, one commit
            calc_times.append(time.perf_counter() - t0)
            lines = db.session.scalar(select(func.count()).select_from(RebateStatementLine).join(
                RebateStatement, RebateStatement.id == RebateStatementLine.statement_id).where(
                RebateStatement.run_id == run_id))

        quarter_lines = db.session.scalar(select(func.count()).select_from(OrderLine).join(
            Order, Order.id == OrderLine.order_id).where(Order.delivered_at >= start, Order.delivered_at < end))
        conn = db.session.connection()
        if conn.dialect.name == "sqlite":
            compiled = query.compile(conn, compile_kwargs={"literal_binds": True})
            plan = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}").all()
            print("bare query plan:", "; ".join(row[-1] for row in plan))
        bare, calc = statistics.median(bare_times), statistics.median(calc_times)
        ratio = calc / bare
        print(f"large seed: {lines_total:,} order lines; {period.label} ({period.start} – "
              f"{period.end - timedelta(days=1)}): {quarter_lines:,} delivered order lines, {partners} partners")
        print(f"rebates, one quarter for all partners ({ROUNDS} rounds, medians): bare aggregate query "
              f"{bare * 1000:.0f} ms, calculation {calc * 1000:.0f} ms ({statements} statements, {lines:,} lines) "
              f"→ ratio {ratio:.2f} (target ≤ {TARGET_RATIO:.0f})")
        return 0 if ratio <= TARGET_RATIO else 1


if __name__ == "__main__":
    sys.exit(main())
