"""Indonesian full-text search at scale (issue 4): conversations and customers on PostgreSQL.

For each scale (number of conversations) this creates a fresh PostgreSQL database
`layani_bench_search_<scale>`, migrates it, fills it with `layani seed --customers <scale / 5,
at least 2,000> --conversations <scale>`, tops the messages up to 5 per conversation with
varied Indonesian text (the demo scripts, extra sentences with amounts, dates and places, and
a long tail of dictionary words drawn Zipf-like, so some words are common and most are rare),
then builds the search index with COPY (the index rows `layani reindex` would write, GIN index
created after the load), and measures after a warm-up:

1. `admin`: `search_conversations(q, scope=scope_of(admin))`, first page of 20;
2. `scoped`: the same for the demo supervisor (two branches and their staff);
3. `filtered`: admin with status "resolved" and purpose "complaint" combined with the text;
4. `next page`: admin, the second page (cursor) of the same queries;
5. `customers`: `search_customers(name, base=customers_for(admin), limit=5)`;
6. `api`: GET /api/v1/search through Django's test client as the admin (whole stack).

Queries are typical Indonesian searches (`QUERIES`: slang, affixes, common and rare words,
an unfinished last word), plus rare dictionary words and customer names.

    .venv/bin/python bench/search_bench.py --scales 10000,1000000

Each step runs in a child process (settings read DATABASE_URL once). Results go to
bench/out/search-<scale>.json and a Markdown table is printed at the end.
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

import volume_data
from search_data import TextMaker, fill, setup_django
from timing import latency_stats
from volume_data import OUT, REPO, customers_for, database_exists

PREFIX = "layani_bench_search"
SHAPES = ("admin", "scoped", "filtered", "next_page", "customers", "api")
# Timed again at the larger scales with each search's candidates limited to what it found
# at the smallest scale ("same candidates", `measure`).
SAME = ("admin", "scoped", "filtered", "customers")

QUERIES = [
    "pengembalian dana",
    "dana blm masuk",
    "kartu atm tertelan",
    "tdk bisa login",
    "transfer gagal",
    "saldo terpotong",
    "limit kartu kredit",
    "mutasi rekening",
    "ganti nomor hp",
    "komplain petugas",
    "biaya admin tidak sesuai",
    "buka rekening usaha",
    "bunga deposito",
    "aplikasi error",
    "antrean lama",
    "restrukturisasi kpr",
    "surat referensi visa",
    "rekening",
    "kartu",
    "kembal",
]

# --- orchestration (parent process) ----------------------------------------------------------


def child_env(scale: int) -> dict[str, str]:
    return volume_data.child_env(scale, PREFIX)


def run_layani(scale: int, *args: str) -> str:
    return volume_data.run_layani(scale, *args, prefix=PREFIX)


def run_child(scale: int, *args: str) -> dict[str, Any]:
    command = [sys.executable, str(Path(__file__).absolute()), "--scales", str(scale), *args]
    done = subprocess.run(
        command, cwd=REPO, env=child_env(scale), check=True, stdout=subprocess.PIPE, text=True
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def prepare(scale: int) -> dict[str, Any]:
    volume_data.recreate_database(volume_data.database_name(scale, PREFIX))
    run_layani(scale, "migrate", "--noinput", "-v", "0")
    began = time.monotonic()
    # This benchmark adds its own varied messages and builds the index itself, in bulk.
    run_layani(
        scale,
        "seed",
        "--customers",
        str(customers_for(scale)),
        "--conversations",
        str(scale),
        "--no-search-index",
    )
    seed_seconds = time.monotonic() - began
    filled = run_child(scale, "--fill")
    return {"seed_seconds": round(seed_seconds, 1), **filled}


# --- measuring (child process) ---------------------------------------------------------------


def measure(samples: int, warmup: int, smaller: dict[str, Any] | None) -> dict[str, Any]:
    """Time every shape. `smaller`: what the smallest scale's measuring returned as
    `candidates` (how many each search found, per shape and text) and `names` (the customer
    names searched). Given, the same names are searched here, and the shapes of SAME are
    timed again with each search's candidates limited to what it found there (`same`)."""
    setup_django()
    from django.conf import settings
    from django.contrib.auth.models import User
    from django.db import connection
    from django.test import Client

    from layani.conversations.models import Conversation
    from layani.conversations.queries import scope_of
    from layani.customers.models import Customer
    from layani.customers.queries import customers_for as customers_scope
    from layani.search import candidates as search_candidates
    from layani.search.facets import index_conditions
    from layani.search.filters import ConversationFilters
    from layani.search.queries import (
        _customer_query,
        parse_search_text,
        search_conversations,
        search_customers,
    )

    settings.DEBUG = False
    rng = random.Random(7)
    admin = User.objects.get(username="admin")
    supervisor = User.objects.get(username="supervisor")
    maker = TextMaker(random.Random(2024))
    needed = samples + warmup
    rare = [maker.tail[rng.randrange(2_000, len(maker.tail))] for _ in range(needed)]
    texts = [rng.choice(QUERIES) if rng.random() < 0.8 else rare[i] for i in range(needed)]
    names = [
        rng.choice(name.split())
        for name in Customer.objects.order_by("?").values_list("full_name", flat=True)[:needed]
    ]
    if smaller is not None:  # the names searched at the smallest scale, to compare alike
        names = smaller["names"]
    client = Client()
    client.force_login(admin)

    # The scope is read per call, as a request does (scope_of: one to three small queries).
    def admin_search(text: str) -> Any:
        return search_conversations(text, scope=scope_of(admin), limit=20)

    def scoped(text: str) -> Any:
        return search_conversations(text, scope=scope_of(supervisor), limit=20)

    complaints = ConversationFilters(status="resolved", purpose="complaint")

    def filtered(text: str) -> Any:
        return search_conversations(text, scope=scope_of(admin), filters=complaints, limit=20)

    cursors = {}
    for text in set(texts):
        cursors[text] = admin_search(text).next_cursor

    def next_page(text: str) -> Any:
        if cursors[text] is None:
            return admin_search(text)
        return search_conversations(text, scope=scope_of(admin), cursor=cursors[text], limit=20)

    def customers(name: str) -> Any:
        return search_customers(name, base=customers_scope(admin), limit=5)

    def api(text: str) -> Any:
        response = client.get("/api/v1/search", {"q": text})
        assert response.status_code == 200, response.content
        return response

    def timed(action: Any, inputs: list[str], warm: int = warmup) -> list[float]:
        for value in inputs[:warm]:
            action(value)
        times = []
        for value in inputs[warm:]:
            began = time.perf_counter()
            action(value)
            times.append(time.perf_counter() - began)
        return times

    # The candidates a search finds (the newest CANDIDATE_LIMIT matches, ranked for the
    # page): the statement of `search_conversations` / `search_customers` on its own.
    who = {"admin": (admin, None), "scoped": (supervisor, None), "filtered": (admin, complaints)}

    def candidates_found(shape: str, text: str) -> int:
        if shape == "customers":
            scope = search_candidates.scope_sql(customers_scope(admin), Customer, "customer_id")
            assert scope is not None
            sql, params = search_candidates.customer_candidates(_customer_query(text), *scope)
        else:
            user, filters = who[shape]
            conditions = index_conditions(scope_of(user), filters or ConversationFilters())
            query = parse_search_text(text)
            if not query.terms:
                return 0
            sql, params = search_candidates.conversation_candidates(query, conditions)
        return len(search_candidates.fetch(sql, params))

    def samples_of(inputs: list[str], times: list[float]) -> list[list[Any]]:
        return [[t, round(x * 1000, 3)] for t, x in zip(inputs[warmup:], times, strict=True)]

    def limited(action: Any, limits: dict[str, int]) -> Any:
        def run(text: str) -> Any:
            search_candidates.CANDIDATE_LIMIT = limits[text]
            try:
                return action(text)
            finally:
                search_candidates.CANDIDATE_LIMIT = default_limit

        return run

    default_limit = search_candidates.CANDIDATE_LIMIT
    results: dict[str, Any] = {}
    candidates: dict[str, dict[str, int]] = {}
    same: dict[str, Any] = {}
    for name, action, inputs in (
        ("admin", admin_search, texts),
        ("scoped", scoped, texts),
        ("filtered", filtered, texts),
        ("next_page", next_page, texts),
        ("customers", customers, names),
        ("api", api, texts),
    ):
        times = timed(action, inputs)
        results[name] = latency_stats(times)
        if name not in SAME:
            continue
        candidates[name] = {text: candidates_found(name, text) for text in set(inputs)}
        results[name]["samples"] = samples_of(inputs, times)
        # The search reads the whole history when it finds fewer than it ranks at most.
        whole = sorted(t for t, n in candidates[name].items() if n < default_limit)
        # Each scale timed warm as well, after the first pass read these searches' pages
        # (and, at the larger scales, in turn with the search limited to the candidates it
        # found at the smallest scale, each going first every other time).
        calls = [action]
        if smaller is not None:
            limits = {text: max(1, smaller["candidates"][name][text]) for text in set(inputs)}
            calls.append(limited(action, limits))
        warm: dict[Any, list[float]] = {call: [] for call in calls}
        for index, text in enumerate(inputs):
            for call in calls if index % 2 else calls[::-1]:
                began = time.perf_counter()
                call(text)
                if index >= warmup:
                    warm[call].append(time.perf_counter() - began)
        same[name] = {
            "whole_history": whole,
            "again": {**latency_stats(warm[action]), "samples": samples_of(inputs, warm[action])},
        }
        if smaller is not None:
            same_times = warm[calls[1]]
            same[name]["same"] = {
                **latency_stats(same_times),
                "samples": samples_of(inputs, same_times),
            }
    per_query = {}
    for text in QUERIES:
        times = timed(admin_search, [text] * 14, warm=2)
        per_query[text] = {
            "median_ms": round(statistics.median(times) * 1000, 2),
            "hits": len(admin_search(text).hits),
        }
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM search_searchdocument")
        documents = cursor.fetchone()[0]
    return {
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "conversations": Conversation.objects.count(),
        "documents": documents,
        **results,
        "per_query": per_query,
        "candidates": candidates,
        "names": names,
        "same": same,
    }


