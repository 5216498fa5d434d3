"""Assignment decision latency with 200 online agents (issue 6).

Two measurements:

1. **decision** (pure, no database): `rules.route_for` over 20 routing rules, then
   `assignment.decide` over all 200 online agents as candidates (the worst case: one team
   holding everyone), each agent with 2-4 skills, a load and a capacity per kind of work;
   round robin and least loaded alternate, a third of the requests carry a continuity
   person. Target: p95 under 2 ms.
2. **round trip** (PostgreSQL): `auto_assign.route_conversation` for a conversation that
   just arrived, in a team of 25 of the 200 online agents (8 teams, each agent in one or
   two), with 20 rules, skills and working hours: the locks, the loads, the decision, the
   assignment with its timeline row and realtime/webhook hooks. Each sample creates a
   conversation (untimed), routes it (timed) and resolves an old one (untimed), so agents
   keep having room.

    .venv/bin/python bench/assign_bench.py [--samples 2000] [--db-samples 500]

The round trip needs a local PostgreSQL the current user may create databases on
(`BENCH_POSTGRES_URL`, default postgres://postgres@127.0.0.1:5432); it (re)creates
`layani_bench_assign`. `--no-db` measures the decision only.
"""

import argparse
import os
import random
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

BASE = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432")
DB = "layani_bench_assign"
AGENTS = 200
TEAMS = 8
RULES = 20
PURPOSES = ["routine", "complaint", "special_request", "prospect"]
CHANNELS = ["whatsapp", "email", "phone", "webchat", "telegram", "instagram"]
SERVICES = [f"svc{i}" for i in range(12)]


def percentiles(samples_ms: list[float]) -> dict[str, float]:
    ordered = sorted(samples_ms)
    q = statistics.quantiles(ordered, n=100, method="inclusive")
    return {"p50": q[49], "p95": q[94], "p99": q[98], "mean": statistics.fmean(ordered)}


def show(name: str, stats: dict[str, float], extra: str = "") -> None:
    print(
        f"| {name} | {stats['p50']:.3f} ms | {stats['p95']:.3f} ms | {stats['p99']:.3f} ms "
        f"| {stats['mean']:.3f} ms |{extra}"
    )


# --- 1. The pure decision ---------------------------------------------------------------------


