"""The inbox at scale (issue 4): first and later pages of every view, on PostgreSQL.

For each scale (number of conversations) this (re)creates `layani_bench_inbox_<scale>` with
`volume_data.prepare` (migrate; `layani seed` with scale / 5 customers, 5 messages per
conversation on average, tags, read markers, search rows; VACUUM ANALYZE), then measures in
a fresh process, after a warm-up, `layani.conversations.queries.inbox(...)` (the function
behind the inbox page and GET /api/v1/conversations/), 50 rows a page:

- first page of the views mine / unassigned / teams / all, for the contact-centre agents
  (each sample one of them) and for the admin, without and with a filter (channel, status,
  tag; each sample one of several values);
- where the smallest scale's first pages are short (an agent's own conversations of one
  channel: 2-3 rows of 50 at 10,000), the same case at the larger scales again with each
  page limited to the rows it held at the smallest ("same rows"): the same output at both
  scales, so that ratio shows what the data's size costs; the plain ratio of such a case
  compares 50 rows with 2;
- a later page: the cursor followed DEPTH pages deep (default 8) before timing the next;
- the same through Django's test Client (inbox rows fragment, the full inbox page, the
  API), reported separately: that adds the middleware, rendering and serialising;
- the queries per call, which must not change with the data.

    .venv/bin/python bench/inbox_bench.py --scales 10000,1000000
    .venv/bin/python bench/inbox_bench.py --scales 10000,1000000 --reuse --rounds 3
    .venv/bin/python bench/inbox_bench.py --scales 1000000 --explain "admin · all · tag"

Measuring goes in rounds (`--rounds`), every scale in turn, and each statistic reported is
the median over the rounds. Results go to bench/out/inbox-<scale>.json; a Markdown table
with p50 / p95 / p99 (ms) per case and the ratio between the largest and smallest scale is
printed at the end.
"""

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).absolute().parent))

from timing import latency_stats
from volume_data import OUT, REPO, child_env, database_exists, prepare

PAGE = 50
DEPTH = 8
MIN_SAMPLES = 100
AGENT, ADMIN = "agents", "admin"

CHANNELS = ["whatsapp", "email", "phone", "webchat", "instagram"]
TAGS = ["refund", "mobile-banking", "vip", "kartu-atm", "eskalasi"]
FILTERS: dict[str, list[dict[str, str]]] = {
    "": [{}],
    "channel": [{"channel": c} for c in CHANNELS],
    "pending": [{"status": "pending"}],
    "closed": [{"status": "closed"}],
    "tag": [{"tag": t} for t in TAGS],
    "closed · tag": [{"status": "closed", "tag": t} for t in TAGS],
}
# (who, view, filter); a case's name is "who · view[ · filter]".
CASES = [
    (AGENT, "mine", ""),
    (AGENT, "mine", "channel"),
    (AGENT, "mine", "closed"),
    (AGENT, "unassigned", ""),
    (AGENT, "unassigned", "channel"),
    (AGENT, "teams", ""),
    (AGENT, "teams", "pending"),
    (AGENT, "teams", "tag"),
    (AGENT, "all", ""),
    (ADMIN, "mine", ""),
    (ADMIN, "unassigned", ""),
    (ADMIN, "teams", ""),
    (ADMIN, "all", ""),
    (ADMIN, "all", "channel"),
    (ADMIN, "all", "pending"),
    (ADMIN, "all", "tag"),
    (ADMIN, "all", "closed"),
    (ADMIN, "all", "closed · tag"),
]
LATER = [
    (AGENT, "mine", "closed"),
    (AGENT, "teams", ""),
    (AGENT, "all", ""),
    (ADMIN, "all", ""),
    (ADMIN, "all", "channel"),
    (ADMIN, "all", "closed"),
    (ADMIN, "all", "closed · tag"),
]
# Through the test client: (name, who, URL path, query).
HTTP = [
    ("rows fragment · agent · mine", AGENT, "/inbox/rows/", {"view": "mine"}),
    ("inbox page · agent · mine", AGENT, "/inbox/", {"view": "mine"}),
    ("inbox page · admin · all", ADMIN, "/inbox/", {"view": "all"}),
    ("API · admin · all", ADMIN, "/api/v1/conversations/", {"view": "all"}),
]


