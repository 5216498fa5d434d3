"""Name search on PostgreSQL: the current query shape against alternatives, in plain SQL.

Run after `customers_bench.py` has built its databases:

    .venv/bin/python bench/customer_search_shapes.py layani_bench_1000000

Takes 650 random first or last names of existing customers, warms up on 50, then runs
every shape on each of the other 600 in a shuffled order (so load from elsewhere falls on
all shapes alike) and prints p50 / p95 / mean / max in milliseconds, measured at the client.
"""

import os
import random
import statistics
import sys
import time

import psycopg

SERVER_URL = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432")
SAMPLES, WARMUP = 600, 50

SHAPES = {
    # what `search_customers(name=...)` runs today (first page, keyset order)
    "current: ORDER BY search_name, id": (
        "SELECT id, search_name FROM customers_customer WHERE search_name LIKE %s "
        "ORDER BY search_name, id LIMIT 21"
    ),
    # an ordering the btree cannot serve: matches come from the trigram index, then a sort
    "ORDER BY search_name || '', id": (
        "SELECT id, search_name FROM customers_customer WHERE search_name LIKE %s "
        "ORDER BY search_name || '', id LIMIT 21"
    ),
    "MATERIALIZED CTE": (
        "WITH m AS MATERIALIZED (SELECT id, search_name FROM customers_customer "
        "WHERE search_name LIKE %s) SELECT id, search_name FROM m ORDER BY search_name, id "
        "LIMIT 21"
    ),
    # the same, with the match set capped: beyond 1,000 matches ask for a longer name
    "MATERIALIZED CTE, at most 1,000 matches": (
        "WITH m AS MATERIALIZED (SELECT id, search_name FROM customers_customer "
        "WHERE search_name LIKE %s LIMIT 1001) SELECT id, search_name FROM m "
        "ORDER BY search_name, id LIMIT 21"
    ),
}


def main() -> None:
    database = sys.argv[1] if len(sys.argv) > 1 else "layani_bench_1000000"
    rng = random.Random(2)
    with psycopg.connect(f"{SERVER_URL}/{database}", autocommit=True) as conn:
        names = [
            row[0]
            for row in conn.execute(
                "SELECT full_name FROM customers_customer ORDER BY random() LIMIT %s",
                [SAMPLES + WARMUP],
            )
        ]
        fragments = [f"%{rng.choice(name.split()).lower()}%" for name in names]
        for fragment in fragments[:WARMUP]:
            for sql in SHAPES.values():
                conn.execute(sql, [fragment]).fetchall()
        times: dict[str, list[float]] = {label: [] for label in SHAPES}
        for fragment in fragments[WARMUP:]:
            order = list(SHAPES.items())
            rng.shuffle(order)
            for label, sql in order:
                began = time.perf_counter()
                conn.execute(sql, [fragment]).fetchall()
                times[label].append((time.perf_counter() - began) * 1000)
    print(f"{database}, {len(fragments) - WARMUP} names, load average {os.getloadavg()[0]:.2f}")
    for label, ms in times.items():
        q = statistics.quantiles(ms, n=100, method="inclusive")
        print(
            f"  {label:<42} p50 {q[49]:6.2f}  p95 {q[94]:6.2f}  "
            f"mean {statistics.fmean(ms):6.2f}  max {max(ms):6.1f}"
        )


if __name__ == "__main__":
    main()