def pure_decision(samples: int, rng: random.Random) -> None:
    from layani.routing.assignment import (
        LEAST_LOADED,
        ONLINE,
        ROUND_ROBIN,
        Agent,
        ContinuityTarget,
        Request,
        SkillRequirement,
        TeamSettings,
        decide,
    )
    from layani.routing.rules import RoutingFacts, Rule, keyword_terms, route_for, text_terms

    now = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)
    agents = []
    for n in range(AGENTS):
        skills = {("purpose", rng.choice(PURPOSES)): rng.randint(1, 5) for _ in range(2)}
        skills[("service", rng.choice(SERVICES))] = rng.randint(1, 5)
        skills[("language", "id")] = 5
        agents.append(
            Agent(
                staff_id=n + 1,
                name=f"Agen {n}",
                status=ONLINE,
                within_hours=rng.random() > 0.05,
                skills=skills,
                load={
                    "chat": rng.randint(0, 3),
                    "email": rng.randint(0, 10),
                    "phone": rng.randint(0, 1),
                },
                capacity={"chat": 3, "email": 10, "phone": 1},
                last_assigned_at=now - timedelta(minutes=rng.randint(0, 600)),
            )
        )
    rules = [
        Rule(
            rule_id=i,
            name=f"rule {i}",
            team_id=i % TEAMS + 1,
            channels=frozenset([rng.choice(CHANNELS)]) if i % 3 else frozenset(),
            purposes=frozenset([rng.choice(PURPOSES)]),
            keywords=(keyword_terms(rng.choice(["kartu hilang", "tdk bisa login", "refund"])),)
            if i % 4 == 0
            else (),
            required_skills=(SkillRequirement("purpose", rng.choice(PURPOSES), 2),),
        )
        for i in range(RULES - 1)
    ] + [Rule(rule_id=RULES, name="default", team_id=1)]
    texts = [
        "Kartu saya hilang tolong blokir",
        "sy tdk bisa login",
        "mau tanya promo",
        "refund dong",
    ]
    facts = [
        RoutingFacts(
            channel=rng.choice(CHANNELS),
            purpose=rng.choice(PURPOSES),
            segment=rng.choice(["loyal", "new", "prospect", "customer"]),
            terms=text_terms(rng.choice(texts)),
        )
        for _ in range(500)
    ]
    timings: list[float] = []
    cpu: list[float] = []
    outcomes: dict[str, int] = {}
    pointer = None
    for i in range(samples + 200):
        fact = facts[i % len(facts)]
        continuity = (
            ContinuityTarget(staff_id=rng.randint(1, AGENTS), source="recent")
            if i % 3 == 0
            else None
        )
        settings = TeamSettings(mode=ROUND_ROBIN if i % 2 else LEAST_LOADED, pointer=pointer)
        started = time.perf_counter()
        started_cpu = time.thread_time()
        route = route_for(rules, fact)
        decision = decide(
            Request(
                conversation_id=i,
                channel=fact.channel,
                required_skills=route.required_skills,
                continuity=continuity,
            ),
            agents,
            settings,
            now,
        )
        elapsed = (time.perf_counter() - started) * 1000
        elapsed_cpu = (time.thread_time() - started_cpu) * 1000
        pointer = decision.next_pointer
        if i >= 200:  # warm-up
            timings.append(elapsed)
            cpu.append(elapsed_cpu)
            outcomes[decision.outcome] = outcomes.get(decision.outcome, 0) + 1
    print("\n| measurement | p50 | p95 | p99 | mean | notes")
    print("|---|---:|---:|---:|---:|---|")
    show(
        f"decision: 20 rules + decide over {AGENTS} online agents (wall clock)",
        percentiles(timings),
        f" {samples} samples; outcomes {outcomes}",
    )
    show(
        "decision: the same, CPU time of the thread (without waits for the CPU)",
        percentiles(cpu),
        "",
    )


# --- 2. The round trip on PostgreSQL ----------------------------------------------------------


def recreate_database() -> None:
    import psycopg

    with psycopg.connect(f"{BASE}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {DB}")


