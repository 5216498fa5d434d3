"""Paths, the fresh database (SQLite, or PostgreSQL with Redis when it answers) and the
environment the server, the worker and this process share."""

import os
import secrets
import subprocess
import sys
from pathlib import Path
from subprocess import DEVNULL

ROOT = Path(__file__).resolve().parents[2]  # the repository (bench/morning/ is two below)
OUT = ROOT / "bench" / "out"
POSTGRES_BASE = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432")
POSTGRES_DB = "layani_bench_morning"
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")


def prepare_environment(database: str, data_dir: Path) -> tuple[dict[str, str], str]:
    env = {
        **os.environ,
        "LAYANI_DATA_DIR": str(data_dir),
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(40),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "LAYANI_HTTPS": "0",
        "LAYANI_LOG_LEVEL": "WARNING",
        "DJANGO_SETTINGS_MODULE": "layani.config.settings",
    }
    for name in ("DATABASE_URL", "REDIS_URL", "LAYANI_TESTING"):
        env.pop(name, None)
    realtime = "in-memory channel layer, Huey on SQLite"
    if database == "postgres":
        import psycopg

        with psycopg.connect(f"{POSTGRES_BASE}/postgres", autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {POSTGRES_DB} WITH (FORCE)")
            conn.execute(f"CREATE DATABASE {POSTGRES_DB}")
        env["DATABASE_URL"] = f"{POSTGRES_BASE}/{POSTGRES_DB}"
        try:
            import redis

            redis.Redis.from_url(REDIS_URL, socket_timeout=2).ping()
            env["REDIS_URL"] = REDIS_URL
            realtime = "Redis channel layer and Huey"
        except Exception as exc:  # any failure: no Redis
            print(f"Redis not reachable ({exc}); realtime stays in-memory")
    layani = [sys.executable, "-m", "layani"]
    subprocess.run([*layani, "compilelocales"], env=env, check=True, cwd=ROOT, stdout=DEVNULL)
    subprocess.run([*layani, "migrate", "-v0"], env=env, check=True, cwd=ROOT)
    subprocess.run([*layani, "collectstatic", "--noinput", "-v0"], env=env, check=True, cwd=ROOT)
    return env, realtime
