"""The SLA sweep over 1,000,000 open conversations on PostgreSQL (issue 6).

Seeds (with COPY) `--conversations` open conversations (default 1,000,000), each with its
SLA row under one policy on an office-hours calendar (08:00-12:00, 13:00-17:00 WIB,
Indonesian holidays): at the measured instant (Monday 10 March 2025, 10:00 WIB), `--due`
of them (default 1,000) have something for the sweep to do, half a warning (first
response due in 15 business minutes) and half a breach (first response due at 09:30); the
others tick towards later instants (70%) or are paused or answered (30%, no next check).
60 agents in 6 teams and 3 branches, with a supervisor per branch, hold most of them.

Then it times `sla_sweep.run_sla_sweep(now=...)` in a fresh process: every due row claimed
(FOR UPDATE SKIP LOCKED on the conversations), re-read, evaluated on business hours,
warned or breached (timeline rows, realtime to the audience and the supervisors), saved.
Between runs (untimed) the handled rows are put back as they were and the timeline rows
removed, so each run does the same work. Two policies are measured:

- notify: warnings, breaches, supervisors notified (the default policy);
- escalate: the same, and each breach also hands the conversation to a team and raises
  its priority through the conversation actions (`assign`, `change_priority`).

    .venv/bin/python bench/sla_bench.py [--conversations 1000000] [--due 1000] [--runs 5]

Needs a local PostgreSQL the current user may create databases on (`BENCH_POSTGRES_URL`,
default postgres://postgres@127.0.0.1:5432); it (re)creates `layani_bench_sla_1m` (or
`layani_bench_sla_<n>` for another size). `--reuse` measures an existing database again.
Target: under 2 s per run.
"""

import argparse
import os
import random
import statistics
import subprocess
import sys
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

BASE = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432")
JAKARTA = ZoneInfo("Asia/Jakarta")
NOW = datetime(2025, 3, 10, 10, 0, tzinfo=JAKARTA)  # a Monday, no holiday
CHANNELS = ["whatsapp", "email", "webchat", "telegram", "instagram"]
PURPOSES = ["routine", "complaint", "special_request", "prospect"]
OFFICE = {
    d: [["08:00", "12:00"], ["13:00", "17:00"]]
    for d in ("monday", "tuesday", "wednesday", "thursday", "friday")
}


def database_name(conversations: int) -> str:
    return (
        "layani_bench_sla_1m" if conversations == 1_000_000 else f"layani_bench_sla_{conversations}"
    )


def recreate_database(name: str) -> None:
    import psycopg

    with psycopg.connect(f"{BASE}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {name}")


# --- Seeding --------------------------------------------------------------------------------


