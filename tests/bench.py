"""`make bench`: the portal's pages under a realistic mix of visits, against a bare-Flask "hello" and the
yardstick, measured in the same rounds.

Builds a throwaway instance (SQLite, migrated, ``seed-demo --scale large``) — or reuses one
(``BENCH_INSTANCE``) — starts one real redis-server (core.queue.start_server) and two gunicorns with 2 sync
workers each on 127.0.0.1: the portal (with two "floor" probe pages: tests/bench_portal.py) and
tests/bench_hello.py (hello, and the yardstick: a minimal SQLAlchemy + Jinja page of 50 rows). It signs
every reader in through the real login form (CSRF on), checks that each target answers with its page on
every worker, then loads each target with ``wrk -t1 -c8 -d5s --timeout 10s`` (8 concurrent clients; a threaded Python
client when wrk is missing). A portal target is a mix of visits (tests/bench_mix.py: many signed-in
people, pages 1–20, filters, fifty-odd search terms, English and Chinese): wrk sends them in turn, each with
its reader's session cookie. The "304" row revalidates pages the browser has, with their ETags.

Three rounds, each every target once between two runs of hello; a target's ratios to hello and to the
yardstick are taken within its round (the machine's speed drifts), and the table shows the median round.
Targets: every list page at least 1/2 of the yardstick and p95 under 50 ms; the layout floor at least 2/3
of the yardstick. The table goes to bench-results/latest.txt.

Every process started here runs in its own session with its output in files, and is stopped in
``finally`` and at exit: nothing is left running.

    .venv/bin/python -m tests.bench
    BENCH_INSTANCE=/path/to/instance .venv/bin/python -m tests.bench   # reuse a large-seeded instance
"""

from __future__ import annotations

import atexit
import http.client
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from tests.bench_mix import Visit, mixes
from tests.bench_support import (
    ROOT,
    cleanups,
    free_port,
    on_signal,
    request,
    run,
    sign_in,
    start,
    start_redis,
    stop_all,
    wait_ready,
)

WORKERS = 2
CONNECTIONS = 8
WRK_ARGS = ["-t1", f"-c{CONNECTIONS}", "-d5s", "--timeout", "10s"]
ROUNDS = 3
FALLBACK_SECONDS = 5.0  # per target, when wrk is missing
P95_LIMIT_MS = 50.0
LIST_GOAL, FLOOR_GOAL = 1 / 2, 2 / 3  # of the yardstick's requests/s in the same round
REVALIDATED_PER_PAGE = 30  # visits of each list page in the 304 row
NOT_REVALIDATED = {  # list pages left out of the 304 row: a new ETag every minute (what moves with it), or none
    "queue": "waiting times", "deals": "days of protection left", "training reports": "certificates valid now",
    "certificates": "no ETag",
}

WRK_SCRIPT = r"""
local formatted, next_index = {}, 1
init = function(args)
  for i, r in ipairs(requests) do formatted[i] = wrk.format("GET", r[1], r[2]) end
end
request = function()
  local r = formatted[next_index]
  next_index = next_index % #formatted + 1
  return r
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("BENCH requests=%d duration_us=%d bytes=%d non2xx=%d socket_errors=%d p50=%d p95=%d p99=%d\n",
    summary.requests, summary.duration, summary.bytes, e.status, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99)))
end
"""


@dataclass
class Target:
    name: str
    server: str  # "hello" | "portal"
    visits: list[Visit]
    expect: str = ""  # text every answer must contain (sanity check)
    goal: float | None = None  # the least requests/s as a share of the yardstick's
    status: int = 200
    etags: dict[tuple[str, str], str] = field(default_factory=dict)  # the 304 row: (user, path) → ETag


@dataclass
class Result:
    target: Target
    requests: int
    seconds: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    bytes_per_response: int
    failures: int

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0



def headers_for(target: Target, visit: Visit, sessions: dict[str, str]) -> dict[str, str]:
    headers = {"Accept-Language": visit.language}
    if visit.user:
        headers["Cookie"] = sessions[visit.user]
    if target.etags:
        headers["If-None-Match"] = target.etags[(visit.user, visit.path)]
    return headers


