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
"""

import argparse
import http.client
import itertools
import json
import math
import os
import queue
import random
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter as Tally
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from subprocess import DEVNULL
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
POSTGRES_BASE = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432")
POSTGRES_DB = "layani_bench_morning"
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
PASSWORD = "pagi-sibuk-" + secrets.token_hex(4)

HOUR = 3600.0  # simulated seconds of arrivals
CHECK_INS = 300
KNOWN_SHARE = 0.30  # check-ins by a known customer's phone or member number
NEW_PHONE_SHARE = 0.12  # a phone we have not seen: a new customer or prospect is recorded
REMOTE_SHARE = 0.10  # joins from outside through the public link
PRIORITY_SHARE = 0.08
NOTE_SHARE = 0.20
FEEDBACK_SHARE = 0.40
NO_SHOW_SHARE = 0.03  # called, recalled twice, never comes
LATE_SHARE = 0.04  # comes after one recall
TRANSFER_SHARE = 0.03
OUT_OF_ORDER_AT = (0.4, 0.7)  # Loket 5 calls a ticket out of order at these points
WALK_SIM = (10.0, 30.0)  # seconds from the call to the visitor at the counter
POLL_SIM = 8.0  # a clerk with nobody waiting looks again after this many simulated seconds
MAX_SIM_HOURS = 3.0


class ServiceSpec(NamedTuple):
    code: str
    purpose: str
    name_id: str
    name_en: str
    prefix: str
    minutes: int  # default handling time; service times are lognormal around it
    share: float  # of arrivals


SERVICES = [
    ServiceSpec("tunai", "routine", "Setor & tarik tunai", "Cash in & out", "A", 1, 0.45),
    ServiceSpec("tagihan", "routine", "Pembayaran tagihan", "Bill payment", "B", 1, 0.28),
    ServiceSpec("kartu", "routine", "Ganti kartu ATM", "Replace ATM card", "C", 2, 0.06),
    ServiceSpec("pengaduan", "complaint", "Pengaduan transaksi", "Complaint", "K", 3, 0.06),
    ServiceSpec("kredit", "special_request", "Kredit khusus", "Special credit", "S", 3, 0.04),
    ServiceSpec("rekening", "prospect", "Buka rekening baru", "New account", "N", 2, 0.11),
]
SPEC = {s.code: s for s in SERVICES}
# What visitors write in "ceritakan singkat".
NOTES = {
    "tunai": ["Setor tunai hasil usaha warung", "Tarik tunai di atas limit ATM"],
    "tagihan": ["Bayar PBB tahun ini", "Bayar uang sekolah anak"],
    "kartu": ["Kartu ATM hilang di pasar", "Kartu tertelan mesin ATM kemarin"],
    "pengaduan": ["Saldo terpotong dua kali", "Transfer belum masuk sejak kemarin"],
    "kredit": ["Tanya restrukturisasi KUR", "Kredit renovasi rumah, jaminan sertifikat"],
    "rekening": ["Ingin buka tabungan untuk anak", "Buka rekening giro untuk usaha"],
}
TRANSFER_TO = {
    "tunai": "pengaduan",
    "tagihan": "kartu",
    "kartu": "pengaduan",
    "pengaduan": "kredit",
    "kredit": "rekening",
    "rekening": "kredit",
}
# Clerk name and skill level per service code; the last one works in the browser window.
ALL_SERVICES = {"tunai": 3, "tagihan": 3, "kartu": 3, "pengaduan": 3, "kredit": 2, "rekening": 3}
CLERKS = [
    ("Dian Teller", {"tunai": 5, "tagihan": 4}),
    ("Rudi Teller", {"tunai": 4, "tagihan": 5}),
    ("Maya Teller", {"tunai": 3, "tagihan": 3, "kartu": 4}),
    ("Agus CS", {"kartu": 4, "pengaduan": 4, "rekening": 5}),
    ("Fitri CS", {"pengaduan": 5, "kredit": 5, "rekening": 4}),
    ("Yusuf Loket 6", ALL_SERVICES),
]
FIRST = ["Budi", "Siti", "Agus", "Dewi", "Rudi", "Sri", "Andi", "Putri", "Joko", "Rina"]
LAST = ["Santoso", "Wijaya", "Saputra", "Pratama", "Hidayat", "Kusuma", "Siregar"]
MOBILE_PREFIXES = ["812", "813", "821", "852", "815", "857", "817", "818", "859", "877", "895"]
COMMENTS = {
    5: ["Pelayanan cepat, terima kasih", "Petugas ramah dan jelas"],
    4: ["Cukup cepat", "Baik, tapi ruang tunggu penuh"],
    3: ["Antrean agak lama"],
    2: ["Antrean terlalu lama, tolong tambah loket"],
    1: ["Menunggu lama sekali dan tidak ada informasi"],
}
TV = {"width": 1920, "height": 1080}
DESK = {"width": 1366, "height": 900}


def percentile(values: list[float], p: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p * (len(ordered) - 1)))]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def mobile(rng: random.Random) -> str:
    return "+62" + rng.choice(MOBILE_PREFIXES) + "".join(str(rng.randrange(10)) for _ in range(8))


def branch_zone() -> str:
    """An Indonesian zone where the next hours stay inside today (no service-day change)."""
    now = datetime.now(ZoneInfo("UTC"))
    for zone in ("Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura"):
        local = now.astimezone(ZoneInfo(zone))
        if 1 <= local.hour < 22:
            return zone
    return "Asia/Jakarta"


# --- Database, environment, server ------------------------------------------------------------


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


class Server:
    """uvicorn serving the ASGI application, and one background worker, as subprocesses."""

    def __init__(self, env: dict[str, str], data_dir: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {**env, "LAYANI_PUBLIC_URL": self.url}
        self.log_path = data_dir / "server.log"
        self.worker_log_path = data_dir / "worker.log"
        self._log = open(self.log_path, "wb")  # noqa: SIM115 - closed in stop()
        self._worker_log = open(self.worker_log_path, "wb")  # noqa: SIM115
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "layani.config.asgi:application",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--log-level",
                "warning",
                "--timeout-keep-alive",
                "600",
            ],
            env=env,
            cwd=ROOT,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        self.worker = subprocess.Popen(
            [sys.executable, "-m", "layani", "run_huey", "--quiet"],
            env=env,
            cwd=ROOT,
            stdout=self._worker_log,
            stderr=subprocess.STDOUT,
        )

    def wait_healthy(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"uvicorn exited: {self.log_path.read_text()[-2000:]}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                conn.request("GET", "/healthz")
                if conn.getresponse().status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError("the server did not become healthy")

    def stop(self) -> None:
        for process, sig in ((self.worker, signal.SIGINT), (self.process, signal.SIGTERM)):
            if process.poll() is None:
                process.send_signal(sig)
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    process.kill()
        self._log.close()
        self._worker_log.close()

    def errors_logged(self) -> list[str]:
        """Server errors and worker task failures (Django and Huey log both)."""
        lines = []
        for path in (self.log_path, self.worker_log_path):
            text = path.read_text(errors="replace")
            lines += [
                f"{path.name}: {line}"
                for line in text.splitlines()
                if "Traceback" in line or "Internal Server Error" in line or "ERROR" in line
            ]
        return lines


# --- The branch (ORM, before any browser or server thread starts) -----------------------------


@dataclass
class Accounts:
    branch_id: int
    services: dict[str, int]  # code -> id
    counters: list[int]
    clerks: list[tuple[str, str]]  # (username, token)
    supervisor: tuple[str, str]
    kiosk: tuple[str, str]
    known: list[tuple[str, str]]  # (phone, membership number or "")
    zone: str


def set_up_branch(speed: float, rng: random.Random) -> Accounts:
    from django.contrib.auth.models import User
    from django.utils import timezone

    from layani.branches.models import (
        Branch,
        Counter,
        OpeningHours,
        QueuePolicy,
        Service,
        Visit,
        VisitStatus,
    )
    from layani.customers.actions import CustomerDetails, create_customer
    from layani.staff.models import Role, SkillKind, Staff, StaffSkill
    from layani.staff.tokens import issue_token

    zone = branch_zone()
    branch = Branch.objects.create(
        code="kcp-sudirman",
        name="KCP Jakarta Sudirman",
        timezone=zone,
        address="Jl. Jend. Sudirman Kav. 21",
    )
    local = timezone.now().astimezone(ZoneInfo(zone))
    opens = max(local - timedelta(hours=1), local.replace(hour=0, minute=0, second=0))
    closes = min(local + timedelta(hours=5), local.replace(hour=23, minute=59, second=0))
    OpeningHours.objects.create(
        branch=branch,
        weekday=local.weekday(),
        opens_at=opens.time().replace(second=0, microsecond=0),
        closes_at=closes.time().replace(second=0, microsecond=0),
    )
    services = {}
    for order, spec in enumerate(SERVICES):
        services[spec.code] = Service.objects.create(
            code=spec.code,
            purpose=spec.purpose,
            name_id=spec.name_id,
            name_en=spec.name_en,
            ticket_prefix=spec.prefix,
            default_handling_minutes=spec.minutes,
            sort_order=order,
        )
    branch.services.set(services.values())
    QueuePolicy.objects.create(
        branch=branch,
        purpose_weights={"routine": 0, "complaint": 8, "special_request": 4, "prospect": 3},
        service_weights={"kartu": 2},
        category_weights={
            "elderly": 20,
            "disabled": 20,
            "pregnant": 20,
            "appointment": 30,
            "tier_silver": 2,
            "tier_gold": 5,
            "tier_platinum": 10,
        },
        skill_weight=1.0,
        aging_per_minute=1.0 * speed,
        max_wait_minutes=max(1, round(45 / speed)),
        recall_limit=2,
        near_front_position=3,
    )

    def person(username: str, role: str, name: str) -> tuple[User, str]:
        user = User.objects.create_user(username=username, password=PASSWORD)
        staff = Staff.objects.create(user=user, role=role, display_name=name)
        staff.branches.set([branch])
        return user, issue_token(user, name="busy morning bench").secret

    clerks, counters, staff_rows = [], [], []
    for n, (name, skills) in enumerate(CLERKS, start=1):
        user, token = person(f"loket{n}", Role.BRANCH_STAFF, name)
        StaffSkill.objects.bulk_create(
            StaffSkill(staff=user.staff, kind=SkillKind.SERVICE, value=code, level=level)
            for code, level in skills.items()
        )
        counters.append(Counter.objects.create(branch=branch, number=n, name=f"Loket {n}").pk)
        clerks.append((user.username, token))
        staff_rows.append(user.staff)
    supervisor = person("supervisor", Role.SUPERVISOR, "Sinta Supervisor")
    kiosk = person("kiosk", Role.KIOSK, "Kiosk lobi")

    known = []
    for i in range(150):
        tier = rng.choices(["", "silver", "gold", "platinum"], [70, 15, 10, 5])[0]
        values: dict[str, Any] = {
            "full_name": f"{rng.choice(FIRST)} {rng.choice(LAST)}",
            "phone": mobile(rng),
            "status": "customer",
        }
        if tier:
            values.update(tier=tier, membership_number=f"M-{100000 + i}")
        if rng.random() < 0.2:
            values.update(
                what_matters="Lebih suka dilayani petugas yang sama; minta struk.",
                what_matters_tags=["struk tercetak"],
            )
        customer = create_customer(CustomerDetails.from_values(values), actor=None)
        known.append((customer.identities.get(kind="phone").value, customer.membership_number))

    # Yesterday's history, so the estimator starts from this branch's (compressed) service
    # times rather than the services' default minutes, as a running branch would.
    yesterday = local.date() - timedelta(days=1)
    history = []
    for code, svc in services.items():
        for seq in range(1, 21):
            start = timezone.now() - timedelta(days=1, minutes=300 - seq * 10)
            served = service_seconds(rng, svc.default_handling_minutes) / speed
            clerk = next(
                s for s, (_n, skills) in zip(staff_rows, CLERKS, strict=True) if code in skills
            )
            history.append(
                Visit(
                    branch=branch,
                    service=svc,
                    purpose=svc.purpose,
                    service_day=yesterday,
                    ticket_sequence=seq,
                    ticket_number=f"{svc.ticket_prefix}{seq:03d}",
                    status=VisitStatus.DONE,
                    source="kiosk",
                    served_by=clerk,
                    checked_in_at=start,
                    queue_since=start,
                    called_at=start,
                    serving_started_at=start,
                    finished_at=start + timedelta(seconds=served),
                )
            )
    Visit.objects.bulk_create(history)
    return Accounts(
        branch_id=branch.pk,
        services={c: s.pk for c, s in services.items()},
        counters=counters,
        clerks=clerks,
        supervisor=(supervisor[0].username, supervisor[1]),
        kiosk=(kiosk[0].username, kiosk[1]),
        known=known,
        zone=zone,
    )


def service_seconds(rng: random.Random, minutes: int) -> float:
    """Lognormal around the service's default handling time (median 85 %, mean ~94 %)."""
    return rng.lognormvariate(math.log(minutes * 60 * 0.85), 0.45)