def seed(conversations: int, due: int, rng: random.Random) -> None:
    from django.contrib.auth.models import User
    from django.db import transaction

    from layani.branches.models import Branch
    from layani.conversations.models import Conversation
    from layani.demo.bulk_load import analyze, relaxed_checks, reserve_ids, write_rows
    from layani.routing.models import BusinessCalendar, ConversationSla, SlaPolicy
    from layani.staff.models import Role, Staff, Team

    started = time.monotonic()
    branches = [Branch.objects.create(code=f"b{i}", name=f"Cabang {i}") for i in range(3)]
    teams = [Team.objects.create(name=f"Tim {i}") for i in range(6)]
    for i, team in enumerate(teams):
        team.branches.set([branches[i % 3]])
    agents = []
    for i in range(60):
        user = User.objects.create_user(username=f"agen{i}")
        staff = Staff.objects.create(user=user, role=Role.AGENT, display_name=f"Agen {i}")
        staff.teams.set([teams[i % 6]])
        staff.branches.set([branches[i % 3]])
        agents.append(staff)
    for i, branch in enumerate(branches):
        user = User.objects.create_user(username=f"supervisor{i}")
        boss = Staff.objects.create(user=user, role=Role.SUPERVISOR, display_name=f"Spv {i}")
        boss.branches.set([branch])
    calendar = BusinessCalendar.objects.create(
        name="Kantor", weekly_hours=OFFICE, use_indonesian_holidays=True, is_default=True
    )
    policy = SlaPolicy.objects.create(
        name="Standar",
        first_response_minutes=60,
        next_response_minutes=120,
        resolution_minutes=8 * 60,
        warn_before_minutes=15,
        calendar=calendar,
        notify_supervisors=True,
    )

    minute = timedelta(minutes=1)
    # Business-time instants for a first response of 60 minutes, all on Monday morning.
    breach_created = NOW - 90 * minute  # 08:30: due 09:30, breached
    warn_created = NOW - 50 * minute  # 09:10: warn 09:55, due 10:10
    with transaction.atomic(), relaxed_checks():
        first = reserve_ids(Conversation, conversations)
        due_ids = set(rng.sample(range(first, first + conversations), due))

        def conversation_rows():
            for pk in range(first, first + conversations):
                agent = agents[pk % 60] if pk % 10 else None
                if pk in due_ids:
                    created = breach_created if pk % 2 else warn_created
                else:
                    created = NOW - timedelta(minutes=rng.randint(0, 9))
                status = "open" if pk % 10 < 7 else "pending"
                yield (
                    pk,
                    rng.choice(CHANNELS),
                    rng.choice(PURPOSES),
                    2,
                    "new" if pk in due_ids else status,
                    "",
                    created,
                    created,
                    created,
                    created if pk in due_ids or status == "open" else None,
                    created + 60 * minute,
                    agent.pk if agent else None,
                    teams[pk % 60 % 6].pk if agent else None,
                    branches[pk % 3].pk,
                )

        write_rows(
            Conversation,
            [
                "id",
                "channel",
                "purpose",
                "priority",
                "status",
                "subject",
                "created_at",
                "updated_at",
                "last_message_at",
                "waiting_since",
                "due_at",
                "assignee_id",
                "team_id",
                "branch_id",
            ],
            conversation_rows(),
        )
        print(f"conversations written in {time.monotonic() - started:.0f} s", flush=True)

        def sla_rows():
            for pk in range(first, first + conversations):
                if pk in due_ids:
                    created = breach_created if pk % 2 else warn_created
                    check = created + 60 * minute if pk % 2 else created + 45 * minute
                else:
                    created = NOW - timedelta(minutes=rng.randint(0, 9))
                    check = created + 45 * minute if pk % 10 < 7 else None
                yield (
                    pk,
                    policy.pk,
                    created,
                    "[]",
                    None,
                    None,
                    created + 60 * minute,
                    None,
                    created + 8 * 60 * minute,
                    None,
                    None,
                    None,
                    None,
                    None,
                    None,
                    0,
                    0,
                    check,
                    NOW - 10 * minute,
                )

        write_rows(
            ConversationSla,
            [
                "conversation_id",
                "policy_id",
                "first_contact_at",
                "pauses",
                "paused_since",
                "next_response_since",
                "first_response_due_at",
                "next_response_due_at",
                "resolution_due_at",
                "first_response_warned_at",
                "next_response_warned_at",
                "resolution_warned_at",
                "first_response_breached_at",
                "next_response_breached_at",
                "resolution_breached_at",
                "next_responses",
                "next_response_breaches",
                "next_check_at",
                "updated_at",
            ],
            sla_rows(),
        )
    analyze([Conversation, ConversationSla])
    print(f"seeded in {time.monotonic() - started:.0f} s", flush=True)


# --- Measuring ------------------------------------------------------------------------------


def snapshot():
    """What a run changes, to put back between runs."""
    from layani.conversations.models import Conversation
    from layani.routing.models import ConversationSla

    rows = list(ConversationSla.objects.filter(next_check_at__lte=NOW))
    ids = [r.pk for r in rows]
    conversations = list(
        Conversation.objects.filter(pk__in=ids).only("priority", "team_id", "assignee_id", "due_at")
    )
    return rows, conversations


def restore(rows, conversations, first_event_id: int) -> None:
    from django.db import transaction

    from layani.conversations.models import Conversation, TimelineEvent
    from layani.routing.models import ConversationSla
    from layani.routing.sla_sweep import SLA_ROW_FIELDS

    with transaction.atomic():
        ConversationSla.objects.bulk_update(rows, SLA_ROW_FIELDS, batch_size=500)
        Conversation.objects.bulk_update(
            conversations, ["priority", "team_id", "assignee_id", "due_at"], batch_size=500
        )
        TimelineEvent.objects.filter(pk__gte=first_event_id).delete()


