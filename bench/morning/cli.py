"""The command: a fresh database and branch, the server, the morning, the checks and the
report; exits 1 when a check fails."""

import argparse
import json
import os
import random
import shutil
import sys
import tempfile
from pathlib import Path

from .branch import set_up_branch
from .checks import verify
from .clients import Log, Morning
from .environment import OUT, ROOT, prepare_environment
from .report import report
from .run import run_morning
from .server import Server


def main(description: str) -> None:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--speed", type=float, default=20.0)
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--keep-data", action="store_true", help="keep the data directory")
    args = parser.parse_args()
    data_dir = Path(tempfile.mkdtemp(prefix="layani-busy-morning-"))
    print(f"data directory {data_dir.name} (in the system temp dir); preparing {args.database}")
    env, realtime = prepare_environment(args.database, data_dir)
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.db import connections

    accounts = set_up_branch(args.speed, random.Random(args.seed))
    connections.close_all()
    server = Server(env, data_dir)
    try:
        server.wait_healthy()
        print(
            f"server up (uvicorn, DEBUG=0, {realtime}); zone {accounts.zone}; running the "
            f"morning at x{args.speed:g}",
            flush=True,
        )
        morning = Morning(
            speed=args.speed, base_url=server.url, accounts=accounts, log=Log(), seed=args.seed
        )
        seen = run_morning(morning, args.database)
        checks, numbers = verify(morning, seen, server)
    finally:
        connections.close_all()
        server.stop()
    numbers["database"], numbers["realtime"] = args.database, realtime
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / f"busy-morning-{args.database}.json").write_text(
        json.dumps({"checks": checks, **numbers}, indent=2, default=str)
    )
    report(checks, numbers, args.database, realtime)
    passed = all(ok for _n, ok, _d in checks)
    if passed and not args.keep_data:
        shutil.rmtree(data_dir, ignore_errors=True)
    else:
        print(f"kept {data_dir} (server.log, worker.log, the SQLite files)")
    sys.exit(0 if passed else 1)