def case_name(who: str, view: str, filter_name: str) -> str:
    who_label = "agent" if who == AGENT else "admin"
    return " · ".join(p for p in (who_label, view, filter_name) if p)


# --- orchestration (parent process) ----------------------------------------------------------


def run_child(scale: int, *args: str) -> dict[str, Any]:
    command = [sys.executable, str(Path(__file__).absolute()), "--scales", str(scale), *args]
    done = subprocess.run(
        command, cwd=REPO, env=child_env(scale), check=True, stdout=subprocess.PIPE, text=True
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


# --- measuring (child process, Django configured for one database) ---------------------------


def _setup_django() -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "layani.config.settings")
    django.setup()


def _people() -> dict[str, list[Any]]:
    """The contact-centre agents (the demo `agent` among them) and the admin."""
    from django.contrib.auth.models import User

    from layani.demo import catalogue
    from layani.staff.models import Role

    agents = list(
        User.objects.filter(
            staff__role=Role.AGENT, staff__teams__name=catalogue.CONTACT_CENTRE_TEAM
        ).order_by("pk")
    )
    return {AGENT: agents, ADMIN: [User.objects.get(username="admin")]}


def _variants(people: dict[str, list[Any]], who: str, filter_name: str) -> list[Any]:
    from layani.conversations.queries import InboxFilters

    return [
        (user, InboxFilters(**values)) for user in people[who] for values in FILTERS[filter_name]
    ]


