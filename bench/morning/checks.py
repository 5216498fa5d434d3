"""After the morning: the checks (the database, the clients' log and the pages agree) and
the numbers (waits, estimate error and where it comes from, latencies)."""

import itertools
import os
import statistics
from collections import Counter as Tally
from collections import defaultdict
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from .clients import Call, Morning
from .scenario import CHECK_INS, CLERKS, SPEC
from .server import Server


def percentile(values: list[float], p: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p * (len(ordered) - 1)))]


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