def check(port: int, target: Target, sessions: dict[str, str]) -> None:
    """A spread of the target's visits answer with the page (or 304), not the login page — the first few
    twice per worker, so that every worker has answered (a worker's first request is where setup bugs show)."""
    visits = target.visits[:2] * WORKERS + target.visits[::max(len(target.visits) // 12, 1)]
    for visit in visits:
        status, _h, body = request(port, "GET", visit.path, headers=headers_for(target, visit, sessions))
        text = body.decode(errors="replace")
        if status != target.status or 'id="login-form"' in text or (target.expect and target.expect not in text):
            raise RuntimeError(f"{target.name}: GET {visit.path} as {visit.user} answered {status}, not the "
                               f"expected page:\n{text[:800]}")


def revalidation_etags(port: int, target: Target, sessions: dict[str, str]) -> None:
    """The 304 row: the current ETag of each of its pages, as a browser that has it would send it."""
    target.etags.clear()
    for visit in target.visits:
        status, headers, _body = request(port, "GET", visit.path, headers={
            "Accept-Language": visit.language, "Cookie": sessions[visit.user]})
        if status != 200 or not headers.get("ETag"):
            raise RuntimeError(f"{target.name}: GET {visit.path} answered {status} without an ETag")
        target.etags[(visit.user, visit.path)] = headers["ETag"]


# --- load -----------------------------------------------------------------------------------

def _lua(text: str) -> str:
    if "]==]" in text:
        raise ValueError(f"cannot quote {text!r}")
    return f"[==[{text}]==]"


def wrk_script(target: Target, sessions: dict[str, str], folder: Path) -> Path:
    """A wrk script sending the target's visits in turn, each with its reader's cookie and language."""
    lines = []
    for visit in target.visits:
        headers = ", ".join(f"[ {_lua(k)} ] = {_lua(v)}" for k, v in headers_for(target, visit, sessions).items())
        lines.append(f"  {{{_lua(visit.path)}, {{{headers}}}}},")
    path = folder / f"{re.sub(r'[^a-z0-9]+', '-', target.name.lower())}.lua"
    path.write_text("requests = {\n" + "\n".join(lines) + "\n}\n" + WRK_SCRIPT, encoding="utf-8")
    return path


def load_wrk(wrk: str, port: int, target: Target, script: Path) -> Result:
    out = subprocess.run([wrk, *WRK_ARGS, "-s", str(script), f"http://127.0.0.1:{port}/"], capture_output=True,
                         text=True, timeout=60, start_new_session=True)
    match = re.search(r"BENCH (.*)", out.stdout)
    if out.returncode or not match:
        raise RuntimeError(f"wrk failed ({out.returncode}):\n{out.stdout}\n{out.stderr}")
    v = {k: int(x) for k, x in (pair.split("=") for pair in match.group(1).split())}
    return Result(target, v["requests"], v["duration_us"] / 1e6, v["p50"] / 1e3, v["p95"] / 1e3, v["p99"] / 1e3,
                  v["bytes"] // max(v["requests"], 1), v["non2xx"] + v["socket_errors"])


def load_python(port: int, target: Target, sessions: dict[str, str]) -> Result:
    """Without wrk: CONNECTIONS keep-alive clients sending the visits in turn for FALLBACK_SECONDS."""
    requests = [(visit.path, headers_for(target, visit, sessions)) for visit in target.visits]
    latencies: list[float] = []
    counts = {"next": 0, "bytes": 0, "failures": 0}
    lock = threading.Lock()
    deadline = time.monotonic() + FALLBACK_SECONDS

    def client():
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        try:
            while time.monotonic() < deadline:
                with lock:
                    path, headers = requests[counts["next"] % len(requests)]
                    counts["next"] += 1
                began = time.perf_counter()
                conn.request("GET", path, headers=headers)
                response = conn.getresponse()
                body = response.read()
                with lock:
                    latencies.append(time.perf_counter() - began)
                    counts["bytes"] += len(body)
                    counts["failures"] += response.status >= 400
        finally:
            conn.close()

    began = time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(CONNECTIONS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    seconds = time.perf_counter() - began
    latencies.sort()

    def pct(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(len(latencies) * p))] * 1e3 if latencies else 0.0

    return Result(target, len(latencies), seconds, pct(0.50), pct(0.95), pct(0.99),
                  counts["bytes"] // max(len(latencies), 1), counts["failures"])


# --- the table --------------------------------------------------------------------------------

@dataclass
class Round:
    result: Result
    vs_hello: float  # requests/s as a share of hello's in the same round (the mean of its two runs)
    vs_yardstick: float  # ... and of the yardstick's


def median_round(rounds: list[Round]) -> Round:
    return sorted(rounds, key=lambda r: r.vs_yardstick)[(len(rounds) - 1) // 2]


def table(targets: list[Target], rounds: dict[str, list[Round]], notes: list[str]) -> str:
    name_w = max(len(t.name) for t in targets)
    head = (f"{'target':<{name_w}} {'readers':>7} {'URLs':>5} {'req/s':>7} {'p50 ms':>7} {'p95 ms':>7} "
            f"{'p99 ms':>7} {'KB':>6} {'vs hello':>9} {'vs yardstick':>12} {'goal':>6} {'met':>4} "
            f"{'yardstick ratio per round':>26} {'fail':>5}")
    lines = [head, "-" * len(head)]
    for t in targets:
        m = median_round(rounds[t.name])
        r = m.result
        readers = len({v.user for v in t.visits if v.user})
        urls = len({v.path for v in t.visits})
        goal = f"{t.goal:.2f}" if t.goal else "-"
        met = "-" if not t.goal else ("yes" if m.vs_yardstick >= t.goal and (
            t.goal != LIST_GOAL or r.p95_ms < P95_LIMIT_MS) else "NO")
        per_round = " ".join(f"{x.vs_yardstick:.2f}" for x in rounds[t.name])
        fails = sum(x.result.failures for x in rounds[t.name])
        lines.append(f"{t.name:<{name_w}} {readers:>7} {urls:>5} {r.rps:>7,.0f} {r.p50_ms:>7.1f} {r.p95_ms:>7.1f} "
                     f"{r.p99_ms:>7.1f} {r.bytes_per_response / 1024:>6.1f} {m.vs_hello * 100:>8.1f}% "
                     f"{m.vs_yardstick:>12.2f} {goal:>6} {met:>4} {per_round:>26} {fails:>5}")
    return "\n".join(lines + [""] + notes) + "\n"


# --- the run --------------------------------------------------------------------------------

def targets_for(db_file: Path) -> list[Target]:
    mix = mixes(db_file)
    pages = [("catalogue search", "catalogue", 'id="results"'), ("order history", "orders", 'id="results"'),
             ("order queue", "queue", 'id="results"'), ("partners", "partners", 'id="results"'),
             ("users", "users", 'id="results"'), ("audit log", "audit", 'id="results"'),
             ("notifications", "notifications", 'id="notification-list"'),
             ("rebates", "rebates", 'id="results"'), ("rebate statements", "rebate statements", 'id="results"'),
             ("rebate programs", "rebate programs", 'id="results"'),
             ("courses", "courses", 'id="results"'), ("resources", "resources", 'id="results"'),
             ("certificates", "certificates", 'id="main"'),  # no list id: a learner may hold none
             ("training", "training", 'class="training-courses"'),
             ("training reports", "training reports", 'id="results"'),
             ("deals", "deals", 'id="results"'), ("deal review", "deal review", 'id="results"'),
             ("mdf requests", "mdf requests", 'id="results"'), ("mdf budgets", "mdf budgets", 'id="results"')]
    revalidated = [visit for _name, key, _expect in pages if key not in NOT_REVALIDATED
                   for visit in mix[key][:REVALIDATED_PER_PAGE]]
    return [
        Target("hello", "hello", [Visit("", "/", "en")], "hello"),
        Target("yardstick", "hello", [Visit("", "/rows", "en")], "ORD-"),
        Target("floor: signed in", "portal", [Visit(v.user, "/_bench/signed-in", v.language) for v in mix["layout"]],
               ""),
        Target("floor: + layout", "portal", mix["layout"], 'id="main"', FLOOR_GOAL),
        *(Target(name, "portal", mix[key], expect, LIST_GOAL) for name, key, expect in pages),
        Target("304: revalidated", "portal", revalidated, status=304),
    ]


def main() -> int:
    signal.signal(signal.SIGTERM, on_signal)
    atexit.register(stop_all)
    wrk = shutil.which("wrk")
    folder = Path(tempfile.mkdtemp(prefix="portal-bench-"))
    cleanups.insert(0, lambda: shutil.rmtree(folder, ignore_errors=True))  # runs last
    try:
        reused = os.environ.get("BENCH_INSTANCE")  # an instance seeded at large scale before: no new seed
        instance = Path(reused) if reused else folder / "instance"
        instance.mkdir(exist_ok=True)
        env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "MAIL_URL", "PORTAL_DEBUG")}
        env.update(INSTANCE_PATH=str(instance), SECURE_COOKIES="0", OUTBOX_DIR=str(folder / "outbox"),
                   PYTHONUNBUFFERED="1")
        env["REDIS_URL"] = start_redis(folder)
        flask = [sys.executable, "-m", "flask", "--app", "wsgi"]
        print("bench: migrating and seeding (seed-demo --scale large) ...", flush=True)
        run([*flask, "db", "upgrade"], env, folder / "migrate.log", timeout=120)
        seed_seconds = run([*flask, "seed-demo", "--scale", "large"], env, folder / "seed.log", timeout=900)
        seed_line = (folder / "seed.log").read_text().strip().splitlines()[-1]

        gunicorn = [sys.executable, "-m", "gunicorn", "-w", str(WORKERS), "-k", "sync", "--log-level", "warning"]
        portal_port, hello_port = free_port(), free_port()
        portal_log, hello_log = folder / "portal.log", folder / "hello.log"
        portal = start([*gunicorn, "-b", f"127.0.0.1:{portal_port}", "tests.bench_portal:app"], env, portal_log)
        hello = start([*gunicorn, "-b", f"127.0.0.1:{hello_port}", "tests.bench_hello:app"], env, hello_log)
        wait_ready(hello_port, "/", hello, hello_log)
        wait_ready(portal_port, "/healthz", portal, portal_log)

        targets = targets_for(instance / "portal.db")
        readers = sorted({v.user for t in targets for v in t.visits if v.user})
        print(f"bench: signing in {len(readers)} readers ...", flush=True)
        sessions = {"": ""} | {email: sign_in(portal_port, email) for email in readers}
        load_before = " / ".join(f"{x:.1f}" for x in os.getloadavg())

        def load(t: Target) -> Result:
            port = hello_port if t.server == "hello" else portal_port
            if t.status == 304:
                revalidation_etags(port, t, sessions)
            check(port, t, sessions)
            result = (load_wrk(wrk, port, t, wrk_script(t, sessions, folder)) if wrk
                      else load_python(port, t, sessions))
            check(port, t, sessions)  # still signed in after the load
            return result

        hello_target, yardstick, others = targets[0], targets[1], targets[2:]
        rounds: dict[str, list[Round]] = {t.name: [] for t in targets}
        began = time.strftime("%Y-%m-%d %H:%M:%S %Z")
        for number in range(1, ROUNDS + 1):
            print(f"bench: round {number} of {ROUNDS} ...", flush=True)
            first = load(hello_target)
            loaded = [load(yardstick)] + [load(t) for t in others]
            last = load(hello_target)
            hello_rps = (first.rps + last.rps) / 2
            yardstick_rps = loaded[0].rps
            for result in [first, last, *loaded]:
                rounds[result.target.name].append(Round(result, result.rps / hello_rps, result.rps / yardstick_rps))

        client = f"wrk {' '.join(WRK_ARGS)}" if wrk else f"python client, {CONNECTIONS} connections"
        slow = [f"{t.name} ({median_round(rounds[t.name]).result.p95_ms:.1f} ms)" for t in targets
                if t.goal == LIST_GOAL and median_round(rounds[t.name]).result.p95_ms >= P95_LIMIT_MS]
        yardstick_share = statistics.median(r.vs_hello for r in rounds[yardstick.name])
        notes = [
            f"Each row is its median round of {ROUNDS} (by the ratio to the yardstick); 'vs hello' and 'vs yardstick' "
            "are requests/s as a share of hello's (the mean of the two hello runs around it) and of the yardstick's "
            f"in the same round. The yardstick made {yardstick_share * 100:.1f} % of hello (median round).",
            "yardstick: a minimal SQLAlchemy + Jinja page of 50 rows (tests/bench_hello.py: no sign-in, tenancy, "
            "layout, translation or formatting).",
            "floors (tests/bench_portal.py): 'signed in' answers the reader's name after the session, user and "
            "permission check; '+ layout' is that plus the layout every page renders (header with badge counts, "
            "footer) around an empty content block.",
            "Each portal row is a mix of visits (tests/bench_mix.py): 'readers' signed-in people, 'URLs' distinct "
            "addresses (pages 1-20, filters, search terms), English and Chinese.",
            "'304: revalidated' sends the ETags of pages of every list page but "
            + ", ".join(f"{key} ({why})" for key, why in NOT_REVALIDATED.items())
            + " (a new ETag a minute, or none), as a browser revalidating pages it has; the answers are 304 Not "
            "Modified.",
            f"Goals: list pages >= {LIST_GOAL:.2f} of the yardstick and p95 < {P95_LIMIT_MS:.0f} ms; the layout floor "
            f">= {FLOOR_GOAL:.2f}. p95 under {P95_LIMIT_MS:.0f} ms: "
            + (f"NOT met by {', '.join(slow)}." if slow else "met by every list page."),
            f"gunicorn {WORKERS} sync workers per app on 127.0.0.1, SQLite (WAL); load: {client}; "
            f"{os.cpu_count()} CPUs shared by the client and the servers.",
            f"seed-demo --scale large took {seed_seconds:.1f} s: {seed_line}",
            f"'fail' counts non-2xx/3xx answers and socket errors over all rounds. Run from {began} to "
            f"{time.strftime('%H:%M:%S %Z')}, load average {load_before} before, "
            f"{' / '.join(f'{x:.1f}' for x in os.getloadavg())} after (other work on the machine skews the figures: "
            "compare ratios, rerun when in doubt).",
        ]
        report = table(targets, rounds, notes)
        print("\n" + report)
        out = ROOT / "bench-results"
        out.mkdir(exist_ok=True)
        (out / "latest.txt").write_text(report)
        print(f"written to {out / 'latest.txt'}")
        return 1 if any(r.result.failures for runs in rounds.values() for r in runs) else 0
    finally:
        stop_all()


if __name__ == "__main__":
    sys.exit(main())
