"""The one wrapper every job runs in: an app context, one commit, a clean session after."""

from __future__ import annotations

import functools
import logging

from flask import current_app, has_app_context

log = logging.getLogger(__name__)
_app = None


def _worker_app():
    global _app
    if _app is None:
        from portal import create_app

        _app = create_app()
    return _app


def task(fn):
    """Run ``fn`` inside an app context (the worker's, or the caller's when one is active, as in
    tests), commit once when it returns, roll back when it raises (RQ then retries it)."""

    @functools.wraps(fn)
    def run(*args, **kwargs):
        if has_app_context():
            return _run(fn, args, kwargs)
        with _worker_app().app_context():
            return _run(fn, args, kwargs)

    return run


def _run(fn, args, kwargs):
    from portal.extensions import db

    try:
        result = fn(*args, **kwargs)
        db.session.commit()
        return result
    except Exception:
        db.session.rollback()
        log.exception("job %s failed in %s", fn.__name__, current_app.name)
        raise