# --- What happened, as the clients saw it ------------------------------------------------------


@dataclass
class Call:
    visit_id: int
    ticket: str
    counter: int
    source: str  # api, api-specific, browser
    sent: float  # epoch seconds
    received: float
    recall: bool = False


@dataclass
class Log:
    lock: threading.Lock = field(default_factory=threading.Lock)
    requests: list[tuple[str, int, float]] = field(default_factory=list)  # kind, status, ms
    calls: list[Call] = field(default_factory=list)
    transfers: list[tuple[int, float]] = field(default_factory=list)
    check_ins: list[dict[str, Any]] = field(default_factory=list)
    feedback_sent: int = 0
    feedback_ok: int = 0
    transport_errors: list[str] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)

    def add(self, name: str, item: Any) -> None:
        with self.lock:
            getattr(self, name).append(item)


class Api:
    """A keep-alive JSON client for one token (one per thread)."""

    def __init__(self, base_url: str, token: str, log: Log) -> None:
        self.port = int(base_url.rsplit(":", 1)[1])
        self.token = token
        self.log = log
        self.conn: http.client.HTTPConnection | None = None

    def request(
        self, method: str, path: str, kind: str, body: Any = None
    ) -> tuple[int, Any, float, float]:
        payload = json.dumps(body or {}).encode() if method == "POST" else None
        headers = {
            "Authorization": f"Bearer {self.token}",
            "Accept": "application/json",
            "Content-Type": "application/json",
        }
        if self.conn is None:
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        sent, started = time.time(), time.perf_counter()
        try:
            self.conn.request(method, "/api/v1" + path, body=payload, headers=headers)
            response = self.conn.getresponse()
            raw = response.read()
        except (OSError, http.client.HTTPException) as exc:
            self.conn.close()
            self.conn = None
            self.log.add("transport_errors", f"{kind} {path}: {exc!r}")
            return 0, None, sent, time.time()
        received = time.time()
        self.log.add("requests", (kind, response.status, (time.perf_counter() - started) * 1000))
        try:
            data = json.loads(raw) if raw else None
        except ValueError:
            data = None
        return response.status, data, sent, received


