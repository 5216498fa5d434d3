"""The visitors: check-ins at the kiosk or from outside over the hour, and the feedback
they give afterwards."""

import math
import queue
import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from .clients import Api, Morning
from .scenario import (
    CHECK_INS,
    FIRST,
    HOUR,
    KNOWN_SHARE,
    LAST,
    NEW_PHONE_SHARE,
    NOTE_SHARE,
    NOTES,
    PRIORITY_SHARE,
    REMOTE_SHARE,
    SERVICES,
    SPEC,
    mobile,
)


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
