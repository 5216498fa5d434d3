"""Call-next latency with a busy branch queue, on PostgreSQL (issue 3).

1,000 visitors wait across 30 services; 20 counters are open, each clerk skilled for every
service. Each sample is one `call_next` (timed) followed by an untimed finish and a new
walk-in, so the queue stays at 1,000. Prints p50/p95/p99 in milliseconds.

    .venv/bin/python bench/queue_bench.py [--samples 1000]

Needs a local PostgreSQL the current user may create databases on (`BENCH_POSTGRES_URL`,
default postgres://postgres@127.0.0.1:5432); it (re)creates `layani_bench_queue`.
"""

import argparse
import os
import statistics
import subprocess
import sys
import time

BASE = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432")
DB = "layani_bench_queue"


def recreate_database() -> None:
    import psycopg

    with psycopg.connect(f"{BASE}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {DB}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--samples", type=int, default=1000)
    parser.add_argument("--waiting", type=int, default=1000)
    parser.add_argument("--services", type=int, default=30)
    parser.add_argument("--counters", type=int, default=20)
    args = parser.parse_args()
    if os.environ.get("LAYANI_BENCH_CHILD") != "1":
        recreate_database()
        env = {
            **os.environ,
            "DATABASE_URL": f"{BASE}/{DB}",
            "SECRET_KEY": "bench-only-secret",
            "ALLOWED_HOSTS": "localhost",
            "LAYANI_BENCH_CHILD": "1",
        }
        subprocess.run([sys.executable, "-m", "layani", "migrate", "-v0"], env=env, check=True)
        subprocess.run([sys.executable, *sys.argv], env=env, check=True)
        return
    run(args)


def run(args: argparse.Namespace) -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "layani.config.settings")
    django.setup()
    from django.contrib.auth.models import User
    from django.db import connection
    from django.utils import timezone

    from layani.branches import actions
    from layani.branches.models import Branch, Counter, Service, Visit
    from layani.core.choices import Purpose
    from layani.staff.models import Role, SkillKind, Staff, StaffSkill

    branch = Branch.objects.create(code="bench", name="Bench", timezone="Asia/Jakarta")
    purposes = list(Purpose.values)
    services = [
        Service.objects.create(
            purpose=purposes[i % 4],
            code=f"svc{i}",
            name_id=f"Layanan {i}",
            name_en=f"Service {i}",
            ticket_prefix=chr(ord("A") + i % 26) + ("" if i < 26 else "X"),
        )
        for i in range(args.services)
    ]
    branch.services.set(services)
    clerks = []
    for n in range(args.counters):
        user = User.objects.create_user(username=f"clerk{n}", password="x")
        staff = Staff.objects.create(user=user, role=Role.BRANCH_STAFF, display_name=f"C{n}")
        staff.branches.add(branch)
        StaffSkill.objects.bulk_create(
            StaffSkill(staff=staff, kind=SkillKind.SERVICE, value=s.code, level=1 + n % 5)
            for s in services
        )
        counter = Counter.objects.create(branch=branch, number=n + 1, name=f"Loket {n + 1}")
        actions.open_counter(counter, actor=user)
        clerks.append((user, counter))
    for i in range(args.waiting):
        actions.check_in_visit(
            branch=branch, service=services[i % len(services)], customer=None, actor=None
        )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    # Time spent after the commit (the display push and the background job's enqueue) is
    # measured apart: in a standalone process each push starts an event loop of its own,
    # which a server's request threads do not pay.
    from layani.branches.actions import calling

    after_commit = [0.0]
    after_call = calling._after_call

    def timed_after_call(visit: Visit) -> None:
        started = time.perf_counter()
        try:
            after_call(visit)
        finally:
            after_commit[0] += (time.perf_counter() - started) * 1000

    calling._after_call = timed_after_call
    timings = []
    decisions = []
    for i in range(args.samples):
        user, counter = clerks[i % len(clerks)]
        after_commit[0] = 0.0
        started = time.perf_counter()
        visit = actions.call_next(counter, actor=user)
        total = (time.perf_counter() - started) * 1000
        timings.append(total)
        decisions.append(total - after_commit[0])
        actions.finish_service(visit, outcome_note="", actor=user)
        actions.check_in_visit(
            branch=branch, service=services[i % len(services)], customer=None, actor=None
        )
    waiting = Visit.objects.filter(status="waiting").count()

    def summary(values: list[float]) -> str:
        values = sorted(values)

        def pct(p: float) -> float:
            return values[min(len(values) - 1, int(len(values) * p))]

        return (
            f"p50={pct(0.5):.2f} ms p95={pct(0.95):.2f} ms p99={pct(0.99):.2f} ms "
            f"mean={statistics.fmean(values):.2f} ms"
        )

    print(
        f"call_next with {waiting} waiting, {args.services} services, {args.counters} counters"
        f" on PostgreSQL {connection.pg_version // 10000}, n={len(timings)}, "
        f"load average {os.getloadavg()[0]:.2f}"
    )
    print(f"  decision, lock to commit: {summary(decisions)}")
    print(f"  with after-commit push and enqueue: {summary(timings)}")
    print(timezone.now().isoformat())


if __name__ == "__main__":
    main()