def error_code(data: Any) -> str:
    return (data or {}).get("error", {}).get("code", "") if isinstance(data, dict) else ""


@dataclass
class Morning:
    """Shared state of one run."""

    speed: float
    base_url: str
    accounts: Accounts
    log: Log
    seed: int
    t0: float = 0.0
    arrivals_done: threading.Event = field(default_factory=threading.Event)
    done: threading.Event = field(default_factory=threading.Event)
    crashed: threading.Event = field(default_factory=threading.Event)
    feedback: "queue.PriorityQueue[tuple[float, int, int, str]]" = field(
        default_factory=queue.PriorityQueue
    )

    def sim_now(self) -> float:
        return (time.time() - self.t0) * self.speed

    def sleep_sim(self, seconds: float) -> None:
        time.sleep(max(0.0, seconds / self.speed))

    def offer_feedback(self, rng: random.Random, visit_id: int, waited_sim: float) -> None:
        if rng.random() >= FEEDBACK_SHARE:
            return
        rating = rng.choices([5, 4, 3, 2, 1], [50, 30, 10, 6, 4])[0]
        if waited_sim > 30 * 60 and rating > 2 and rng.random() < 0.5:
            rating -= 1  # a long wait costs a star now and then
        comment = rng.choice(COMMENTS[rating]) if rng.random() < 0.35 else ""
        due = time.time() + rng.uniform(20, 120) / self.speed
        self.feedback.put((due, visit_id, rating, comment))


# --- Visitors ------------------------------------------------------------------------------------


def arrival_times(rng: random.Random) -> list[float]:
    """300 arrivals of a Poisson process with a morning peak, conditioned on their number:
    i.i.d. draws from the rate's shape (rejection sampling), sorted."""

    def rate(t: float) -> float:  # relative arrivals per second over the hour
        x = t / HOUR
        return 0.45 + 1.6 * math.exp(-(((x - 0.35) / 0.16) ** 2))

    peak = 2.05
    times: list[float] = []
    while len(times) < CHECK_INS:
        t = rng.uniform(0, HOUR)
        if rng.uniform(0, peak) < rate(t):
            times.append(t)
    return sorted(times)


def visitors(m: Morning) -> None:
    """Each arrival at its time; three kiosk threads so a slow answer delays nobody behind."""
    rng = random.Random(m.seed + 1)
    codes = [s.code for s in SERVICES]
    shares = [s.share for s in SERVICES]
    known = list(m.accounts.known)
    rng.shuffle(known)
    branch = m.accounts.branch_id
    kiosks = threading.local()

    def send(path: str, kind: str, body: dict[str, Any], facts: dict[str, Any]) -> None:
        try:
            if not hasattr(kiosks, "api"):
                kiosks.api = Api(m.base_url, m.accounts.kiosk[1], m.log)
            status, data, sent, _r = kiosks.api.request("POST", path, kind, body)
            if status != 201:
                m.log.add("unexpected", f"{kind} {status} {data}")
                return
            m.log.add(
                "check_ins",
                {
                    **facts,
                    "visit_id": data["visit"]["id"],
                    "ticket": data["visit"]["ticket_number"],
                    "lag_sim": (sent - m.t0) * m.speed - facts["sim"],
                },
            )
        except Exception:  # reported in the checks
            import traceback

            m.log.add("unexpected", f"{kind} crashed: {traceback.format_exc()}")

    with ThreadPoolExecutor(max_workers=3) as pool:
        for n, at in enumerate(arrival_times(rng)):
            code = rng.choices(codes, shares)[0]
            body, identity = visitor_identity(rng, code, known[n % len(known)])
            facts = {
                "service": code,
                "identity": identity,
                "sim": at,
                "remote": False,
                "priority": "",
            }
            if rng.random() < REMOTE_SHARE:
                if "phone" not in body:
                    body, facts["identity"] = (
                        {"phone": mobile(rng), "name": rng.choice(FIRST)},
                        "new",
                    )
                body = {
                    "service_id": m.accounts.services[code],
                    "phone": body["phone"],
                    "name": body.get("name", ""),
                }
                facts["remote"] = True
                call = (f"/branches/{branch}/remote-join", "remote-join", body, facts)
            else:
                body["service_id"] = m.accounts.services[code]
                if rng.random() < PRIORITY_SHARE:
                    body["priority_category"] = facts["priority"] = rng.choices(
                        ["elderly", "pregnant", "disabled"], [50, 25, 25]
                    )[0]
                if rng.random() < NOTE_SHARE:
                    body["note"] = rng.choice(NOTES[code])
                call = (f"/branches/{branch}/check-in", "check-in", body, facts)
            while m.sim_now() < at:
                time.sleep(min(0.05, (at - m.sim_now()) / m.speed))
            pool.submit(send, *call)
    m.arrivals_done.set()


