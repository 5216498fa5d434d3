"""A busy branch morning, end to end, in three browser windows (issue 3, "Done when").

300 visitors check in over one (compressed) hour with a morning peak; five clerks serve them
through the API from threads, a sixth works Loket 6 in a browser window (counter page), and a
supervisor page and the TV display stay open beside it. At the end the script checks that no
visitor was called twice, the display showed every call, the supervisor page shows the same
estimate error as the database, feedback was recorded, and no request failed; it prints the
latencies and the wait-estimate error, and exits non-zero when a check fails.

    .venv/bin/python bench/busy_morning.py [--speed 20] [--database sqlite|postgres]

Time runs `--speed` times faster than a real morning (20: the hour takes 3 minutes). Service
and walking times are divided by it; the queue policy's per-minute aging is multiplied by it
and its maximum wait divided by it, so the policy treats the compressed morning as it would
a real one. Durations are reported in real-morning minutes (x speed) unless said otherwise.

SQLite: a fresh database in a temporary data directory. PostgreSQL: `layani_bench_morning` is
dropped and recreated on `BENCH_POSTGRES_URL` (default postgres://postgres@127.0.0.1:5432),
with Redis (`BENCH_REDIS_URL`, default redis://127.0.0.1:6379/0) for the channel layer and
Huey when it answers. The server is uvicorn with DEBUG=0 (static files collected into the data
directory and served by WhiteNoise), plus one `layani run_huey` worker. Screenshots and a JSON
summary go to bench/out/ (not committed). Needs Debian chromium (layani.testing.browser).

The code is in the `morning` package beside this script (bench/morning/), one module per
part: scenario, environment, server, branch, clients, visitors, clerks, windows, run, checks,
report, cli.
"""

from morning.cli import main

if __name__ == "__main__":
    main(description=__doc__.split("\n\n")[0])