def round_trip(samples: int, rng: random.Random) -> None:
    from datetime import time as clock

    from django.contrib.auth.models import User
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from layani.conversations.actions import assign, change_status, receive_inbound_message
    from layani.conversations.models import ACTIVE_STATUSES, Conversation
    from layani.customers.actions import CustomerDetails, create_customer
    from layani.routing.auto_assign import route_conversation
    from layani.routing.models import AgentPresence, RoutingRule, TeamAssignment, WorkingHours
    from layani.staff.models import Role, Staff, StaffSkill, Team

    teams = [Team.objects.create(name=f"Tim {t}") for t in range(TEAMS)]
    for t, team in enumerate(teams):
        TeamAssignment.objects.create(team=team, mode="round_robin" if t % 2 else "least_loaded")
    for n in range(AGENTS):
        user = User.objects.create_user(username=f"agen{n}", password="x")
        staff = Staff.objects.create(
            user=user,
            role=Role.AGENT,
            display_name=f"Agen {n}",
            capacity={"chat": 6, "email": 20, "phone": 2},
        )
        staff.teams.add(teams[n % TEAMS])
        if n % 3 == 0:
            staff.teams.add(teams[(n + 1) % TEAMS])
        for purpose in rng.sample(PURPOSES, 2):
            StaffSkill.objects.create(
                staff=staff, kind="purpose", value=purpose, level=rng.randint(2, 5)
            )
        StaffSkill.objects.create(staff=staff, kind="language", value="id", level=5)
        AgentPresence.objects.create(staff=staff, status="online")
        WorkingHours.objects.bulk_create(
            [
                WorkingHours(staff=staff, weekday=d, starts=clock(0), ends=clock(23, 59))
                for d in range(7)
            ]
        )
    for i in range(RULES - 1):
        RoutingRule.objects.create(
            name=f"Aturan {i}",
            position=i,
            team=teams[i % TEAMS],
            channels=[rng.choice(CHANNELS)] if i % 3 else [],
            purposes=[PURPOSES[i % len(PURPOSES)]],
            keywords=["kartu hilang"] if i % 4 == 0 else [],
            required_skills=[
                {"kind": "purpose", "value": PURPOSES[i % len(PURPOSES)], "min_level": 2}
            ],
        )
    RoutingRule.objects.create(name="Bawaan", position=1000, team=teams[0])
    customers = [
        create_customer(
            CustomerDetails.from_values({"full_name": f"Pelanggan {n}", "phone": f"0812{n:08d}"}),
            actor=None,
        )
        for n in range(400)
    ]
    texts = [
        "Kartu saya hilang tolong blokir",
        "sy tdk bisa login",
        "mau tanya promo",
        "refund dong",
    ]

    def arrive() -> Conversation:
        conversation = receive_inbound_message(
            customer=rng.choice(customers),
            channel=rng.choice(CHANNELS),
            purpose=rng.choice(PURPOSES),
            body_text=rng.choice(texts),
            actor=None,
        ).conversation
        if conversation.assignee_id is not None:  # appended to an assigned one: start fresh
            change_status(conversation, status="closed", actor=None)
            return arrive()
        return conversation

    timings: list[float] = []
    queries: list[int] = []
    outcomes: dict[str, int] = {}
    open_ones: list[Conversation] = []
    for i in range(samples + 50):
        conversation = arrive()
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            result = route_conversation(conversation)
            elapsed = (time.perf_counter() - started) * 1000
        if i >= 50:
            timings.append(elapsed)
            queries.append(len(captured))
            outcomes[result.outcome] = outcomes.get(result.outcome, 0) + 1
        if result.outcome == "assigned":
            open_ones.append(conversation)
        elif conversation.team_id is None:
            assign(conversation, team=teams[0], actor=None)
        if len(open_ones) > 300:
            oldest = Conversation.objects.get(pk=open_ones.pop(0).pk)
            if oldest.status in ACTIVE_STATUSES:
                change_status(oldest, status="resolved", actor=None)
    baseline: list[float] = []
    with connection.cursor() as cursor:
        for _ in range(300):
            started = time.perf_counter()
            cursor.execute("SELECT 1")
            cursor.fetchone()
            baseline.append((time.perf_counter() - started) * 1000)
    show("baseline: one `SELECT 1` round trip", percentiles(baseline), " 300 samples")
    from django.db import transaction

    write: list[float] = []
    some = Conversation.objects.order_by("id").values_list("pk", flat=True).first()
    for _ in range(300):
        started = time.perf_counter()
        with transaction.atomic():
            Conversation.objects.select_for_update().filter(pk=some).values_list("pk").first()
            Conversation.objects.filter(pk=some).update(subject="bench")
        write.append((time.perf_counter() - started) * 1000)
    show(
        "baseline: a transaction locking and updating one conversation (ORM)",
        percentiles(write),
        " 300 samples",
    )
    show(
        "round trip: route_conversation on PostgreSQL (25-agent teams of 200 online)",
        percentiles(timings),
        f" {samples} samples; queries per call median {statistics.median(queries):.0f}, "
        f"max {max(queries)}; outcomes {outcomes}",
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--samples", type=int, default=5000)
    parser.add_argument("--db-samples", type=int, default=500)
    parser.add_argument("--no-db", action="store_true")
    parser.add_argument("--seed", type=int, default=6)
    args = parser.parse_args()
    if not args.no_db and os.environ.get("LAYANI_BENCH_CHILD") != "1":
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
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "layani.config.settings")
    os.environ.setdefault("SECRET_KEY", "bench-only-secret")
    django.setup()
    from django.conf import settings

    print(f"database: {settings.DATABASES['default']['ENGINE']}, DEBUG={settings.DEBUG}")
    pure_decision(args.samples, random.Random(args.seed))
    if not args.no_db:
        round_trip(args.db_samples, random.Random(args.seed))


if __name__ == "__main__":
    main()