def visitor_identity(
    rng: random.Random, code: str, known: tuple[str, str]
) -> tuple[dict[str, Any], str]:
    """Who says who they are: a known customer (phone, either way written, or member number),
    a phone we have not seen (a new customer or prospect is recorded), or nobody."""
    who = rng.random()
    prospect = SPEC[code].purpose == "prospect"
    if who < KNOWN_SHARE and not prospect:
        phone, member = known
        if member and rng.random() < 0.3:
            return {"membership_number": member}, "known"
        return {"phone": phone if rng.random() < 0.5 else "0" + phone[3:]}, "known"
    if who < KNOWN_SHARE + NEW_PHONE_SHARE or (prospect and who < 0.6):
        return {"phone": mobile(rng), "name": f"{rng.choice(FIRST)} {rng.choice(LAST)}"}, "new"
    return {}, "anonymous"


def feedback_giver(m: Morning) -> None:
    api = Api(m.base_url, m.accounts.kiosk[1], m.log)
    while not (m.done.is_set() and m.feedback.empty()):
        try:
            due, visit_id, rating, comment = m.feedback.get(timeout=0.2)
        except queue.Empty:
            continue
        time.sleep(max(0.0, due - time.time()))
        status, data, _s, _r = api.request(
            "POST",
            f"/visits/{visit_id}/feedback",
            "feedback",
            {"rating": rating, "comment": comment, "channel": "kiosk"},
        )
        with m.log.lock:
            m.log.feedback_sent += 1
            m.log.feedback_ok += status == 201
        if status != 201:
            m.log.add("unexpected", f"feedback {status} {data}")
        m.feedback.task_done()


# --- Clerks through the API --------------------------------------------------------------------


def api_clerk(m: Morning, index: int) -> None:
    rng = random.Random(m.seed + 100 + index)
    counter = m.accounts.counters[index]
    api = Api(m.base_url, m.accounts.clerks[index][1], m.log)
    status, data, _s, _r = api.request("POST", f"/counters/{counter}/open", "open", {})
    if status != 200:
        m.log.add("unexpected", f"open counter {counter}: {status} {data}")
        return
    skills = CLERKS[index][1]
    specific = list(OUT_OF_ORDER_AT) if index == 4 else []
    while not m.done.is_set():
        visit = None
        if specific and m.sim_now() >= specific[0] * HOUR:
            specific.pop(0)
            visit = call_out_of_order(m, api, counter, skills)
        if visit is None:
            status, data, sent, received = api.request(
                "POST", f"/counters/{counter}/call-next", "call-next"
            )
            if status == 409 and error_code(data) == "queue_empty":
                m.sleep_sim(POLL_SIM)
                continue
            if status != 200:
                m.log.add("unexpected", f"call-next {status} {data}")
                m.sleep_sim(POLL_SIM)
                continue
            visit = data
            m.log.add(
                "calls", Call(visit["id"], visit["ticket_number"], counter, "api", sent, received)
            )
        serve_at_counter(m, api, rng, visit, counter)


