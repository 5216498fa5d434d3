"""What one search index row costs to write, as each inbound message writes one (issue 4).

Inserts ROWS copies of existing conversation rows of the search index one at a time, each in
its own transaction (as a message arriving through a webhook is indexed), into a benchmark
database, and reports rows per second and the p50 / p95 of one insert; then deletes them
again and vacuums. Run it before and after a change to the index to see its price:

    .venv/bin/python bench/search_write_cost.py --database layani_bench_search_1000000

Needs a PostgreSQL the current user may write to (`BENCH_POSTGRES_URL`, default
postgres://postgres@127.0.0.1:5432).
"""

import argparse
import json
import os
import statistics
import time

import psycopg

SERVER_URL = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432")
COLUMNS = (
    "kind, message_id, conversation_id, customer_id, created_at, content, status, channel, "
    "purpose, priority, branch_id, team_id, assignee_id"
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", required=True)
    parser.add_argument("--rows", type=int, default=3_000)
    args = parser.parse_args()
    with psycopg.connect(f"{SERVER_URL}/{args.database}", autocommit=True) as db:
        indexes = [
            row[0]
            for row in db.execute(
                "SELECT indexname FROM pg_indexes WHERE tablename = 'search_searchdocument' "
                "ORDER BY indexname"
            )
        ]
        newest = db.execute("SELECT max(id) FROM search_searchdocument").fetchone()[0]
        sources = [
            row[0]
            for row in db.execute(
                "SELECT id FROM search_searchdocument WHERE conversation_id IS NOT NULL "
                "AND id > %s ORDER BY id LIMIT %s",
                [newest - 4 * args.rows, args.rows],
            )
        ]
        times = []
        began = time.perf_counter()
        for number, source in enumerate(sources):
            start = time.perf_counter()
            db.execute(
                f"INSERT INTO search_searchdocument (key, {COLUMNS}) "
                f"SELECT %s, {COLUMNS} FROM search_searchdocument WHERE id = %s",
                [f"bench:{number}", source],
            )
            times.append(time.perf_counter() - start)
        seconds = time.perf_counter() - began
        db.execute("DELETE FROM search_searchdocument WHERE key LIKE 'bench:%%'")
        db.execute("VACUUM search_searchdocument")
    times.sort()
    print(
        json.dumps(
            {
                "indexes": indexes,
                "rows": len(times),
                "rows_per_second": round(len(times) / seconds, 1),
                "p50_ms": round(statistics.median(times) * 1000, 3),
                "p95_ms": round(times[int(0.95 * (len(times) - 1))] * 1000, 3),
                "load_average_after": [round(x, 2) for x in os.getloadavg()],
            }
        )
    )


if __name__ == "__main__":
    main()
