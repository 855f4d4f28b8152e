"""Flask CLI commands: ``flask seed-demo``, ``flask worker``, ``flask serve``."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

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
    """Start web (gunicorn) and an RQ worker; Ctrl-C stops both (and the embedded Redis)."""
    from portal.core import queue

    env = dict(os.environ)
    embedded = not current_app.config["REDIS_URL"]
    if embedded:
        queue.ensure_embedded(current_app)
    env["REDIS_URL"] = queue.redis_url(current_app)
    env.setdefault("SECURE_COOKIES", "0")  # plain http on localhost; set 1 behind TLS
    env.setdefault("BASE_URL", f"http://127.0.0.1:{port}")
    env["INSTANCE_PATH"] = current_app.instance_path
    web = subprocess.Popen([sys.executable, "-m", "gunicorn", "-w", str(workers), "-b", f"127.0.0.1:{port}",
                            "--access-logfile", "-", "wsgi:app"], env=env)
    work = subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "worker"], env=env)
    click.echo(f"\nPartner Portal is running at http://127.0.0.1:{port}\n\n{DEMO_LOGINS}\n\n"
               f"E-mail goes to {current_app.config['OUTBOX_DIR']} (set MAIL_URL for SMTP). Ctrl-C stops.\n")
    try:
        while web.poll() is None and work.poll() is None:
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        for proc in (web, work):
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in (web, work):
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
        if embedded:
            queue.stop_embedded(current_app)
