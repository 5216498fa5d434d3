"""Webhook intake and end-to-end processing on PostgreSQL + Redis (issue 5).

Signed WhatsApp Cloud API webhooks (one text message each, 600 different customers, new
and returning) are posted to a real server laid out as the README's production section
says: granian (WSGI, `--http-workers` processes of `--threads` threads, DEBUG=0) for HTTP,
the Redis task queue; `--server gunicorn` for the server used before.

1. Intake: the background worker is stopped, so only "verify, store raw durably, enqueue,
   answer 200" is measured: latency of each acknowledged POST (closed loop, `--clients`
   concurrent keep-alive connections) and webhooks accepted per second.
2. End to end: two worker processes (`run_huey -w 2 -k process`) drain what phase 1
   stored, then a second batch is posted while they run; the rate is messages in the inbox
   per second, from the first POST of the batch to the last message processed.

    .venv/bin/python bench/channels_bench.py [--webhooks 4000] [--clients 8] [--intake-only]
        [--http-workers 2] [--threads 4] [--server granian|gunicorn]

Needs PostgreSQL (`BENCH_POSTGRES_URL`, default postgres://postgres@127.0.0.1:5432) and
Redis (`BENCH_REDIS_URL`); (re)creates the database `layani_bench_channels`. Intake
acknowledgements are switched off on the account (they would call Meta).
"""

import argparse
import asyncio
import hashlib
import hmac
import json
import os
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from subprocess import DEVNULL
from typing import TYPE_CHECKING

sys.path.insert(0, str(Path(__file__).resolve().parent))

from morning.server import free_port
from timing import latency_stats

if TYPE_CHECKING:
    from layani.channels.models import ChannelAccount

ROOT = Path(__file__).resolve().parents[1]
POSTGRES_BASE = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
DB = "layani_bench_channels"
APP_SECRET = "bench-app-secret"
CUSTOMERS = 600


def prepare(data_dir: Path, db: str = DB, redis_url: str = REDIS_URL) -> dict[str, str]:
    import psycopg
    import redis

    with psycopg.connect(f"{POSTGRES_BASE}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {db} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {db}")
    redis.Redis.from_url(redis_url).flushdb()
    env = {
        **os.environ,
        "LAYANI_DATA_DIR": str(data_dir),
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(40),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "LAYANI_HTTPS": "0",
        "LAYANI_LOG_LEVEL": "WARNING",
        "DJANGO_SETTINGS_MODULE": "layani.config.settings",
        "DATABASE_URL": f"{POSTGRES_BASE}/{db}",
        "REDIS_URL": redis_url,
    }
    env.pop("LAYANI_TESTING", None)
    subprocess.run([sys.executable, "-m", "layani", "migrate", "-v0"], env=env, check=True)
    os.environ.update(env)
    return env


def bench_account() -> "ChannelAccount":
    """The WhatsApp account the webhooks are signed for (after django.setup())."""
    from layani.channels.models import ChannelAccount

    return ChannelAccount.objects.create(
        kind="whatsapp",
        name="Bench WhatsApp",
        settings={"auto_acknowledge": False, "phone_number_id": "200000000000001"},
        secrets={"app_secret": APP_SECRET, "verify_token": "bench"},
    )


def payload(n: int, batch: str) -> bytes:
    number = f"62812{10000000 + n % CUSTOMERS:08d}"
    body = {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "id": "100000000000001",
                "changes": [
                    {
                        "field": "messages",
                        "value": {
                            "messaging_product": "whatsapp",
                            "metadata": {
                                "display_phone_number": "6281100000000",
                                "phone_number_id": "200000000000001",
                            },
                            "contacts": [
                                {"profile": {"name": f"Pelanggan {n % CUSTOMERS}"}, "wa_id": number}
                            ],
                            "messages": [
                                {
                                    "from": number,
                                    "id": f"wamid.bench.{batch}.{n}",
                                    "timestamp": str(int(time.time())),
                                    "type": "text",
                                    "text": {"body": f"Halo, saldo saya kok berkurang? ({n})"},
                                }
                            ],
                        },
                    }
                ],
            }
        ],
    }
    return json.dumps(body, separators=(",", ":")).encode()


