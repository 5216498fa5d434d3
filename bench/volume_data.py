"""Seeded PostgreSQL databases of conversations at scale, for the benchmarks that read them.

One database per scale (number of conversations), built the same way for every reader
(the inbox benchmark; the search benchmark can measure the same databases):

    layani migrate
    layani seed --customers <scale / 5, at least 2,000> --conversations <scale>
                --messages-per-conversation 5

i.e. a contact centre's history with live work in every state, 5 messages per conversation
on average (customer and agent turns, sometimes a note), tags, read markers, and the search
index rows written with them; then `VACUUM (ANALYZE)` of the loaded tables (the seed does
it). `prepare(scale)` drops and recreates the database first.

    from volume_data import prepare, child_env
    facts = prepare(1_000_000)            # about 15 minutes at 1M on 2 cores
    subprocess.run([...], env=child_env(1_000_000))   # DATABASE_URL etc. for a child

Needs a PostgreSQL the current user may create databases on (`BENCH_POSTGRES_URL`,
default postgres://postgres@127.0.0.1:5432).
"""

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).absolute().parent.parent
OUT = REPO / "bench" / "out"
SERVER_URL = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432")
PREFIX = "layani_bench_inbox"
MIN_CUSTOMERS = 2_000
MESSAGES_PER_CONVERSATION = 5


def customers_for(scale: int) -> int:
    return max(MIN_CUSTOMERS, scale // 5)


def database_name(scale: int, prefix: str = PREFIX) -> str:
    return f"{prefix}_{scale}"


def child_env(scale: int, prefix: str = PREFIX) -> dict[str, str]:
    """The environment of a process working on the scale's database."""
    env = dict(os.environ)
    env.update(
        DATABASE_URL=f"{SERVER_URL}/{database_name(scale, prefix)}",
        DEBUG="1",  # development secret key; measuring processes turn query logging off
        LAYANI_DATA_DIR=str(OUT / "data"),
        PYTHONPATH=str(REPO),
    )
    return env


def recreate_database(name: str) -> None:
    import psycopg

    with psycopg.connect(f"{SERVER_URL}/postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')


def database_exists(scale: int, prefix: str = PREFIX) -> bool:
    import psycopg

    with psycopg.connect(f"{SERVER_URL}/postgres", autocommit=True) as admin:
        row = admin.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [database_name(scale, prefix)]
        ).fetchone()
    return row is not None


def run_layani(scale: int, *args: str, prefix: str = PREFIX) -> str:
    command = [sys.executable, "-m", "layani", *args]
    done = subprocess.run(
        command,
        cwd=REPO,
        env=child_env(scale, prefix),
        check=True,
        stdout=subprocess.PIPE,
        text=True,
    )
    return done.stdout


def prepare(
    scale: int,
    *,
    prefix: str = PREFIX,
    messages_per_conversation: float = MESSAGES_PER_CONVERSATION,
) -> dict[str, Any]:
    """(Re)create, migrate and seed the scale's database; what it took and holds."""
    OUT.mkdir(parents=True, exist_ok=True)
    recreate_database(database_name(scale, prefix))
    run_layani(scale, "migrate", "--noinput", "-v", "0", prefix=prefix)
    load = os.getloadavg()[0]
    began = time.monotonic()
    output = run_layani(
        scale,
        "seed",
        "--customers",
        str(customers_for(scale)),
        "--conversations",
        str(scale),
        "--messages-per-conversation",
        str(messages_per_conversation),
        prefix=prefix,
    )
    seconds = time.monotonic() - began
    print(output, end="", file=sys.stderr)
    rows = {}
    for line in output.splitlines():
        name, _, count = line.strip().rpartition(" ")
        if name and count.replace(",", "").isdigit() and line.startswith("  "):
            rows[name.strip()] = int(count.replace(",", ""))
    return {
        "conversations": scale,
        "customers": customers_for(scale),
        "messages_per_conversation": messages_per_conversation,
        "seed_seconds": round(seconds, 1),
        "seed_summary": next((ln.strip() for ln in output.splitlines() if "rows/s" in ln), ""),
        "seed_rows": rows,
        "load_average_seed": [round(load, 2), round(os.getloadavg()[0], 2)],
        "database_bytes": database_bytes(scale, prefix),
    }


def database_bytes(scale: int, prefix: str = PREFIX) -> int:
    import psycopg

    with psycopg.connect(f"{SERVER_URL}/postgres", autocommit=True) as admin:
        row = admin.execute(
            "SELECT pg_database_size(%s)", [database_name(scale, prefix)]
        ).fetchone()
    return int(row[0]) if row else 0
