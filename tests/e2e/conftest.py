"""Browser tests: Debian Chromium (Playwright) against a live server and a real RQ worker.

Everything here is session-scoped and stopped in teardown; nothing outlives the test run.

- ``live_server``: its own app (``tests.conftest.make_app``) on its own SQLite file, seeded with
  the demo data, real CSRF, e-mail over SMTP to the real aiosmtpd ``smtp_server``, served by
  werkzeug in a daemon thread. Requests commit for real (no rollback fixture here).
- The worker: ``flask worker`` in a subprocess (own session, output to a log file) sharing the
  database file and Redis, so e-mail goes page → outbox row → RQ job → SMTP like in production.
  It uses Redis database 1 of the ``redis_server`` so that the in-process ``run_jobs`` of other
  tests (database 0, flushed before each of them) and this worker never take each other's jobs.
- ``page``: a fresh tab that collects console errors (CSP violations) and serves the vendored
  axe-core at a same-origin URL; tests/e2e/browser.py's ``visit`` and ``check_page`` use both.

Every e2e test is marked ``e2e`` and ``xdist_group("e2e")``: they all run in one pytest-xdist
worker, against one live server.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Page

from portal.demo import DEMO_PASSWORD
from tests.conftest import make_app
from tests.e2e.browser import AXE_URL_PATH

ROOT = Path(__file__).resolve().parents[2]
AXE = Path(__file__).with_name("vendor") / "axe.min.js"
SECRET_KEY = "e2e-secret-key"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
# Console errors the browser logs for any non-2xx page load; the status itself is asserted by the tests.
EXPECTED_CONSOLE = ("Failed to load resource: the server responded with a status of",)


@dataclass
class LiveServer:
    url: str
    app: object
    worker_log: Path
    smtp: object  # tests.conftest's smtp_server: .messages, .lock

    def worker_output(self) -> str:
        return self.worker_log.read_text(errors="replace") if self.worker_log.exists() else ""

    def add_user(self, email: str, name: str, role: str = "partner_user", partner: str | None = None,
                 password: str = DEMO_PASSWORD) -> int:
        """A user of the tests' own, committed (for tests that change a user: the demo ones stay as they are)."""
        from sqlalchemy import select

        from portal.accounts.models import User
        from portal.accounts.passwords import hash_password
        from portal.extensions import db
        from portal.partners.models import Partner

        with self.app.app_context():
            partner_id = db.session.scalar(select(Partner.id).where(Partner.name == partner)) if partner else None
            user = User(email=email, name=name, role=role, partner_id=partner_id, active=True, timezone="UTC",
                        password_hash=hash_password(password))
            db.session.add(user)
            db.session.commit()
            return user.id

    def set_password(self, email: str, password: str = DEMO_PASSWORD) -> None:
        from sqlalchemy import update

        from portal.accounts.models import User
        from portal.accounts.passwords import hash_password
        from portal.extensions import db

        with self.app.app_context():
            db.session.execute(update(User).where(User.email == email).values(password_hash=hash_password(password)))
            db.session.commit()

    def add_notification(self, email: str, message: str, key: str) -> None:
        from sqlalchemy import select

        from portal.accounts.models import User
        from portal.extensions import db
        from portal.notifications.models import Notification

        with self.app.app_context():
            user_id = db.session.scalar(select(User.id).where(User.email == email))
            db.session.add(Notification(user_id=user_id, event_key=key, message=message, link=""))
            db.session.commit()


def _with_db(redis_url: str, number: int) -> str:
    return f"{redis_url}{'&' if '?' in redis_url else '?'}db={number}"


@pytest.fixture(scope="session")
def live_server(tmp_path_factory, redis_server, smtp_server):
    from werkzeug.serving import WSGIRequestHandler, make_server

    from portal import demo
    from portal.extensions import db

    folder = tmp_path_factory.mktemp("e2e")
    instance = folder / "instance"
    instance.mkdir()
    database_url = f"sqlite:///{folder / 'e2e.db'}"
    redis_url = _with_db(redis_server, 1)
    app = make_app(database_url, redis_url, str(folder / "outbox"), str(instance),
                   WTF_CSRF_ENABLED=True, MAIL_URL=smtp_server.url, SECRET_KEY=SECRET_KEY)
    with app.app_context():
        demo.seed("small")

    class QuietHandler(WSGIRequestHandler):  # no access log line per request; errors are still logged
        def log_request(self, *args, **kwargs):
            pass

    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=QuietHandler)
    url = f"http://127.0.0.1:{server.server_port}"
    app.config["BASE_URL"] = url  # links in e-mails point at this server
    thread = threading.Thread(target=server.serve_forever, name="e2e-live-server", daemon=True)
    worker = None
    try:
        thread.start()
        env = {**os.environ, "INSTANCE_PATH": str(instance), "DATABASE_URL": database_url, "REDIS_URL": redis_url,
               "MAIL_URL": smtp_server.url, "SECRET_KEY": SECRET_KEY, "BASE_URL": url, "PYTHONUNBUFFERED": "1"}
        worker_log = folder / "worker.log"
        # Output to a file and a session of its own: an inherited pipe would keep CI's output open.
        with open(worker_log, "wb") as log, open(os.devnull, "rb") as devnull:
            worker = subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "worker"], cwd=ROOT,
                                      env=env, stdin=devnull, stdout=log, stderr=subprocess.STDOUT,
                                      start_new_session=True)
        yield LiveServer(url=url, app=app, worker_log=worker_log, smtp=smtp_server)
    finally:
        if worker is not None:
            worker.terminate()
            try:
                worker.wait(timeout=15)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait(timeout=5)
        if thread.is_alive():
            server.shutdown()  # waits for serve_forever to return
        server.server_close()
        thread.join(timeout=10)
        with app.app_context():
            db.engine.dispose()


@pytest.fixture(scope="session")
def base_url(live_server):
    """pytest-playwright passes this to every browser context: ``page.goto("/login")`` works."""
    return live_server.url


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "headless": True, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "locale": "en-GB", "timezone_id": "UTC"}


@pytest.fixture
def page(context, base_url) -> Page:
    """A fresh tab whose console errors and page errors are collected for ``check_page``."""
    context.set_default_timeout(10_000)
    context.route(base_url + AXE_URL_PATH, lambda route: route.fulfill(
        path=str(AXE), content_type="application/javascript"))
    tab = context.new_page()
    tab.e2e_problems = []  # type: ignore[attr-defined]

    def on_console(message):
        if message.type == "error" and not message.text.startswith(EXPECTED_CONSOLE):
            tab.e2e_problems.append(f"console: {message.text}")

    tab.on("console", on_console)
    tab.on("pageerror", lambda error: tab.e2e_problems.append(f"page error: {error}"))
    return tab


def pytest_configure(config):
    # pytest-xdist registers this marker; without xdist (-p no:xdist) --strict-markers needs it here
    config.addinivalue_line("markers", "xdist_group(name): run in the same pytest-xdist worker as its group")