def signed_request(host: str, path: str, body: bytes) -> bytes:
    """One complete HTTP/1.1 request, built before the clock starts (the client's own CPU
    must not be what is measured: it shares the machine's two cores with the server)."""
    signature = "sha256=" + hmac.new(APP_SECRET.encode(), body, hashlib.sha256).hexdigest()
    head = (
        f"POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\nX-Hub-Signature-256: {signature}\r\n"
        "Connection: keep-alive\r\n\r\n"
    )
    return head.encode() + body


async def post_all(url: str, bodies: list[bytes], clients: int) -> tuple[list[float], float]:
    """POST every body over `clients` concurrent connections (closed loop: each client sends
    its next request when the last one is answered), reconnecting when the server closes."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    requests = [signed_request(f"{host}:{port}", parts.path, body) for body in bodies]
    queue: asyncio.Queue[bytes] = asyncio.Queue()
    for request in requests:
        queue.put_nowait(request)
    latencies: list[float] = []
    failures: list[str] = []

    async def client() -> None:
        reader = writer = None
        while not queue.empty():
            request = queue.get_nowait()
            started = time.perf_counter()
            if writer is None:
                reader, writer = await asyncio.open_connection(host, port)
            assert reader is not None
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            status = head.split(b" ", 2)[1]
            length, close = 0, False
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
                elif name.strip().lower() == b"connection":
                    close = value.strip().lower() == b"close"
            answer = await reader.readexactly(length)
            latencies.append(time.perf_counter() - started)
            if status != b"200":
                failures.append(f"{status.decode()} {answer[:200]!r}")
            if close:
                writer.close()
                reader = writer = None
        if writer is not None:
            writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    elapsed = time.perf_counter() - started
    if failures:
        raise RuntimeError(f"{len(failures)} webhooks refused, e.g. {failures[0]}")
    return latencies, elapsed


def _processes() -> dict[int, tuple[int, str, float]]:
    """Every process: pid -> (parent pid, title, CPU seconds used so far). A PostgreSQL
    backend's title names its database."""
    ticks = os.sysconf("SC_CLK_TCK")
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            title = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue  # ended meanwhile
        name = stat[stat.index("(") + 1 : stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2 :].split()
        cpu = (int(fields[11]) + int(fields[12])) / ticks
        found[int(entry.name)] = (int(fields[1]), f"{name} {title}", cpu)
    return found


class CpuMeter:
    """CPU seconds spent during a phase by the HTTP server's processes, the workers'
    processes, PostgreSQL's backends of the bench database, the rest of PostgreSQL (its
    own background processes and other databases: other work on the machine), Redis and
    this client. A process that ends during the phase is left out; one that starts is
    counted from zero."""

    def __init__(self, server: int, worker: int | None) -> None:
        self.roots = {"server": server, "workers": worker}
        self.before = _processes()
        self.client = time.process_time()

    def per_message(self, count: int) -> str:
        after = _processes()
        spent = {
            pid: cpu - (self.before[pid][2] if pid in self.before else 0.0)
            for pid, (_parent, _title, cpu) in after.items()
        }
        parts = {name: 0.0 for name in ("server", "workers", "postgres", "postgres other")}
        for name, root in self.roots.items():
            members = {root} if root is not None else set()
            while more := {p for p, (up, _t, _c) in after.items() if up in members} - members:
                members |= more
            parts[name] = sum(spent[pid] for pid in members if pid in spent)
        for pid, (_parent, title, _cpu) in after.items():
            if title.startswith("postgres "):
                part = "postgres" if f" {DB} " in title else "postgres other"
                parts[part] += spent[pid]
        parts["redis"] = sum(
            spent[pid] for pid, (_p, title, _c) in after.items() if title.startswith("redis-server")
        )
        parts["client"] = time.process_time() - self.client
        text = ", ".join(f"{name} {seconds / count * 1000:.2f}" for name, seconds in parts.items())
        return f"{text} (total {sum(parts.values()) / count * 1000:.2f})"


def start(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        command, env=env, cwd=ROOT, stdout=log.open("wb"), stderr=subprocess.STDOUT
    )