def measure(
    samples: int,
    warmup: int,
    depth: int,
    http: bool,
    budget: float = 0.0,
    smaller: dict[str, list[int]] | None = None,
) -> dict[str, Any]:
    """Time every case; with a `budget` (seconds), a case stops early once it has taken
    that long and has MIN_SAMPLES samples (only slow cases do: `n` tells).

    `smaller`: the rows each variant's first page held at the smallest scale, per case.
    A case whose pages were short there is timed a second time here, each variant's page
    limited to the rows it held there (`same_rows`): the same output at both scales, so
    their ratio is what the data's size costs, not what 50 rows cost against 2."""
    _setup_django()
    from django.conf import settings
    from django.core.signals import request_started
    from django.db import connection, reset_queries
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from layani.conversations.models import Conversation, Message
    from layani.conversations.queries import inbox

    settings.DEBUG = False
    # Each request empties the query log; keep it while counting the queries of a page.
    request_started.disconnect(reset_queries)
    rng = random.Random(4)
    people = _people()
    needed = samples + warmup
    load_before = os.getloadavg()[0]

    def over_budget(started: float, taken: int) -> bool:
        return bool(budget) and taken >= MIN_SAMPLES and time.perf_counter() - started > budget

    def timed(call: Any, inputs: list[Any]) -> list[float]:
        for value in inputs[:warmup]:
            call(value)
        times: list[float] = []
        started = time.perf_counter()
        for value in inputs[warmup:]:
            began = time.perf_counter()
            call(value)
            times.append(time.perf_counter() - began)
            if over_budget(started, len(times)):
                break
        return times

    def inputs_from(variants: list[Any]) -> list[Any]:
        return [variants[i % len(variants)] for i in rng.sample(range(needed), needed)]

    def first_page(variant: Any, view: str) -> Any:
        user, filters = variant
        return inbox(user, view=view, filters=filters, limit=PAGE)

    results: dict[str, Any] = {}
    for who, view, filter_name in CASES:
        variants = _variants(people, who, filter_name)
        rows = [len(first_page(v, view).items) for v in variants]
        fullest = variants[rows.index(max(rows))]  # count queries where rows come back
        with CaptureQueriesContext(connection) as queries:
            page = first_page(fullest, view)
        times = timed(lambda v, view=view: first_page(v, view), inputs_from(variants))
        name = case_name(who, view, filter_name)
        results[name] = {
            **latency_stats(times),
            "queries": len(queries.captured_queries),
            "rows": round(statistics.fmean(rows), 1),
            "rows_by_variant": rows,
            "full_pages": page.next_cursor is not None,
        }
        there = (smaller or {}).get(name)
        if there and len(there) == len(variants) and statistics.fmean(there) < PAGE:
            limited = [(v, max(1, r)) for v, r in zip(variants, there, strict=True)]

            def same_rows(pair: Any, view: str = view) -> Any:
                (user, filters), limit = pair
                return inbox(user, view=view, filters=filters, limit=limit)

            results[name]["same_rows"] = latency_stats(timed(same_rows, inputs_from(limited)))
    later: dict[str, Any] = {}
    for who, view, filter_name in LATER:
        deep = []
        for user, filters in _variants(people, who, filter_name):
            cursor, reached = None, 0
            page = inbox(user, view=view, filters=filters, limit=PAGE)
            while page.next_cursor and reached < depth:
                cursor, reached = page.next_cursor, reached + 1
                page = inbox(user, view=view, filters=filters, cursor=cursor, limit=PAGE)
            deep.append((user, filters, cursor, reached))

        def next_page(variant: Any, view: str = view) -> Any:
            user, filters, cursor, _reached = variant
            return inbox(user, view=view, filters=filters, cursor=cursor, limit=PAGE)

        next_page(deep[0])
        with CaptureQueriesContext(connection) as queries:
            next_page(deep[0])
        count = len(queries.captured_queries)
        # The first page of the same variants, timed in turn with the later page, so both
        # see the same load: their ratio is the later-page target's.
        first_times: list[float] = []
        later_times: list[float] = []
        started = time.perf_counter()
        for index, variant in enumerate(inputs_from(deep)):
            user, filters, _cursor, _reached = variant
            began = time.perf_counter()
            inbox(user, view=view, filters=filters, limit=PAGE)
            middle = time.perf_counter()
            next_page(variant)
            ended = time.perf_counter()
            if index >= warmup:
                first_times.append(middle - began)
                later_times.append(ended - middle)
            else:
                started = time.perf_counter()
            if over_budget(started, len(later_times)):
                break
        later[case_name(who, view, filter_name)] = {
            **latency_stats(later_times),
            "queries": count,
            "depth": statistics.median(d[3] for d in deep),
            "first": latency_stats(first_times),
        }
    pages: dict[str, Any] = {}
    if http:
        for name, who, path, query in HTTP:
            clients = []
            for user in people[who]:
                client = Client()
                client.force_login(user)
                clients.append(client)

            def get(client: Any, path: str = path, query: dict[str, str] = query) -> Any:
                response = client.get(path, query)
                assert response.status_code == 200, (path, response.status_code)
                return response

            try:
                get(clients[0])
                with CaptureQueriesContext(connection) as queries:
                    get(clients[0])
                count = len(queries.captured_queries)  # read now: later requests clear the log
                pages[name] = {**latency_stats(timed(get, inputs_from(clients))), "queries": count}
            except AssertionError as exc:  # a page under construction: report, go on
                pages[name] = {"error": str(exc)}
    return {
        "commit": _commit(),
        "load_average": [round(load_before, 2), round(os.getloadavg()[0], 2)],
        "conversations": Conversation.objects.count(),
        "active": Conversation.objects.filter(status__in=["new", "open", "pending"]).count(),
        "messages": Message.objects.count(),
        "first": results,
        "later": later,
        "http": pages,
    }


def _commit() -> str:
    """The code measured: HEAD, and "+changes" when the working tree differs in layani/
    (other work in the same tree lands between rounds)."""

    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], cwd=REPO, stdout=subprocess.PIPE, text=True)
        return done.stdout.strip()

    head = git("rev-parse", "--short", "HEAD")
    return head + ("+changes" if git("status", "--porcelain", "--", "layani") else "")


def explain(name: str) -> dict[str, Any]:
    """EXPLAIN (ANALYZE, BUFFERS) of the queries one call of the case makes."""
    _setup_django()
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from layani.conversations.queries import inbox

    people = _people()
    for who, view, filter_name in CASES:
        if case_name(who, view, filter_name) == name:
            user, filters = _variants(people, who, filter_name)[0]
            break
    else:
        raise SystemExit(f"No case named {name!r}: {[case_name(*c) for c in CASES]}")
    inbox(user, view=view, filters=filters, limit=PAGE)  # warm
    with CaptureQueriesContext(connection) as queries:
        inbox(user, view=view, filters=filters, limit=PAGE)
    plans = []
    with connection.cursor() as cursor:
        for query in queries.captured_queries:
            cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {query['sql']}")
            plan = "\n".join(row[0] for row in cursor.fetchall())
            plans.append({"sql": query["sql"], "plan": plan})
    return {"case": name, "plans": plans}


