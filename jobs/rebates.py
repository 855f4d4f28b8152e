"""Rebate jobs: the calculation of a program's period (progress in the RQ job's meta)."""

from __future__ import annotations

from rq import get_current_job

from jobs.base import task
from portal.extensions import db
from portal.rebates import calculation


@task
def calculate(run_id: int) -> int | None:
    """Take the run (committed: the page shows it running), then write every draft statement of the period in
    one transaction (committed by ``task``). A failure marks the run failed; RQ retries it, which starts over."""
    job = get_current_job()
    try:
        if calculation.begin(run_id, job.id if job is not None else "") is None:
            return None
        db.session.commit()

        def progress(done: int, total: int) -> None:
            if job is not None:
                job.meta.update(done=done, total=total)
                job.save_meta()

        return calculation.run(run_id, progress).statements
    except Exception as exc:
        db.session.rollback()
        calculation.fail(run_id, exc)
        db.session.commit()
        raise