def wait_healthy(url: str) -> None:
    import httpx

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(url + "/healthz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise RuntimeError("server not healthy")


def server_command(name: str, port: int, workers: int, threads: int) -> list[str]:
    if name == "gunicorn":
        return [
            sys.executable, "-m", "gunicorn", "layani.config.wsgi",
            "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
            "--log-level", "warning", "--threads", str(threads),
        ]  # fmt: skip
    return [
        sys.executable, "-m", "granian", "--interface", "wsgi", "layani.config.wsgi:application",
        "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers),
        "--blocking-threads", str(threads), "--log-level", "warning", "--no-ws",
    ]  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--webhooks", type=int, default=4000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--http-workers", type=int, default=2)
    parser.add_argument(
        "--threads",
        type=int,
        default=4,
        help="threads per server process (granian's blocking threads; gunicorn's gthread)",
    )
    parser.add_argument(
        "--server",
        choices=("granian", "gunicorn"),
        default="granian",
        help="the WSGI server of the README's production section (granian) or gunicorn",
    )
    parser.add_argument("--intake-only", action="store_true", help="skip the worker phases")
    args = parser.parse_args()
    data_dir = Path(tempfile.mkdtemp(prefix="layani-bench-channels-"))
    env = prepare(data_dir)

    import django

    django.setup()
    from layani.channels.models import InboundRecord, InboundStatus
    from layani.conversations.models import Direction, Message

    account = bench_account()
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server = start(server_command(args.server, port, args.http_workers, args.threads), env,
                   data_dir / "server.log")  # fmt: skip
    worker = None
    try:
        wait_healthy(url)
        webhook = f"{url}/channels/whatsapp/{account.key}/"
        # Warm up both server processes (imports, connections), then measure.
        asyncio.run(post_all(webhook, [payload(i, "warm") for i in range(200)], args.clients))
        bodies = [payload(i, "intake") for i in range(args.webhooks)]
        meter = CpuMeter(server.pid, None)
        latencies, elapsed = asyncio.run(post_all(webhook, bodies, args.clients))
        intake_cpu = meter.per_message(args.webhooks)
        stored = InboundRecord.objects.filter(idempotency_key__isnull=False).count()
        intake = latency_stats(latencies)
        load = os.getloadavg()[0]
        print(
            f"intake: {len(latencies)} webhooks in {elapsed:.2f} s = "
            f"{len(latencies) / elapsed:.0f}/s accepted, {args.clients} clients, "
            f"load {load:.2f}; ack latency ms {intake}; records stored {stored}\n"
            f"  CPU ms per webhook: {intake_cpu}"
        )
        if args.intake_only:
            return

        worker = start(
            [sys.executable, "-m", "layani", "run_huey", "--quiet", "-w", "2", "-k", "process"],
            env,
            data_dir / "worker.log",
        )
        backlog = InboundRecord.objects.count()
        drain_started = time.perf_counter()
        while InboundRecord.objects.filter(status=InboundStatus.RECEIVED).exists():
            time.sleep(0.2)
        drained = time.perf_counter() - drain_started
        rate = backlog / drained
        print(f"backlog: {backlog} stored webhooks processed in {drained:.1f} s = {rate:.0f}/s")

        before = Message.objects.filter(direction=Direction.INBOUND).count()
        bodies = [payload(i, "e2e") for i in range(args.webhooks)]
        meter = CpuMeter(server.pid, worker.pid)
        started = time.perf_counter()
        _, posted = asyncio.run(post_all(webhook, bodies, args.clients))
        while Message.objects.filter(direction=Direction.INBOUND).count() < before + args.webhooks:
            if time.perf_counter() - started > 600:
                raise RuntimeError("end to end did not finish in 10 minutes")
            time.sleep(0.1)
        total = time.perf_counter() - started
        e2e_cpu = meter.per_message(args.webhooks)
        failed = InboundRecord.objects.filter(status=InboundStatus.FAILED).count()
        print(
            f"end to end: {args.webhooks} webhooks posted in {posted:.1f} s, all in the inbox "
            f"after {total:.1f} s = {args.webhooks / total:.0f} messages/s with two workers; "
            f"failed records {failed}; load {os.getloadavg()[0]:.2f}\n"
            f"  CPU ms per message: {e2e_cpu}"
        )
    finally:
        for process in (worker, server):
            if process is not None and process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    process.kill()
        subprocess.run(["true"], stdout=DEVNULL)


if __name__ == "__main__":
    main()
