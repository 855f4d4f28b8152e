"""A small process supervisor for ``flask serve``: keep each program running, stop them all on request.

Rules:
- Every program runs in its own session (process group), so a terminal's Ctrl-C reaches only the
  supervisor, which then stops the programs in order, and stopping a program reaches everything it
  started (gunicorn's workers, RQ's work horse).
- A program that exits while nothing asked it to is started again after a backoff (1, 2, 4 … up to
  ``MAX_BACKOFF`` seconds); the backoff starts over once a program has run ``STABLE_AFTER`` seconds. The
  others keep running: a crashed RQ worker does not take the web down (gunicorn restarts its own web
  workers; if its master dies it is restarted like any program).
- SIGTERM, SIGINT and SIGHUP stop everything: each program's group gets SIGTERM (gunicorn and RQ shut
  down gracefully on it), and whatever is still there after ``stop_timeout`` seconds gets SIGKILL. The
  caller's ``finally`` then stops what it started before (the embedded Redis).

Why not honcho (a Procfile runner): it stops every process as soon as one exits, which is the behaviour
to get rid of here, and it would still need a restart loop around the worker and the embedded Redis
started before and stopped after — the same amount of code plus a dependency.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass

log = logging.getLogger(__name__)

MAX_BACKOFF = 30.0
STABLE_AFTER = 60.0
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)


@dataclass
class Program:
    """One supervised command line; ``proc`` is its current process (None while waiting to restart)."""

    name: str
    argv: list[str]
    env: dict[str, str] | None = None
    proc: subprocess.Popen | None = None
    started_at: float = 0.0
    failures: int = 0  # exits in a row without a stable run: the backoff doubles with each
    restart_at: float | None = None
    restarts: int = 0


class Supervisor:
    def __init__(self, programs: list[Program], *, stop_timeout: float = 15.0, poll: float = 0.2,
                 first_backoff: float = 1.0, echo: Callable[[str], None] = print):
        self.programs = programs
        self.first_backoff = first_backoff
        self.stop_timeout = stop_timeout
        self.poll = poll
        self.echo = echo
        self.stopping: int | None = None  # the signal that asked to stop

    def run(self) -> int:
        """Start the programs and keep them running until a stop signal; then stop them all.

        Returns 0 after a requested stop. The signal handlers are restored on the way out."""
        previous = {sig: signal.signal(sig, self._request_stop) for sig in STOP_SIGNALS}
        try:
            for program in self.programs:
                self._start(program)
            while self.stopping is None:
                self._tend(time.monotonic())
                time.sleep(self.poll)
        finally:
            # a second signal while stopping must not interrupt the stop half-way
            for sig in STOP_SIGNALS:
                signal.signal(sig, signal.SIG_IGN)
            try:
                self.stop()
            finally:
                for sig, handler in previous.items():
                    signal.signal(sig, handler)
        return 0

    def _request_stop(self, signum, _frame) -> None:
        self.stopping = signum

    def _start(self, program: Program) -> None:
        program.proc = subprocess.Popen(program.argv, env=program.env, stdin=subprocess.DEVNULL,
                                        start_new_session=True)
        program.started_at = time.monotonic()
        program.restart_at = None

    def _tend(self, now: float) -> None:
        """Notice programs that exited and start them again once their backoff has passed."""
        for program in self.programs:
            if program.proc is not None and (code := program.proc.poll()) is not None:
                ran = now - program.started_at
                program.failures = 1 if ran >= STABLE_AFTER else program.failures + 1
                delay = min(self.first_backoff * 2 ** (program.failures - 1), MAX_BACKOFF)
                self.echo(f"{program.name} (pid {program.proc.pid}) exited with {_describe(code)} after "
                          f"{ran:.0f} s; starting it again in {delay:g} s")
                _kill_group(program.proc.pid, signal.SIGKILL)  # anything it left behind in its group
                program.proc = None
                program.restart_at = now + delay
            elif program.proc is None and program.restart_at is not None and now >= program.restart_at:
                program.restarts += 1
                self._start(program)

    def stop(self) -> None:
        """SIGTERM to every program's group, then SIGKILL to what is left after ``stop_timeout``."""
        running = [p.proc for p in self.programs if p.proc is not None]
        for proc in running:
            _kill_group(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + self.stop_timeout
        for proc in running:
            try:
                proc.wait(timeout=max(deadline - time.monotonic(), 0))
            except subprocess.TimeoutExpired:
                self.echo(f"pid {proc.pid} did not stop within {self.stop_timeout:.0f} s; killing it")
        for proc in running:
            # the leader may be gone while its group lives on (a work horse, a gunicorn worker): end those too
            _kill_group(proc.pid, signal.SIGKILL)
            proc.wait()
        for program in self.programs:
            program.proc = None


def _kill_group(pgid: int, sig: int) -> None:
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def _describe(code: int) -> str:
    if code < 0:
        try:
            return f"signal {signal.Signals(-code).name}"
        except ValueError:
            return f"signal {-code}"
    return f"code {code}"