def call_out_of_order(m: Morning, api: Api, counter: int, skills: dict[str, int]) -> Any:
    """The supervisor asks Loket 5 to take a visitor who cannot wait (logged with a reason)."""
    with m.log.lock:
        called = {c.visit_id for c in m.log.calls}
        waiting = [
            c for c in m.log.check_ins if c["visit_id"] not in called and c["service"] in skills
        ]
    if not waiting:
        return None
    target = waiting[len(waiting) // 2]
    status, data, sent, received = api.request(
        "POST",
        f"/counters/{counter}/call",
        "call-specific",
        {"visit_id": target["visit_id"], "reason": "Nasabah berkursi roda, diminta supervisor"},
    )
    if status != 200:
        if error_code(data) != "already_called":
            m.log.add("unexpected", f"call-specific {status} {data}")
        return None
    m.log.add(
        "calls", Call(data["id"], data["ticket_number"], counter, "api-specific", sent, received)
    )
    return data


def serve_at_counter(m: Morning, api: Api, rng: random.Random, visit: Any, counter: int) -> None:
    vid, ticket = visit["id"], visit["ticket_number"]
    code = next(c for c, i in m.accounts.services.items() if i == visit["service_id"])
    roll = rng.random()
    recalls = 2 if roll < NO_SHOW_SHARE else 1 if roll < NO_SHOW_SHARE + LATE_SHARE else 0
    for _ in range(recalls):
        m.sleep_sim(rng.uniform(45, 75))
        status, data, sent, received = api.request("POST", f"/visits/{vid}/recall", "recall")
        if status != 200:
            m.log.add("unexpected", f"recall {status} {data}")
            continue
        m.log.add("calls", Call(vid, ticket, counter, "api", sent, received, recall=True))
    if recalls == 2:
        m.sleep_sim(rng.uniform(45, 75))
        status, data, _s, _r = api.request("POST", f"/visits/{vid}/no-show", "no-show")
        if status != 200:
            m.log.add("unexpected", f"no-show {status} {data}")
        return
    m.sleep_sim(rng.uniform(*WALK_SIM))  # the visitor walks to the counter
    status, data, _s, _r = api.request("POST", f"/visits/{vid}/start", "start")
    if status != 200:
        m.log.add("unexpected", f"start {status} {data}")
        return
    served = service_seconds(rng, SPEC[code].minutes)
    if rng.random() < TRANSFER_SHARE:
        m.sleep_sim(served * 0.5)
        target = TRANSFER_TO[code]
        status, data, _s, received = api.request(
            "POST",
            f"/visits/{vid}/transfer",
            "transfer",
            {"service_id": m.accounts.services[target], "reason": "Perlu ditangani bagian lain"},
        )
        if status == 200:
            m.log.add("transfers", (vid, received))
            return
        m.log.add("unexpected", f"transfer {status} {data}")
    m.sleep_sim(served)
    status, data, _s, _r = api.request(
        "POST", f"/visits/{vid}/finish", "finish", {"outcome_note": "Selesai dilayani."}
    )
    if status != 200:
        m.log.add("unexpected", f"finish {status} {data}")
        return
    waited = _waited(data)
    m.offer_feedback(rng, vid, waited * m.speed)


def _waited(visit: dict[str, Any]) -> float:
    called = datetime.fromisoformat(visit["called_at"])
    return (called - datetime.fromisoformat(visit["queue_since"])).total_seconds()


# --- The three browser windows --------------------------------------------------------------------


class BrowserClerk:
    """Loket 6, worked by clicking the counter page: call next, start, finish (and a recall)."""

    def __init__(self, m: Morning, page: Any) -> None:
        self.m = m
        self.page = page
        self.rng = random.Random(m.seed + 200)
        self.counter = m.accounts.counters[5]
        self.state = "idle"
        self.due = 0.0
        self.visit: tuple[int, str] | None = None
        self.code = ""

    def click(self, selector: str) -> tuple[float, float]:
        sent = time.time()
        with self.page.expect_navigation():
            self.page.click(selector)
        return sent, time.time()

    def step(self) -> None:
        if time.time() < self.due:
            return
        page, m = self.page, self.m
        if self.state == "idle":
            total = page.get_attribute("[data-waiting-total]", "data-waiting-total")
            if m.done.is_set() or not total or int(total) == 0:
                self.due = time.time() + POLL_SIM / m.speed
                return
            sent, received = self.click("#call-next")
            current = page.query_selector("#current-visit")
            if current is None:
                problem = page.query_selector("#page-error")
                code = problem.get_attribute("data-code") if problem else "?"
                if code != "queue_empty":
                    m.log.add("unexpected", f"browser call-next: {code}")
                self.due = time.time() + POLL_SIM / m.speed
                return
            vid, ticket = (
                int(current.get_attribute("data-visit")),
                current.get_attribute("data-ticket"),
            )
            m.log.add("calls", Call(vid, ticket, self.counter, "browser", sent, received))
            m.log.add("requests", ("browser-call-next", 200, (received - sent) * 1000))
            self.visit = (vid, ticket)
            self.state = "recall" if self.rng.random() < LATE_SHARE else "called"
            self.due = time.time() + self.rng.uniform(*WALK_SIM) / m.speed
        elif self.state == "recall":
            sent, received = self.click("#recall")
            assert self.visit is not None
            m.log.add("calls", Call(*self.visit, self.counter, "browser", sent, received, True))
            self.state = "called"
            self.due = time.time() + self.rng.uniform(20, 40) / m.speed
        elif self.state == "called":
            self.click("#start-service")
            service = page.text_content("#current-visit .ticket-facts > div:nth-child(2)") or ""
            minutes = next((s.minutes for s in SERVICES if service.startswith(s.name_id)), 2)
            self.state = "serving"
            self.due = time.time() + service_seconds(self.rng, minutes) / m.speed
        elif self.state == "serving":
            page.fill("#id_outcome_note", "Selesai dilayani di Loket 6.")
            self.click("#finish-service")
            assert self.visit is not None
            m.offer_feedback(self.rng, self.visit[0], 0)
            self.visit = None
            self.state = "idle"
            self.due = time.time()

    @property
    def idle(self) -> bool:
        return self.state == "idle"


@dataclass
class Windows:
    supervisor: Any
    counter: Any
    display: Any
    server_errors: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    page_requests: Tally[str] = field(default_factory=Tally)


LINK_LOG = """() => {
  window.benchLinks = [[document.body.dataset.connected, Date.now()]];
  new MutationObserver(() => window.benchLinks.push([document.body.dataset.connected, Date.now()]))
    .observe(document.body, {attributes: true, attributeFilter: ["data-connected"]});
}"""


def open_windows(m: Morning, chromium: Any) -> Windows:
    from layani.testing.browser import sign_in

    base, branch = m.base_url, m.accounts.branch_id
    pages = []
    for username, viewport in (
        (m.accounts.supervisor[0], DESK),
        (m.accounts.clerks[5][0], DESK),
        (m.accounts.kiosk[0], TV),
    ):
        page = chromium.new_page(viewport)
        page.set_default_timeout(30_000)
        sign_in(page, base, username, PASSWORD)
        pages.append(page)
    windows = Windows(*pages)
    for page in pages:
        page.on("response", lambda r, w=windows: _watch_response(w, r))
        page.on(
            "console",
            lambda msg, w=windows: msg.type == "error" and w.console_errors.append(msg.text),
        )
        page.on("pageerror", lambda exc, w=windows: w.console_errors.append(str(exc)))
    windows.supervisor.goto(f"{base}/branch/{branch}/supervisor/")
    windows.counter.goto(f"{base}/branch/{branch}/counter/")
    windows.counter.click(f"#counter-picker li[data-counter='{m.accounts.counters[5]}'] button")
    windows.counter.wait_for_selector("#call-next")
    display = windows.display
    display.goto(f"{base}/branch/{branch}/display/")
    if display.locator("#sound-overlay").is_visible():
        display.locator("#enable-sound").click()
    display.wait_for_function("document.body.dataset.sound === 'on'")
    display.wait_for_function("document.body.dataset.connected === 'true'")
    display.evaluate(LINK_LOG)
    windows.supervisor.wait_for_function("document.body.dataset.live === 'on'")
    return windows


def _watch_response(windows: Windows, response: Any) -> None:
    if response.status >= 500:
        windows.server_errors.append(f"{response.status} {response.url}")
    path = re.sub(r"/\d+/", "/<id>/", "/" + response.url.split("?")[0].split("/", 3)[-1])[1:]
    if "/static/" not in response.url:
        windows.page_requests[path.split("/", 2)[-1] if path.startswith("branch/") else path] += 1


def supervisor_totals(page: Any) -> dict[str, str]:
    return page.evaluate("({...document.getElementById('totals').dataset})")


def screenshots(windows: Windows, label: str, database: str) -> list[str]:
    OUT.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, page, full in (
        ("supervisor", windows.supervisor, True),
        ("counter", windows.counter, True),
        ("display", windows.display, False),
    ):
        path = OUT / f"busy-morning-{database}-{label}-{name}.png"
        page.screenshot(path=str(path), full_page=full)
        paths.append(str(path.relative_to(ROOT)))
    return paths


def quiet(m: Morning, api: Api, clerk: BrowserClerk) -> bool:
    """Every arrival made, nobody waiting or at a counter, and all feedback given."""
    if not m.arrivals_done.is_set() or not clerk.idle or m.feedback.unfinished_tasks:
        return False
    status, data, _s, _r = api.request("GET", f"/branches/{m.accounts.branch_id}/queue", "queue")
    return (
        status == 200
        and data["waiting"] == 0
        and all(c["current_ticket"] is None for c in data["counters"])
    )


def guarded(m: Morning, target: Any, *args: Any) -> threading.Thread:
    """A daemon thread whose crash is recorded (and ends the run as a failure)."""

    def run() -> None:
        try:
            target(m, *args)
        except Exception:  # reported in the checks
            import traceback

            m.log.add("unexpected", f"{target.__name__} crashed: {traceback.format_exc()}")
            print(traceback.format_exc(), file=sys.stderr, flush=True)
            m.crashed.set()

    return threading.Thread(target=run, name=target.__name__, daemon=True)


def run_morning(m: Morning, database: str) -> dict[str, Any]:
    from layani.testing.browser import CHROMIUM_PATH, ChromiumSession

    chromium = ChromiumSession(CHROMIUM_PATH)  # launches with layani.testing.browser's flags
    try:
        windows = open_windows(m, chromium)
        clerk = BrowserClerk(m, windows.counter)
        watcher = Api(m.base_url, m.accounts.supervisor[1], m.log)
        threads = [guarded(m, visitors), guarded(m, feedback_giver)]
        threads += [guarded(m, api_clerk, i) for i in range(5)]
        m.t0 = time.time()
        for thread in threads:
            thread.start()
        shots: dict[str, list[str]] = {}
        progress: list[dict[str, Any]] = []
        next_progress, next_quiet_check = 0.0, 0.0
        while True:
            clerk.step()
            sim = m.sim_now()
            for label, share in (("25pct", 0.25), ("50pct", 0.5)):
                if label not in shots and sim >= share * HOUR:
                    shots[label] = screenshots(windows, label, database)
            if sim >= next_progress:
                totals = supervisor_totals(windows.supervisor)
                progress.append({"sim_minutes": round(sim / 60), **totals})
                print(
                    f"  {sim / 60:5.1f} min: checked in {len(m.log.check_ins)}, "
                    f"waiting {totals.get('waiting')}, served {totals.get('served')}, "
                    f"MAE {totals.get('estimateErrorSeconds') or '-'} s "
                    f"(n={totals.get('estimatesJudged')})",
                    flush=True,
                )
                next_progress += 600
            if time.time() >= next_quiet_check:
                next_quiet_check = time.time() + 0.5
                if quiet(m, watcher, clerk) or sim > MAX_SIM_HOURS * HOUR or m.crashed.is_set():
                    break
            windows.counter.wait_for_timeout(50)
        finished_sim = m.sim_now()
        m.done.set()
        for thread in threads:
            thread.join(timeout=30)
        windows.display.wait_for_timeout(3000)  # the last pushes and htmx refreshes land
        read_at = time.time()
        shots["end"] = screenshots(windows, "end", database)
        page_state = {
            "applied": windows.display.evaluate("window.layaniApplied"),
            "announcements": windows.display.evaluate("window.layaniAnnouncementLog"),
            "links": windows.display.evaluate("window.benchLinks"),
            "display_calls_applied": windows.display.evaluate("document.body.dataset.callsApplied"),
            "supervisor": supervisor_totals(windows.supervisor),
            "supervisor_rows": windows.supervisor.evaluate(
                "[...document.querySelectorAll('#service-table tbody tr')]"
                ".map(r => ({...r.dataset}))"
            ),
            "server_errors": windows.server_errors,
            "console_errors": windows.console_errors,
            "page_requests": dict(windows.page_requests.most_common()),
        }
        windows.supervisor.reload()
        page_state["supervisor_reloaded"] = supervisor_totals(windows.supervisor)
    finally:
        chromium.close()
    return {
        "shots": shots,
        "progress": progress,
        "finished_sim": finished_sim,
        "read_at": read_at,
        **page_state,
    }


# --- Verification ---------------------------------------------------------------------------------


def verify(
    m: Morning, seen: dict[str, Any], server: Server
) -> tuple[list[tuple[str, bool, str]], dict[str, Any]]:
    from django.db.models import Count

    from layani.branches.models import Branch, Visit, VisitStatus, WaitEstimate
    from layani.branches.queue_queries import branch_queue, service_day
    from layani.conversations.models import (
        EventKind,
        OutboxMessage,
        OutboxStatus,
        TimelineEvent,
    )
    from layani.feedback.models import SurveyResponse

    log, speed = m.log, m.speed
    checks: list[tuple[str, bool, str]] = []
    branch = Branch.objects.get(pk=m.accounts.branch_id)
    started = datetime.fromtimestamp(m.t0, ZoneInfo("UTC"))
    visits = {
        v.pk: v
        for v in Visit.objects.filter(branch=branch, service_day=service_day(branch, started))
    }
    statuses = Tally(v.status for v in visits.values())

    checks.append(
        (
            "300 check-ins made and stored",
            len(log.check_ins) == CHECK_INS == len(visits),
            f"{len(log.check_ins)} answered 201, {len(visits)} visits stored",
        )
    )
    active = (
        statuses[VisitStatus.WAITING] + statuses[VisitStatus.CALLED] + statuses[VisitStatus.SERVING]
    )
    checks.append(("the queue drained", active == 0, f"final statuses {dict(statuses)}"))

    # Called at most once: per visit, calls (recalls excluded) <= 1 + transfers, and a second
    # call of the same visit only after it was transferred back into the queue.
    first_calls = [c for c in log.calls if not c.recall]
    by_visit: dict[int, list[Call]] = defaultdict(list)
    for call in sorted(first_calls, key=lambda c: c.received):
        by_visit[call.visit_id].append(call)
    transfers = defaultdict(list)
    for vid, at in log.transfers:
        transfers[vid].append(at)
    doubles = []
    for vid, calls in by_visit.items():
        visit = visits.get(vid)
        allowed = 1 + (visit.transfer_count if visit else 0)
        if len(calls) > allowed:
            doubles.append(f"{calls[0].ticket}: {len(calls)} calls, {allowed - 1} transfers")
        for before, after in itertools.pairwise(calls):
            if not any(before.received <= t <= after.sent for t in transfers[vid]):
                doubles.append(
                    f"{before.ticket} called by counters {before.counter} and "
                    f"{after.counter} without a transfer between"
                )
    logged = Tally(
        TimelineEvent.objects.filter(kind=EventKind.VISIT_CALLED, visit__in=list(visits))
        .exclude(details__has_key="recall")
        .values_list("visit_id", flat=True)
    )
    for vid, n in logged.items():
        if n > 1 + visits[vid].transfer_count:
            doubles.append(f"{visits[vid].ticket_number}: {n} visit_called events")
    db_calls = sum(
        v.transfer_count + (v.status != VisitStatus.WAITING)
        for v in visits.values()
        if v.called_at is not None or v.transfer_count
    )
    checks.append(
        (
            "no visitor called twice",
            not doubles and db_calls == len(first_calls),
            f"{len(first_calls)} calls by the clients ({len(by_visit)} visitors, "
            f"{len(log.transfers)} transfers), {db_calls} by the visits' stamps; "
            f"{sum(logged.values())} visit_called events of known customers"
            + (f"; problems: {doubles[:5]}" if doubles else ""),
        )
    )

    statuses_by_kind = Tally(f"{k} {s}" for k, s, _ms in log.requests)
    fives = [k for k, s, _ms in log.requests if s >= 500] + seen["server_errors"]
    server_lines = server.errors_logged()
    checks.append(
        (
            "no 5xx, no transport error",
            not fives and not log.transport_errors and not server_lines,
            f"{len(log.requests)} API requests, 5xx: {len(fives)}, transport errors: "
            f"{len(log.transport_errors)}, server log errors: {len(server_lines)}",
        )
    )
    checks.append(
        (
            "no unexpected API answer",
            not log.unexpected,
            f"{len(log.unexpected)}: {log.unexpected[:5]}",
        )
    )

    # The display: every call (and recall) applied once, live.
    applied = seen["applied"]
    shown: dict[tuple[str, bool], list[dict[str, Any]]] = defaultdict(list)
    for entry in applied:
        shown[(entry["ticket"], bool(entry["recall"]))].append(entry)
    latencies, after_request, missing = [], [], []
    for call in sorted(log.calls, key=lambda c: c.received):
        entries = shown[(call.ticket, call.recall)]
        if not entries:
            if seen["read_at"] - call.received > 1:  # calls of the last second may be in flight
                missing.append(call.ticket)
            continue
        entry = entries.pop(0)
        if call.source != "browser":  # the browser's "response" is the next page's load
            latencies.append(entry["at"] - call.received * 1000)
            after_request.append(entry["at"] - call.sent * 1000)
    extra = [k for k, rest in shown.items() for _e in rest]
    reconnects = sum(1 for state, _t in seen["links"][1:] if state == "false")
    checks.append(
        (
            "the display showed every call",
            not missing and not extra,
            f"{len(applied)} calls applied on the display for {len(log.calls)} calls "
            f"and recalls; missing {missing[:5]}, unexpected {extra[:5]}, "
            f"websocket drops {reconnects}",
        )
    )
    log_entries = seen["announcements"]
    overlaps = sum(
        1
        for a, b in itertools.pairwise(log_entries)
        if a["end"] is not None and b["start"] < a["end"]
    )
    checks.append(("announcements never overlap", overlaps == 0, f"{overlaps} overlaps"))

    queue_now = branch_queue(branch)
    page = seen["supervisor"]
    page_mae = int(page["estimateErrorSeconds"]) if page.get("estimateErrorSeconds") else None
    checks.append(
        (
            "supervisor page (live, no reload) shows the estimate error of the database",
            page_mae == queue_now.estimate_error_seconds
            and int(page["estimatesJudged"]) == queue_now.estimates_judged
            and int(page["served"]) == queue_now.served
            and int(page["noShows"]) == queue_now.no_shows,
            f"page MAE {page_mae} s over {page['estimatesJudged']}, served "
            f"{page['served']}, no-shows {page['noShows']}; branch_queue MAE "
            f"{queue_now.estimate_error_seconds} s over {queue_now.estimates_judged}, "
            f"served {queue_now.served}, no-shows {queue_now.no_shows}",
        )
    )

    responses = SurveyResponse.objects.filter(visit__in=list(visits)).count()
    checks.append(
        (
            "feedback recorded as sent",
            responses == log.feedback_ok == log.feedback_sent
            and queue_now.feedback_count == responses,
            f"sent {log.feedback_sent}, answered 201 {log.feedback_ok}, stored "
            f"{responses}, supervisor counts {queue_now.feedback_count} "
            f"(average {queue_now.feedback_average})",
        )
    )

    estimates = list(
        WaitEstimate.objects.filter(
            visit__in=list(visits), actual_seconds__isnull=False
        ).values_list("service__code", "estimated_seconds", "actual_seconds")
    )
    errors = [abs(e - a) for _c, e, a in estimates]
    per_service = {}
    for code in SPEC:
        rows = [(e, a) for c, e, a in estimates if c == code]
        if rows:
            per_service[code] = {
                "n": len(rows),
                "mae_min": round(statistics.fmean(abs(e - a) for e, a in rows) * speed / 60, 1),
                "mean_wait_min": round(statistics.fmean(a for _e, a in rows) * speed / 60, 1),
                "mean_estimate_min": round(statistics.fmean(e for e, _a in rows) * speed / 60, 1),
            }
    waits = [(v.called_at - v.queue_since).total_seconds() for v in visits.values() if v.called_at]
    api_ms = defaultdict(list)
    for kind, status, ms in log.requests:
        if 200 <= status < 300:
            api_ms[kind].append(ms)
    empty_calls = statuses_by_kind.get("call-next 409", 0)
    outbox = dict(
        OutboxMessage.objects.filter(visit__in=list(visits))
        .values("reason")
        .annotate(n=Count("id"))
        .order_by()
        .values_list("reason", "n")
    )
    outbox["delivered"] = OutboxMessage.objects.filter(
        visit__in=list(visits), status=OutboxStatus.SENT
    ).count()
    announce_ms = [a["end"] - a["start"] for a in log_entries if a["end"] is not None]
    ci = log.check_ins
    numbers = {
        "speed": speed,
        "finished_after_sim_minutes": round(seen["finished_sim"] / 60, 1),
        "check_ins": len(ci),
        "remote_joins": sum(c["remote"] for c in ci),
        "known_customers": sum(c["identity"] == "known" for c in ci),
        "new_phones": sum(c["identity"] == "new" for c in ci),
        "priority": sum(bool(c["priority"]) for c in ci),
        "statuses": dict(statuses),
        "calls": len(first_calls),
        "recalls": sum(c.recall for c in log.calls),
        "browser_calls": sum(c.source == "browser" and not c.recall for c in log.calls),
        "out_of_order_calls": sum(c.source == "api-specific" for c in log.calls),
        "transfers": len(log.transfers),
        "mae_seconds_compressed": queue_now.estimate_error_seconds,
        "mae_real_minutes": round(statistics.fmean(errors) * speed / 60, 2) if errors else None,
        "estimates_judged": len(errors),
        "mean_wait_real_minutes": round(statistics.fmean(waits) * speed / 60, 2),
        "p95_wait_real_minutes": round(percentile(waits, 0.95) * speed / 60, 1),
        "mean_estimate_real_minutes": round(
            statistics.fmean(e for _c, e, _a in estimates) * speed / 60, 2
        ),
        "mean_signed_error_real_minutes": round(
            statistics.fmean(e - a for _c, e, a in estimates) * speed / 60, 2
        ),
        "per_service": per_service,
        "diagnosis": estimator_diagnosis(list(visits.values()), speed),
        "arrival_lag_sim_seconds_max": round(max((c["lag_sim"] for c in ci), default=0), 1),
        "feedback": {
            "sent": log.feedback_sent,
            "stored": responses,
            "average": queue_now.feedback_average,
        },
        "api_ms": {
            k: {
                "n": len(v),
                "p50": round(percentile(v, 0.5), 1),
                "p95": round(percentile(v, 0.95), 1),
            }
            for k, v in sorted(api_ms.items())
        },
        "empty_call_next": empty_calls,
        "display_latency_ms": {
            "after_response_p50": round(percentile(latencies, 0.5) or 0, 1),
            "after_response_p95": round(percentile(latencies, 0.95) or 0, 1),
            "after_request_p50": round(percentile(after_request, 0.5) or 0, 1),
            "after_request_p95": round(percentile(after_request, 0.95) or 0, 1),
            "max_after_request": round(max(after_request or [0]), 1),
        },
        "announcements": {
            "spoken": len(log_entries),
            "applied": len(applied),
            "p50_ms": round(percentile(announce_ms, 0.5) or 0),
        },
        "display_websocket_drops": reconnects,
        "browser_requests": seen["page_requests"],
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "console_errors": seen["console_errors"][:10],
        "outbox": outbox,
        "supervisor_page_end": page,
        "supervisor_page_reloaded": seen["supervisor_reloaded"],
        "screenshots": seen["shots"],
        "progress": seen["progress"],
    }
    return checks, numbers


def estimator_diagnosis(visits: list[Any], speed: float) -> dict[str, Any]:
    """Why the estimates miss, on this run's own stamps: the estimator's service time (start to
    finish) against the time a call really takes a counter (call to finish), and the error
    of a whole-branch estimate given at each check-in: everyone waiting ahead, for any
    service, x the recent call-to-finish time / open counters (+ half a visit when all busy)."""
    done = sorted(
        (v for v in visits if v.status == "done" and v.called_at and v.serving_started_at),
        key=lambda v: v.finished_at,
    )
    serve = [(v.finished_at - v.serving_started_at).total_seconds() for v in done]
    taken = [(v.finished_at - v.called_at).total_seconds() for v in done]
    counters = len(CLERKS)
    errors, signed = [], []
    plain = [v for v in visits if not v.transfer_count and v.called_at]
    for v in plain:
        t = v.checked_in_at
        ahead = sum(1 for w in plain if w.checked_in_at < t < w.called_at and w.pk != v.pk)
        recent = [x for x, d in zip(taken, done, strict=True) if d.finished_at <= t][-20:]
        mean = statistics.fmean(recent) if recent else statistics.fmean(taken)
        busy = sum(1 for d in done if d.called_at <= t < d.finished_at)
        estimate = ahead * mean / counters + (mean / 2 if busy >= counters else 0)
        actual = (v.called_at - v.queue_since).total_seconds()
        errors.append(abs(estimate - actual))
        signed.append(estimate - actual)
    return {
        "estimator_service_seconds_real": round(statistics.fmean(serve) * speed),
        "counter_taken_seconds_real": round(statistics.fmean(taken) * speed),
        "whole_branch_mae_real_minutes": round(statistics.fmean(errors) * speed / 60, 2),
        "whole_branch_signed_real_minutes": round(statistics.fmean(signed) * speed / 60, 2),
    }


def report(
    checks: list[tuple[str, bool, str]], numbers: dict[str, Any], database: str, realtime: str
) -> None:
    n = numbers
    print(
        f"\nBusy morning on {database} ({realtime}), speed x{n['speed']}: "
        f"drained after {n['finished_after_sim_minutes']} simulated minutes"
    )
    print(
        f"  check-ins {n['check_ins']} (remote {n['remote_joins']}, known customers "
        f"{n['known_customers']}, new phones {n['new_phones']}, priority {n['priority']}); "
        f"calls {n['calls']} (browser {n['browser_calls']}, out of order "
        f"{n['out_of_order_calls']}), recalls {n['recalls']}, transfers {n['transfers']}; "
        f"final {n['statuses']}"
    )
    print(
        f"  waits: mean {n['mean_wait_real_minutes']} min, p95 {n['p95_wait_real_minutes']} "
        f"min; estimates: mean {n['mean_estimate_real_minutes']} min, MAE "
        f"{n['mae_real_minutes']} min (page: {n['mae_seconds_compressed']} s compressed x"
        f"{n['speed']:g}), mean signed error {n['mean_signed_error_real_minutes']} min, "
        f"n={n['estimates_judged']}"
    )
    dx = n["diagnosis"]
    print(
        f"  estimator's service time {dx['estimator_service_seconds_real']} s vs counter taken "
        f"per visit {dx['counter_taken_seconds_real']} s; a whole-branch estimate would have "
        f"MAE {dx['whole_branch_mae_real_minutes']} min (signed "
        f"{dx['whole_branch_signed_real_minutes']}); arrivals late by at most "
        f"{n['arrival_lag_sim_seconds_max']} simulated s"
    )
    for code, row in n["per_service"].items():
        print(
            f"    {code:10s} n={row['n']:3d} wait {row['mean_wait_min']:5.1f} est "
            f"{row['mean_estimate_min']:5.1f} MAE {row['mae_min']:5.1f} min"
        )
    for kind, row in n["api_ms"].items():
        print(f"  {kind:18s} n={row['n']:4d} p50 {row['p50']:7.1f} ms  p95 {row['p95']:7.1f} ms")
    d = n["display_latency_ms"]
    print(
        f"  display: call response -> screen p50 {d['after_response_p50']} ms, p95 "
        f"{d['after_response_p95']} ms; request sent -> screen p50 {d['after_request_p50']} "
        f"ms, p95 {d['after_request_p95']} ms, max {d['max_after_request']} ms; "
        f"announcements {n['announcements']}"
    )
    print(
        f"  feedback {n['feedback']}; outbox {n['outbox']}; empty call-next "
        f"{n['empty_call_next']}; load average {n['load_average']}\n  browser requests "
        f"{n['browser_requests']}"
    )
    print("\nChecks:")
    for name, ok, detail in checks:
        print(f"  [{'ok' if ok else 'FAIL'}] {name}: {detail}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
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


if __name__ == "__main__":
    main()