# --- report ----------------------------------------------------------------------------------


def median_of(rounds: list[dict[str, Any]]) -> dict[str, Any]:
    merged: dict[str, Any] = {
        key: rounds[0][key] for key in ("conversations", "active", "messages")
    }
    merged["load_average"] = [r["load_average"] for r in rounds]
    merged["commits"] = [r.get("commit", "") for r in rounds]
    for part in ("first", "later", "http"):
        merged[part] = {}
        for name, first in rounds[0][part].items():
            if "error" in first:
                merged[part][name] = first
                continue
            merged[part][name] = {
                stat: round(statistics.median(r[part][name][stat] for r in rounds), 3)
                for stat in ("n", "p50", "p95", "p99", "mean", "max")
            }
            last = rounds[-1][part][name]  # the code may change between rounds: the latest
            for key in ("queries", "rows", "rows_by_variant", "depth", "full_pages"):
                if key in last:
                    merged[part][name][key] = last[key]
            counts = sorted({r[part][name].get("queries") for r in rounds} - {None})
            if len(counts) > 1:
                merged[part][name]["queries_by_round"] = [
                    r[part][name].get("queries") for r in rounds
                ]
            for paired in ("first", "same_rows"):  # a later page's first page; same rows
                if all(paired in r[part][name] for r in rounds):
                    merged[part][name][paired] = {
                        stat: round(
                            statistics.median(r[part][name][paired][stat] for r in rounds), 3
                        )
                        for stat in ("n", "p50", "p95", "p99", "mean", "max")
                    }
    return merged


def table(results: dict[int, dict[str, Any]], part: str) -> str:
    scales = sorted(results)
    header = " | ".join(f"{s:,} p50 / p95 / p99" for s in scales)
    extra = "depth" if part == "later" else "rows" if part == "first" else ""
    lines = [
        f"| case | queries | {extra + ' | ' if extra else ''}{header} | p95 ratio |",
        "|---|---:|" + ("---:|" if extra else "") + "---|" * len(scales) + "---:|",
    ]
    for name in results[scales[0]][part]:
        cells, p95s, queries, extras = [], [], [], []
        for scale in scales:
            r = results[scale][part].get(name, {"error": "missing"})
            if "error" in r:
                cells.append(r["error"][:40])
                continue
            cell = f"{r['p50']:.2f} / {r['p95']:.2f} / {r['p99']:.2f}"
            if "first" in r:  # later page: against the first page timed in turn with it
                cell += f" (first {r['first']['p95']:.2f}, {r['p95'] / r['first']['p95']:.2f}x)"
            cells.append(cell)
            p95s.append(r["p95"])
            queries.append(str(r.get("queries", "")))
            if extra:
                extras.append(str(r.get(extra, "")))
        ratio = f"{p95s[-1] / p95s[0]:.2f}x" if len(p95s) == len(scales) > 1 else ""
        same = results[scales[-1]][part].get(name, {}).get("same_rows")
        if ratio and same:  # the larger scale's pages limited to the smaller's rows
            cells[-1] += f" (same rows: {same['p50']:.2f} / {same['p95']:.2f} / {same['p99']:.2f})"
            ratio += f" (same rows {same['p95'] / p95s[0]:.2f}x)"
        extra_cell = f"{' / '.join(extras)} | " if extra else ""
        lines.append(
            f"| {name} | {' / '.join(dict.fromkeys(queries))} | {extra_cell}"
            f"{' | '.join(cells)} | {ratio} |"
        )
    return "\n".join(lines)