def measure(runs: int, label: str) -> list[float]:
    from django.db import connection, reset_queries

    from layani.conversations.models import TimelineEvent
    from layani.routing.sla_sweep import run_sla_sweep

    rows, conversations = snapshot()
    timings = []
    for _ in range(runs):
        first_event = (
            TimelineEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        ) + 1
        reset_queries()
        started = time.perf_counter()
        result = run_sla_sweep(now=NOW)
        elapsed = time.perf_counter() - started
        queries = len(connection.queries)
        timings.append(elapsed)
        print(
            f"  {label}: {elapsed * 1000:.0f} ms, checked {result.checked}, "
            f"warnings {result.warnings}, breaches {result.breaches}, "
            f"escalations {result.escalations}, queries {queries}",
            flush=True,
        )
        restore(rows, conversations, first_event)
    return timings


def explain_claim() -> str:
    from django.db import connection, transaction

    from layani.conversations.models import Conversation
    from layani.routing.sla_sweep import SWEEP_BATCH

    qs = (
        Conversation.objects.select_for_update(skip_locked=True, of=("self",))
        .filter(sla__next_check_at__lte=NOW)
        .order_by("sla__next_check_at")
        .values_list("pk", flat=True)[:SWEEP_BATCH]
    )
    with transaction.atomic(), connection.cursor() as cursor:
        sql, params = qs.query.sql_with_params()
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", params)
        return "\n".join(row[0] for row in cursor.fetchall())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--conversations", type=int, default=1_000_000)
    parser.add_argument("--due", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seed", type=int, default=6)
    parser.add_argument("--reuse", action="store_true")
    args = parser.parse_args()
    name = database_name(args.conversations)
    env = {
        **os.environ,
        "DATABASE_URL": f"{BASE}/{name}",
        "SECRET_KEY": "bench-only-secret",
        "ALLOWED_HOSTS": "localhost",
    }
    env.pop("REDIS_URL", None)
    stage = os.environ.get("LAYANI_BENCH_STAGE")
    if stage is None:
        if not args.reuse:
            recreate_database(name)
            subprocess.run([sys.executable, "-m", "layani", "migrate", "-v0"], env=env, check=True)
            subprocess.run(
                [sys.executable, *sys.argv], env={**env, "LAYANI_BENCH_STAGE": "seed"}, check=True
            )
        subprocess.run(
            [sys.executable, *sys.argv], env={**env, "LAYANI_BENCH_STAGE": "measure"}, check=True
        )
        return
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "layani.config.settings")
    django.setup()
    if stage == "seed":
        seed(args.conversations, args.due, random.Random(args.seed))
        return
    from django.conf import settings
    from django.db import connection

    from layani.routing.models import ConversationSla, SlaPolicy
    from layani.staff.models import Team

    settings.DEBUG = True  # count queries
    # The data lives on Monday 10 March 2025, 10:00 WIB: the actions the escalations call
    # read the time from Django, so Django's clock says the same.
    from django.utils import timezone

    timezone.now = lambda: NOW  # type: ignore[assignment]
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM conversations_conversation")
        total = cursor.fetchone()[0]
    due = ConversationSla.objects.filter(next_check_at__lte=NOW).count()
    print(f"{total} conversations, {due} with something due at {NOW.isoformat()}")
    print(explain_claim())
    notify = measure(args.runs, "notify")
    policy = SlaPolicy.objects.get()
    policy.escalate_to_team = Team.objects.order_by("pk").first()
    policy.raise_priority = True
    policy.save()
    escalate = measure(args.runs, "escalate")
    policy.escalate_to_team = None
    policy.raise_priority = False
    policy.save()
    print("| policy | median | min | max |")
    print("|---|---|---|---|")
    for label, timings in (("notify", notify), ("escalate", escalate)):
        print(
            f"| {label} | {statistics.median(timings) * 1000:.0f} ms "
            f"| {min(timings) * 1000:.0f} ms | {max(timings) * 1000:.0f} ms |"
        )


if __name__ == "__main__":
    main()
