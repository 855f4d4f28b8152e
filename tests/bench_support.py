"""The bench's processes and HTTP (tests/bench.py): servers started in their own sessions with their output in
files, all stopped by ``stop_all`` (at exit too); plain HTTP/1.1 requests and a real sign-in through the
login form."""

from __future__ import annotations

import http.client
import os
import re
import signal
import socket
import subprocess
import time
import urllib.parse
from http.cookies import SimpleCookie
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEMO_PASSWORD = "portal-demo"

# --- process management ---------------------------------------------------------------------

_procs: list[subprocess.Popen] = []
cleanups: list = []


def stop_all() -> None:
    while _procs:
        proc = _procs.pop()
        if proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                continue
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=5)
    while cleanups:
        cleanups.pop()()


def on_signal(signum, _frame):
    raise SystemExit(128 + signum)


def start(cmd: list[str], env: dict, log: Path) -> subprocess.Popen:
    with open(log, "wb") as out:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)
    _procs.append(proc)
    return proc


def run(cmd: list[str], env: dict, log: Path, timeout: float) -> float:
    """Run a command to completion (output to ``log``); returns the seconds it took."""
    began = time.perf_counter()
    with open(log, "wb") as out:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)
        _procs.append(proc)
        try:
            code = proc.wait(timeout=timeout)
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
            _procs.remove(proc)
    if code:
        raise RuntimeError(f"{' '.join(cmd)} failed ({code}):\n{log.read_text()[-3000:]}")
    return time.perf_counter() - began


def start_redis(folder: Path) -> str:
    """One real redis-server for the portal (rate limits, queue); shut down with the rest."""
    from portal.core.queue import start_server, stop_server

    socket_path = start_server(str(folder))
    cleanups.append(lambda: stop_server(str(folder), save=False))
    return f"unix://{socket_path}"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_ready(port: int, path: str, proc: subprocess.Popen, log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server on port {port} exited:\n{log.read_text()[-3000:]}")
        try:
            status, _headers, _body = request(port, "GET", path)
            if status < 500:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"server on port {port} did not answer within {timeout} s:\n{log.read_text()[-3000:]}")


# --- HTTP -------------------------------------------------------------------------------------

def request(port: int, method: str, path: str, body: bytes | None = None,
            headers: dict | None = None) -> tuple[int, http.client.HTTPMessage, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.headers, response.read()
    finally:
        conn.close()


def _cookies(headers: http.client.HTTPMessage, jar: dict[str, str]) -> dict[str, str]:
    for value in headers.get_all("Set-Cookie") or []:
        for name, morsel in SimpleCookie(value).items():
            jar[name] = morsel.value
    return jar


def cookie_header(jar: dict[str, str]) -> str:
    return "; ".join(f"{k}={v}" for k, v in jar.items())


def sign_in(port: int, email: str) -> str:
    """A real sign-in through the form (CSRF on); returns the Cookie header for the session."""
    status, headers, body = request(port, "GET", "/login")
    if status != 200:
        raise RuntimeError(f"GET /login answered {status}")
    jar = _cookies(headers, {})
    match = re.search(rb'name="csrf_token"[^>]*value="([^"]+)"', body) or re.search(
        rb'value="([^"]+)"[^>]*name="csrf_token"', body)
    if not match:
        raise RuntimeError("no CSRF token on the login page")
    form = urllib.parse.urlencode({"csrf_token": match.group(1).decode(), "email": email,
                                   "password": DEMO_PASSWORD}).encode()
    status, headers, body = request(port, "POST", "/login", form, {
        "Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie_header(jar)})
    if status != 303:
        raise RuntimeError(f"sign-in as {email} answered {status}:\n{body[:800].decode(errors='replace')}")
    return cookie_header(_cookies(headers, jar))