def report(results: dict[int, dict[str, Any]]) -> str:
    scales = sorted(results)
    facts = ", ".join(
        f"{s:,}: {results[s]['active']:,} active, {results[s]['messages']:,} messages, "
        f"load {results[s]['load_average']}"
        for s in scales
    )
    parts = [
        f"Data: {facts}",
        "",
        "First page (50 rows), `inbox(...)`; where the smallest scale's pages are short, the"
        " largest scale's again with each page limited to the rows it held at the smallest"
        " (same rows):",
        "",
        table(results, "first"),
        "",
        "Later page (after following the cursor; depth = pages followed, per scale; in"
        " brackets the p95 of the first page timed in turn with it, and later / first):",
        "",
        table(results, "later"),
    ]
    if any(results[s]["http"] for s in scales):
        parts += ["", "Through Django's test Client:", "", table(results, "http")]
    return "\n".join(parts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scales", default="10000,1000000")
    parser.add_argument("--samples", type=int, default=400)
    parser.add_argument("--warmup", type=int, default=40)
    parser.add_argument("--depth", type=int, default=DEPTH)
    parser.add_argument(
        "--case-seconds",
        type=float,
        default=90.0,
        help="Stop timing a case after this long once it has 100 samples (0: never).",
    )
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--no-http", action="store_true", help="Skip the test-client cases.")
    parser.add_argument(
        "--reuse", action="store_true", help="Measure the existing databases, do not re-seed."
    )
    parser.add_argument("--explain", metavar="CASE", help="Print the query plans of one case.")
    parser.add_argument(
        "--report",
        action="store_true",
        help="Print the tables again from the rounds kept in bench/out/, measure nothing.",
    )
    parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--smaller", help=argparse.SUPPRESS)
    args = parser.parse_args()
    scales = [int(s.replace("_", "")) for s in args.scales.split(",") if s.strip()]
    if args.measure:
        smaller = json.loads(Path(args.smaller).read_text()) if args.smaller else None
        found = measure(
            args.samples, args.warmup, args.depth, not args.no_http, args.case_seconds, smaller
        )
        print(json.dumps(found))
        return
    if args.explain and os.environ.get("LAYANI_BENCH_CHILD"):
        print(json.dumps(explain(args.explain)))
        return
    if args.explain:
        for scale in scales:
            env = {**child_env(scale), "LAYANI_BENCH_CHILD": "1"}
            command = [sys.executable, str(Path(__file__).absolute()), *sys.argv[1:]]
            done = subprocess.run(command, cwd=REPO, env=env, check=True, stdout=subprocess.PIPE)
            found = json.loads(done.stdout.decode().strip().splitlines()[-1])
            for plan in found["plans"]:
                print(f"-- {scale:,}: {plan['sql']}\n{plan['plan']}\n")
        return
    if args.report:
        kept = {}
        for scale in scales:
            paths = sorted(OUT.glob(f"inbox-{scale}-round*.json"))
            kept[scale] = median_of([json.loads(p.read_text()) for p in paths])
        print(report(kept))
        return
    OUT.mkdir(parents=True, exist_ok=True)
    prepared: dict[int, dict[str, Any]] = {}
    for scale in scales:
        path = OUT / f"inbox-{scale}.json"
        if args.reuse and database_exists(scale):
            previous = json.loads(path.read_text()) if path.exists() else {}
            prepared[scale] = previous.get("prepared", {})
        else:
            print(f"preparing {scale:,} ...", file=sys.stderr)
            prepared[scale] = prepare(scale)
            print(json.dumps(prepared[scale]), file=sys.stderr)
    rounds: dict[int, list[dict[str, Any]]] = {scale: [] for scale in scales}
    smaller_rows = OUT / "inbox-smaller-rows.json"
    for number in range(1, args.rounds + 1):
        for scale in sorted(scales):
            print(f"round {number}: measuring {scale:,} ...", file=sys.stderr)
            extra = ["--no-http"] if args.no_http else []
            if scale != min(scales):  # the smallest scale's rows, measured just before
                extra += ["--smaller", str(smaller_rows)]
            measured = run_child(
                scale,
                "--measure",
                "--samples",
                str(args.samples),
                "--warmup",
                str(args.warmup),
                "--depth",
                str(args.depth),
                "--case-seconds",
                str(args.case_seconds),
                *extra,
            )
            rounds[scale].append(measured)
            (OUT / f"inbox-{scale}-round{number}.json").write_text(json.dumps(measured, indent=2))
            if scale == min(scales):
                rows = {name: r["rows_by_variant"] for name, r in measured["first"].items()}
                smaller_rows.write_text(json.dumps(rows))
    results = {}
    for scale in scales:
        result = {**median_of(rounds[scale]), "prepared": prepared[scale], "rounds": rounds[scale]}
        (OUT / f"inbox-{scale}.json").write_text(json.dumps(result, indent=2))
        results[scale] = result
    print(report(results))


if __name__ == "__main__":
    main()