# --- report ----------------------------------------------------------------------------------


def table(results: dict[int, dict[str, Any]]) -> str:
    header = " | ".join(f"{s} p50 / p95" for s in SHAPES)
    lines = [
        f"| conversations | messages | index rows | {header} |",
        "|---:|---:|---:|" + "---|" * len(SHAPES),
    ]
    for scale, r in sorted(results.items()):
        cells = " | ".join(f"{r[s]['p50']:.1f} / {r[s]['p95']:.1f}" for s in SHAPES)
        lines.append(f"| {scale:,} | {r.get('messages', 0):,} | {r['documents']:,} | {cells} |")
    scales = sorted(results)
    if len(scales) > 1:
        low, high = results[scales[0]], results[scales[-1]]
        ratios = ", ".join(f"{s} {high[s]['p95'] / low[s]['p95']:.2f}x" for s in SHAPES)
        lines += ["", f"p95 ratio {scales[-1]:,} / {scales[0]:,}: {ratios}"]
    largest = results[scales[-1]]
    lines += ["", f"Per query at {scales[-1]:,} (admin, median of 12, hits on the first page):"]
    for text, r in largest["per_query"].items():
        lines.append(f"- `{text}`: {r['median_ms']} ms, {r['hits']} hits")
    return "\n".join(lines)


