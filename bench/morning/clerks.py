"""The five clerks who work through the API: call next, recall, no-show, start, transfer,
finish, and two out-of-order calls."""

import random
from datetime import datetime
from typing import Any

from .clients import Api, Call, Morning, error_code
from .scenario import (
    CLERKS,
    HOUR,
    LATE_SHARE,
    NO_SHOW_SHARE,
    OUT_OF_ORDER_AT,
    POLL_SIM,
    SPEC,
    TRANSFER_SHARE,
    TRANSFER_TO,
    WALK_SIM,
    service_seconds,
)


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
        status, data, sent, _r = api.request(
            "POST",
            f"/visits/{vid}/transfer",
            "transfer",
            {"service_id": m.accounts.services[target], "reason": "Perlu ditangani bagian lain"},
        )
        if status == 200:
            # When the transfer was sent: it commits before its answer arrives, so on a busy
            # machine another clerk may call the visitor before this clerk hears back.
            m.log.add("transfers", (vid, sent))
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
