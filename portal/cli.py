"""Flask CLI commands: ``flask seed-demo``, ``flask worker``, ``flask serve``."""

from __future__ import annotations

import os
import signal
import sys

import click
from flask import current_app


def install(app) -> None:
    app.cli.add_command(seed_demo)
    app.cli.add_command(worker)
    app.cli.add_command(serve)


@click.command("seed-demo")
@click.option("--scale", type=click.Choice(["small", "large"]), default="small",
              help="small: the demo accounts; large: plus realistic volume for `make bench`.")
def seed_demo(scale: str) -> None:
    """Create the demo data. Idempotent: a second run changes nothing."""
    from portal import demo

    created = demo.seed(scale)
    click.echo(f"seed-demo ({scale}): {created}")


@click.command("worker")
@click.option("--burst", is_flag=True, help="Work off the queue and exit.")
def worker(burst: bool) -> None:
    """Run an RQ worker (with RQ's scheduler for retries, and the periodic jobs)."""
    from rq import Worker

    from jobs import schedule
    from portal.core import queue

    conn = queue.connection()
    stop = schedule.start_thread(conn) if not burst else None
    try:
        Worker([queue.get_queue()], connection=conn).work(burst=burst, with_scheduler=True,
                                                          logging_level="WARNING")
    finally:
        if stop:
            stop.set()


DEMO_LOGINS = """\
Demo logins (password for all: portal-demo)
  admin@demo.test              admin
  manager@demo.test            channel manager (Northwind, Eastwind)
  trainer@demo.test            trainer
  anna@northwind.demo.test     partner admin, Northwind Trading
  ben@northwind.demo.test      partner user,  Northwind Trading
  chen@eastwind.demo.test      partner admin, 东风贸易有限公司 (Eastwind)
  dai@eastwind.demo.test       partner user,  东风贸易有限公司 (Eastwind)"""


@click.command("serve")
@click.option("--port", default=lambda: int(os.environ.get("PORT", "5000")), show_default="$PORT or 5000")
@click.option("--workers", default=2, show_default=True, help="gunicorn web processes")
def serve(port: int, workers: int) -> None:
    """Start the web (gunicorn) and an RQ worker, and keep them running (``portal.core.supervisor``).

    A crashed worker is started again while the web keeps serving. SIGTERM or Ctrl-C stops both, then
    the embedded Redis (started first when ``REDIS_URL`` is unset)."""
    from portal.core import queue
    from portal.core.supervisor import Program, Supervisor

    # Until the supervisor takes over the signals, SIGTERM interrupts like Ctrl-C: the finally below still
    # stops the embedded Redis.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    env = dict(os.environ)
    embedded = not current_app.config["REDIS_URL"]
    try:
        if embedded:
            queue.ensure_embedded(current_app)
        env["REDIS_URL"] = queue.redis_url(current_app)
        env.setdefault("SECURE_COOKIES", "0")  # plain http on localhost; set 1 behind TLS
        env.setdefault("BASE_URL", f"http://127.0.0.1:{port}")
        env["INSTANCE_PATH"] = current_app.instance_path
        programs = [
            # gunicorn's graceful stop (finish the requests in flight) fits in the supervisor's stop timeout;
            # no control socket: one path per user, which two portals on one host would fight over
            Program("web", [sys.executable, "-m", "gunicorn", "-w", str(workers), "-b", f"127.0.0.1:{port}",
                            "--graceful-timeout", "10", "--no-control-socket", "--access-logfile", "-",
                            "wsgi:app"], env),
            Program("worker", [sys.executable, "-m", "flask", "--app", "wsgi", "worker"], env),
        ]
        click.echo(f"\nPartner Portal is running at http://127.0.0.1:{port}\n\n{DEMO_LOGINS}\n\n"
                   f"E-mail goes to {current_app.config['OUTBOX_DIR']} (set MAIL_URL for SMTP). Ctrl-C stops.\n")
        Supervisor(programs, echo=lambda line: click.echo(f"serve: {line}", err=True)).run()
    finally:
        if embedded:
            queue.stop_embedded(current_app)