def median_of(rounds: list[dict[str, Any]]) -> dict[str, Any]:
    merged: dict[str, Any] = {
        "documents": rounds[0]["documents"],
        "per_query": rounds[-1]["per_query"],
        "load_average_after": [r["load_average_after"][0] for r in rounds],
    }
    for shape in SHAPES:
        merged[shape] = {
            stat: round(statistics.median(r[shape][stat] for r in rounds), 3)
            for stat in ("n", "p50", "p95", "mean", "max")
        }
        if "samples" in rounds[-1][shape]:  # the last round's, for `same_table`
            merged[shape]["samples"] = rounds[-1][shape]["samples"]
    merged["same"] = rounds[-1].get("same", {})
    return merged


def _p95(values: list[float]) -> float:
    if len(values) < 2:
        return values[0] if values else float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[94]


def same_table(results: dict[int, dict[str, Any]]) -> str:
    """The largest scale against the smallest, warm (each search timed again after the
    first pass), split by what the search does at the largest scale: found the most it
    ranks (CANDIDATE_LIMIT) among the newest rows ("bounded by the page"), or found fewer
    and so read the whole history ("whole history": words common alone, rare together in
    the scope or filter, or no match). For the bounded ones also "same candidates": each
    search at the largest scale limited to the candidates it found at the smallest, which
    the product never runs but which shows what the history's size costs at equal work."""
    scales = sorted(results)
    low, high = results[scales[0]], results[scales[-1]]
    if not high.get("same") or not low.get("same"):
        return ""

    def ms(samples: list[list[Any]], texts: set[str], inside: bool) -> list[float]:
        return [t for text, t in samples if (text in texts) == inside]

    lines = [
        f"Warm, {scales[-1]:,} against {scales[0]:,} (p95 ms), split by what each search does"
        f" at {scales[-1]:,}:",
        "",
        "| shape | first pass ratio | warm ratio | bounded by the page: share, p95, ratio;"
        " same candidates: p95, ratio | whole history read: share, p95, ratio |",
        "|---|---:|---:|---|---|",
    ]
    for shape in SAME:
        high_same, low_same = high["same"].get(shape), low["same"].get(shape)
        if not high_same or not low_same:
            continue
        whole = set(high_same["whole_history"])
        low_again = low_same["again"]["samples"]
        high_again = high_same["again"]["samples"]
        first = high[shape]["p95"] / low[shape]["p95"]
        warm = high_same["again"]["p95"] / low_same["again"]["p95"]
        cells = []
        for inside in (False, True):
            lo, hi = ms(low_again, whole, inside), ms(high_again, whole, inside)
            if not hi:
                cells.append("none")
                continue
            share = len(hi) / len(high_again)
            cell = f"{share:.0%}, {_p95(lo):.1f} / {_p95(hi):.1f}, {_p95(hi) / _p95(lo):.2f}x"
            if not inside and "same" in high_same:
                limited = ms(high_same["same"]["samples"], whole, inside)
                cell += f"; {_p95(limited):.1f}, {_p95(limited) / _p95(lo):.2f}x"
            cells.append(cell)
        lines.append(f"| {shape} | {first:.2f}x | {warm:.2f}x | {cells[0]} | {cells[1]} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scales", default="10000,1000000")
    parser.add_argument("--samples", type=int, default=300)
    parser.add_argument("--warmup", type=int, default=40)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--reuse", action="store_true", help="Measure existing databases, do not re-seed."
    )
    parser.add_argument("--fill", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--smaller", help=argparse.SUPPRESS)
    args = parser.parse_args()
    scales = [int(s.replace("_", "")) for s in args.scales.split(",") if s.strip()]
    if args.fill:
        print(json.dumps(fill(scales[0])))
        return
    if args.measure:
        smaller = json.loads(Path(args.smaller).read_text()) if args.smaller else None
        print(json.dumps(measure(args.samples, args.warmup, smaller)))
        return
    OUT.mkdir(parents=True, exist_ok=True)
    prepared: dict[int, dict[str, Any]] = {}
    for scale in scales:
        path = OUT / f"search-{scale}.json"
        if args.reuse and database_exists(scale, PREFIX):
            # What preparing it took, when known (written before measuring, so a failed
            # measurement does not cost a rebuild).
            previous = json.loads(path.read_text()) if path.exists() else {}
            prepared[scale] = {k: v for k, v in previous.items() if k not in SHAPES}
        else:
            print(f"preparing {scale:,} ...", file=sys.stderr)
            prepared[scale] = prepare(scale)
            print(json.dumps(prepared[scale]), file=sys.stderr)
            path.write_text(json.dumps(prepared[scale], indent=2))
    rounds: dict[int, list[dict[str, Any]]] = {scale: [] for scale in scales}
    smaller = OUT / "search-smaller-candidates.json"
    for number in range(1, args.rounds + 1):
        for scale in sorted(scales):
            print(f"round {number}: measuring {scale:,} ...", file=sys.stderr)
            extra = ["--smaller", str(smaller)] if scale != min(scales) else []
            measured = run_child(
                scale,
                "--measure",
                "--samples",
                str(args.samples),
                "--warmup",
                str(args.warmup),
                *extra,
            )
            rounds[scale].append(measured)
            if scale == min(scales):
                found = {key: measured[key] for key in ("candidates", "names")}
                smaller.write_text(json.dumps(found))
    results = {}
    for scale in scales:
        result = {**prepared[scale], **median_of(rounds[scale]), "rounds": rounds[scale]}
        (OUT / f"search-{scale}.json").write_text(json.dumps(result, indent=2))
        results[scale] = result
    print(table(results))
    print("\n" + same_table(results))


if __name__ == "__main__":
    main()
