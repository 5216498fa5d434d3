"""What happened, as the clients saw it; the keep-alive API client; the state one run
shares between its threads."""

import http.client
import json
import queue
import random
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from .branch import Accounts
from .scenario import COMMENTS, FEEDBACK_SHARE


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
