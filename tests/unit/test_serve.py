"""``flask serve`` keeps the portal up and stops cleanly: the real command in a subprocess (own session,
output to a file, a free port, an instance in a temp folder, the embedded Redis).

Each test gets its own instance folder; every process the command starts names it in its environment
(``INSTANCE_PATH``) or, for redis-server (which overwrites its environment with its process title), in its
command line. The fixture finds them all through /proc by it and kills whatever is left, even when a test
fails, so nothing keeps CI's output pipe open.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FLASK = [sys.executable, "-m", "flask", "--app", "wsgi"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def marked(instance: Path) -> dict[int, str]:
    """Live processes of ``instance`` (in their environment or command line): pid → command line."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
            environ = (entry / "environ").read_bytes().split(b"\0")
            if f"INSTANCE_PATH={instance}".encode() not in environ and f"{instance}/" not in cmdline:
                continue
            if (entry / "stat").read_text().rsplit(")", 1)[1].split()[0] == "Z":  # exited, not reaped yet
                continue
            found[int(entry.name)] = cmdline
        except OSError:  # gone meanwhile
            continue
    return found


def wait_for(condition, timeout: float, what: str, log: Path):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result := condition():
            return result
        time.sleep(0.1)
    pytest.fail(f"{what} within {timeout} s; serve's output:\n{log.read_text()[-3000:]}")


def answers(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def workers(processes: dict[int, str]) -> list[int]:
    """The RQ worker processes (the worker and the scheduler process it forks share its command line)."""
    return sorted(pid for pid, cmd in processes.items() if cmd.endswith("wsgi worker"))


def parent(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])


class Serve:
    def __init__(self, proc: subprocess.Popen, port: int, instance: Path, log: Path):
        self.proc, self.port, self.instance, self.log = proc, port, instance, log

    def children(self) -> dict[int, str]:
        return {pid: cmd for pid, cmd in marked(self.instance).items() if pid != self.proc.pid}

    def worker(self) -> int | None:
        """The worker that serve started (not the scheduler process the worker forks)."""
        started = []
        for pid in workers(self.children()):
            try:
                if parent(pid) == self.proc.pid:
                    started.append(pid)
            except OSError:
                pass
        assert len(started) <= 1, started
        return started[0] if started else None


@pytest.fixture(scope="module")
def migrated(tmp_path_factory):
    """A migrated database, made once; each test copies it into its own instance folder."""
    folder = tmp_path_factory.mktemp("serve-db")
    env = {**os.environ, "INSTANCE_PATH": str(folder)}
    env.pop("DATABASE_URL", None)
    subprocess.run([*FLASK, "db", "upgrade"], cwd=ROOT, env=env, check=True, capture_output=True, timeout=120,
                   start_new_session=True, stdin=subprocess.DEVNULL)
    return folder / "portal.db"


@pytest.fixture
def serve(migrated, tmp_path):
    instance = tmp_path / "instance"
    instance.mkdir()
    shutil.copy(migrated, instance / "portal.db")
    port = free_port()
    log = tmp_path / "serve.log"
    env = {**os.environ, "INSTANCE_PATH": str(instance), "PORT": str(port)}
    for name in ("REDIS_URL", "DATABASE_URL", "MAIL_URL"):
        env.pop(name, None)
    with open(log, "wb") as out:
        proc = subprocess.Popen([*FLASK, "serve", "--workers", "1"], cwd=ROOT, env=env, stdin=subprocess.DEVNULL,
                                stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    running = Serve(proc, port, instance, log)
    try:
        wait_for(lambda: answers(port) and running.worker(), 60, "the web and a worker did not start", log)
        yield running
    finally:
        for pid in [proc.pid, *marked(instance)]:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        proc.wait(timeout=10)
        wait_for(lambda: not marked(instance), 10, "processes were still running after SIGKILL", log)


def test_a_killed_worker_is_started_again_while_the_web_keeps_answering(serve):
    worker = serve.worker()
    web = {pid for pid, cmd in serve.children().items() if "gunicorn" in cmd}
    os.kill(worker, signal.SIGKILL)
    deadline = time.monotonic() + 15
    replacement = None
    while time.monotonic() < deadline and replacement in (None, worker):
        assert answers(serve.port), serve.log.read_text()[-3000:]
        replacement = serve.worker()
        time.sleep(0.2)
    assert replacement not in (None, worker), f"no new worker within 15 s:\n{serve.log.read_text()[-3000:]}"
    assert serve.proc.poll() is None
    assert web <= set(serve.children()), "the web processes were restarted or stopped"
    assert "worker (pid" in serve.log.read_text()


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_stop_signal_ends_serve_and_every_process_it_started(serve, stop):
    children = serve.children()
    assert any("gunicorn" in cmd for cmd in children.values())
    assert any("redis-server" in cmd for cmd in children.values())
    assert workers(children)
    os.kill(serve.proc.pid, stop)
    assert serve.proc.wait(timeout=30) == 0, serve.log.read_text()[-3000:]
    left = marked(serve.instance)
    assert not left, f"still running after {stop.name}: {left}"
    assert not answers(serve.port)


def test_a_program_that_keeps_crashing_is_started_again_with_a_growing_backoff_and_the_others_keep_running():
    from portal.core.supervisor import Program, Supervisor

    crashing = Program("crashing", [sys.executable, "-c", "import sys; sys.exit(3)"])
    steady = Program("steady", [sys.executable, "-c", "import time; time.sleep(60)"])
    exits: list[float] = []
    messages: list[str] = []
    steady_pids: list[int] = []

    def echo(line: str) -> None:  # called once per exit of the crashing program
        messages.append(line)
        exits.append(time.monotonic())
        steady_pids.append(steady.proc.pid)
        if len(exits) == 4:
            supervisor.stopping = signal.SIGTERM  # what the SIGTERM handler does

    supervisor = Supervisor([crashing, steady], poll=0.02, first_backoff=0.2, stop_timeout=5, echo=echo)
    assert supervisor.run() == 0
    gaps = [later - earlier for earlier, later in zip(exits, exits[1:], strict=False)]
    # each gap: the backoff (0.2, 0.4, 0.8 s) plus the crashing program's own start-up
    assert all(gap >= wait for gap, wait in zip(gaps, (0.2, 0.4, 0.8), strict=True)), gaps
    assert gaps[2] > gaps[0] + 0.4
    assert all(m.startswith("crashing (pid") and "exited with code 3" in m for m in messages)
    assert crashing.restarts == 3 and steady.restarts == 0
    assert len(set(steady_pids)) == 1  # never restarted
    with pytest.raises(ProcessLookupError):  # stopped with the rest
        os.kill(steady_pids[0], 0)
