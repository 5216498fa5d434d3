"""Customers at scale: lookup by phone, search by name, and the customer page (issue 2).

For each scale (number of conversations) this creates a fresh PostgreSQL database
`layani_bench_<scale>`, migrates it, fills it with `layani seed --customers <scale / 5, at
least 2,000> --conversations <scale>`, and then measures, after a warm-up:

1. lookup: `search_customers(agent, CustomerQuery(phone=...))` for random existing phones;
2. search: `search_customers(agent, CustomerQuery(name=...))`, first page of 20, for a
   random first or last name of an existing customer;
3. page: Django's test `Client`, signed in as the demo `agent`, GET `/customers/<id>/`
   for random customers, fully rendered through the whole middleware stack.

    .venv/bin/python bench/customers_bench.py --scales 10000,100000,1000000

Each measurement runs in a child process (settings read DATABASE_URL once). Results go to
bench/out/customers-<scale>.json and a Markdown table is printed at the end.
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

REPO = Path(__file__).absolute().parent.parent
OUT = REPO / "bench" / "out"
SERVER_URL = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432")
MIN_CUSTOMERS = 2_000


# --- orchestration (parent process) ----------------------------------------------------------


def customers_for(scale: int) -> int:
    return max(MIN_CUSTOMERS, scale // 5)


def database_url(scale: int) -> str:
    return f"{SERVER_URL}/layani_bench_{scale}"


def child_env(scale: int) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=database_url(scale),
        DEBUG="1",  # development secret key and plain static files; query logging is turned
        # off again in the measuring process (see `measure`)
        LAYANI_DATA_DIR=str(OUT / "data"),
        PYTHONPATH=str(REPO),
    )
    return env


def recreate_database(scale: int) -> None:
    import psycopg

    name = f"layani_bench_{scale}"
    with psycopg.connect(f"{SERVER_URL}/postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')


def run_layani(scale: int, *args: str) -> str:
    command = [sys.executable, "-m", "layani", *args]
    done = subprocess.run(
        command, cwd=REPO, env=child_env(scale), check=True, stdout=subprocess.PIPE, text=True
    )
    return done.stdout


def prepare(scale: int) -> dict[str, Any]:
    recreate_database(scale)
    run_layani(scale, "migrate", "--noinput", "-v", "0")
    customers = customers_for(scale)
    began = time.monotonic()
    output = run_layani(scale, "seed", "--customers", str(customers), "--conversations", str(scale))
    seconds = time.monotonic() - began
    print(output, end="")
    rate_line = next((line for line in output.splitlines() if "rows/s" in line), "")
    return {
        "customers": customers,
        "conversations": scale,
        "seed_seconds": round(seconds, 1),
        "seed_summary": rate_line.strip(),
    }


def measure_in_child(scale: int, samples: int, warmup: int) -> dict[str, Any]:
    command = [
        sys.executable,
        str(Path(__file__).absolute()),
        "--measure",
        "--scales",
        str(scale),
        "--samples",
        str(samples),
        "--warmup",
        str(warmup),
    ]
    done = subprocess.run(
        command, cwd=REPO, env=child_env(scale), check=True, stdout=subprocess.PIPE, text=True
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


# --- measuring (child process, Django configured for one database) ---------------------------


def _timed(action: Any, inputs: list[Any], warmup: int) -> list[float]:
    for value in inputs[:warmup]:
        action(value)
    times = []
    for value in inputs[warmup:]:
        began = time.perf_counter()
        action(value)
        times.append(time.perf_counter() - began)
    return times


def measure(samples: int, warmup: int) -> dict[str, Any]:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "layani.config.settings")
    django.setup()
    from django.conf import settings
    from django.contrib.auth.models import User
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from layani.customers.models import Customer, CustomerIdentity, IdentityKind
    from layani.customers.queries import CustomerQuery, search_customers

    # DEBUG=1 in the environment gave the development key and `testserver` as an allowed
    # host; from here on no query log and templates as in production. Templates are not
    # instrumented (no setup_test_environment), so the client keeps no copies of contexts.
    settings.DEBUG = False
    rng = random.Random(2)
    needed = samples + warmup
    agent = User.objects.get(username="agent")

    phones = list(
        CustomerIdentity.objects.filter(kind=IdentityKind.PHONE)
        .order_by("?")
        .values_list("value", flat=True)[:needed]
    )
    sample = list(Customer.objects.order_by("?").values_list("id", "full_name")[: needed * 2])
    fragments = [rng.choice(name.split()) for _id, name in sample[:needed]]
    customer_ids = [cid for cid, _name in sample[needed:]]

    def lookup(phone: str) -> None:
        page = search_customers(agent, CustomerQuery(phone=phone))
        assert len(page.items) == 1, phone

    def search(fragment: str) -> None:
        search_customers(agent, CustomerQuery(name=fragment), limit=20)

    client = Client()
    client.force_login(agent)

    def render(customer_id: int) -> None:
        response = client.get(f"/customers/{customer_id}/")
        assert response.status_code == 200, response.status_code

    with CaptureQueriesContext(connection) as queries:
        render(customer_ids[0])
    page_queries = len(queries.captured_queries)
    return {
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "customers": Customer.objects.count(),
        "lookup": latency_stats(_timed(lookup, phones, warmup)),
        "search": latency_stats(_timed(search, fragments, warmup)),
        "page": latency_stats(_timed(render, customer_ids, warmup)),
        "page_queries": page_queries,
    }


# --- report ----------------------------------------------------------------------------------


def table(results: dict[int, dict[str, Any]]) -> str:
    lines = [
        "| conversations | customers | seed (s) | lookup p50 / p95 / mean (ms) "
        "| search p50 / p95 / mean (ms) | page p50 / p95 / mean (ms) | page queries |",
        "|---:|---:|---:|---|---|---|---:|",
    ]
    for scale, r in sorted(results.items()):

        def cell(name: str, r: dict[str, Any] = r) -> str:
            s = r[name]
            return f"{s['p50']:.2f} / {s['p95']:.2f} / {s['mean']:.2f}"

        lines.append(
            f"| {scale:,} | {r['customers']:,} | {r.get('seed_seconds', '')} | {cell('lookup')} "
            f"| {cell('search')} | {cell('page')} | {r['page_queries']} |"
        )
    scales = sorted(results)
    if len(scales) > 1:
        low, high = results[scales[0]], results[scales[-1]]
        ratios = ", ".join(
            f"{name} p95 {high[name]['p95'] / low[name]['p95']:.2f}x "
            f"(p50 {high[name]['p50'] / low[name]['p50']:.2f}x)"
            for name in ("lookup", "search", "page")
        )
        lines.append("")
        lines.append(f"Ratio {scales[-1]:,} / {scales[0]:,}: {ratios}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scales", default="10000,100000,1000000")
    parser.add_argument("--samples", type=int, default=400)
    parser.add_argument("--warmup", type=int, default=50)
    parser.add_argument(
        "--reuse", action="store_true", help="Measure existing databases, do not re-seed."
    )
    parser.add_argument(
        "--rounds", type=int, default=3, help="Measure every scale this many times, in turn."
    )
    parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    scales = [int(s.replace("_", "")) for s in args.scales.split(",") if s.strip()]
    if args.measure:
        print(json.dumps(measure(args.samples, args.warmup)))
        return
    OUT.mkdir(parents=True, exist_ok=True)
    prepared: dict[int, dict[str, Any]] = {}
    for scale in scales:
        path = OUT / f"customers-{scale}.json"
        if args.reuse:
            previous = json.loads(path.read_text()) if path.exists() else {}
            prepared[scale] = {
                k: previous[k] for k in ("seed_seconds", "seed_summary") if k in previous
            }
        else:
            prepared[scale] = prepare(scale)
    # Rounds go over every scale in turn, so load from elsewhere on the machine hits all
    # scales alike; each statistic reported is the median over the rounds.
    rounds: dict[int, list[dict[str, Any]]] = {scale: [] for scale in scales}
    for number in range(1, args.rounds + 1):
        for scale in scales:
            print(f"round {number}: measuring {scale:,} ...", file=sys.stderr)
            measured = measure_in_child(scale, args.samples, args.warmup)
            print(json.dumps(measured), file=sys.stderr)
            rounds[scale].append(measured)
    results = {}
    for scale in scales:
        result = {**prepared[scale], **median_of(rounds[scale]), "rounds": rounds[scale]}
        (OUT / f"customers-{scale}.json").write_text(json.dumps(result, indent=2))
        results[scale] = result
    print(table(results))


def median_of(rounds: list[dict[str, Any]]) -> dict[str, Any]:
    merged: dict[str, Any] = {"customers": rounds[0]["customers"]}
    merged["page_queries"] = rounds[0]["page_queries"]
    for name in ("lookup", "search", "page"):
        merged[name] = {
            stat: round(statistics.median(r[name][stat] for r in rounds), 3)
            for stat in ("n", "p50", "p95", "mean", "max")
        }
    merged["load_average_after"] = [r["load_average_after"][0] for r in rounds]
    return merged


if __name__ == "__main__":
    main()
