"""`make bench` (deals row): the conflict check on submit with 100,000 open registrations (the large seed's
count), p50 / p95 over 300 checks — new names that match one (same domain, equal after normalisation,
near-identical) and names that match none. Target: p95 ≤ 20 ms (candidates by indexed keys, never a scan).

Builds a throwaway SQLite instance, migrated, with the registrations inserted in bulk by
``portal.deals.demo`` (as ``seed-demo --scale large`` does); the query plans are shown too.

    .venv/bin/python -m tests.bench_deals
"""

from __future__ import annotations

import os
import random
import statistics
import sys
import tempfile
import time

TARGET_MS = 20.0


def main() -> int:
    workdir = tempfile.mkdtemp(prefix="bench-deals-")
    os.environ["DATABASE_URL"] = f"sqlite:///{workdir}/bench.db"
    from flask_migrate import upgrade

    from portal import create_app
    from portal.deals import demo, matching
    from portal.deals.service import find_conflicts
    from portal.extensions import db
    from portal.partners.models import Partner

    app = create_app({"TESTING": False})
    with app.app_context():
        upgrade()
        for i in range(50):
            db.session.add(Partner(name=f"Large Partner {i:03d}", type="reseller", region="EMEA", status="active"))
        db.session.flush()
        started = time.perf_counter()
        added = demo._large()
        db.session.commit()
        print(f"seeded {added:,} open registrations in {time.perf_counter() - started:.1f} s")
        rng = random.Random(7)
        probes = []
        for i in range(300):
            n = rng.randrange(demo.LARGE_DEALS)
            kind = i % 4
            if kind == 0:
                probes.append(matching.keys_of("Someone Else", f"sales@customer{n:06d}.example.com"))
            elif kind == 1:
                probes.append(matching.keys_of(f"THE {rng.choice(demo.WORDS)} {rng.choice(demo.TRADES)} {n:06d} Inc."))
            elif kind == 2:
                probes.append(matching.keys_of(f"{rng.choice(demo.WORDS)} {rng.choice(demo.TRADES)} {n:06d}x"))
            else:
                probes.append(matching.keys_of(f"Unrelated Holdings {i}", f"unrelated{i}.example.org"))
        find_conflicts(probes[0], matching.DEFAULT_THRESHOLD)  # warm-up: loads the 繁→简 tables and the suffix list
        times, hits = [], 0
        for keys in probes:
            t0 = time.perf_counter()
            hits += bool(find_conflicts(keys, matching.DEFAULT_THRESHOLD))
            times.append((time.perf_counter() - t0) * 1000)
        times.sort()
        p50, p95 = statistics.median(times), times[int(len(times) * 0.95) - 1]
        plan = db.session.connection().exec_driver_sql(
            "EXPLAIN QUERY PLAN SELECT id FROM deals WHERE name_head = 'abcd' OR name_tail = 'abcd'").all()
        print("plan:", "; ".join(row[-1] for row in plan))
        print(f"conflict check, {len(times)} checks ({hits} found a conflict): p50 {p50:.2f} ms, p95 {p95:.2f} ms "
              f"(target ≤ {TARGET_MS:.0f} ms)")
        return 0 if p95 <= TARGET_MS else 1


if __name__ == "__main__":
    sys.exit(main())
