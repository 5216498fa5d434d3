"""Wait estimates: a queue-length estimator over the whole branch, and a record of every
estimate we give.

estimate = people waiting ahead (any service) x recent counter occupancy per visitor
           / open counters
         + half an occupancy when every open counter is busy.

Why the whole branch: the call-next policy ages every waiting visitor, so the branch
serves people close to arrival order whatever their service, and the counters share the
load. Occupancy is call -> finish (walking up, recalls and service: the time a counter is
really taken), averaged over the last `SAMPLE` finished visits at the branch in the past
week; the service's default handling time before there is any history.

Measured (bench/RESULTS.md, busy morning, 300 visitors, mean wait 28 min): counting only
the visitor's own service with start -> finish times gave MAE 22 min, far too optimistic;
counting the services of the counters that serve the visitor gave MAE 23 min, far too
pessimistic; the whole-branch estimate gave 7.4 min with almost no bias.
"""

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Avg, Count, DurationField, ExpressionWrapper, F, Q
from django.utils import timezone

from layani.branches.models import Counter, Service, Visit, VisitStatus, WaitEstimate
from layani.branches.models.visit import ACTIVE_AT_COUNTER

SAMPLE = 20
HISTORY = timedelta(days=7)


def estimate_seconds(
    *, ahead: int, mean_service_seconds: float, counters: int, all_busy: bool
) -> int:
    """The estimator itself (pure)."""
    servers = max(1, counters)
    wait = ahead * mean_service_seconds / servers
    if all_busy:
        wait += mean_service_seconds / 2
    return max(0, math.ceil(wait))


def open_counters(branch_id: int) -> tuple[int, int]:
    """(open staffed counters, how many of them are serving someone now)."""
    counts = Counter.objects.filter(
        branch_id=branch_id, is_open=True, staff__isnull=False
    ).aggregate(
        total=Count("id", distinct=True),
        busy=Count("id", filter=Q(visits__status__in=ACTIVE_AT_COUNTER), distinct=True),
    )
    return counts["total"], counts["busy"]


def mean_occupancy_seconds(service: Service, branch_id: int, now: datetime) -> float:
    recent = (
        Visit.objects.filter(
            branch_id=branch_id,
            status=VisitStatus.DONE,
            finished_at__gte=now - HISTORY,
            called_at__isnull=False,
        )
        .order_by("-finished_at")
        .values("id")[:SAMPLE]
    )
    average = Visit.objects.filter(pk__in=recent).aggregate(
        took=Avg(ExpressionWrapper(F("finished_at") - F("called_at"), output_field=DurationField()))
    )["took"]
    if average is None:
        return service.default_handling_minutes * 60.0
    return max(1.0, average.total_seconds())


@dataclass(frozen=True)
class Estimate:
    position: int  # 1 = next in line for this service
    seconds: int
    counters: int

    @property
    def minutes(self) -> int:
        return math.ceil(self.seconds / 60)


def people_ahead(visit: Visit) -> int:
    return (
        Visit.objects.filter(branch_id=visit.branch_id, status=VisitStatus.WAITING)
        .filter(
            Q(queue_since__lt=visit.queue_since) | Q(queue_since=visit.queue_since, id__lt=visit.pk)
        )
        .count()
    )


def estimate_for(visit: Visit, *, now: datetime | None = None) -> Estimate:
    now = now or timezone.now()
    ahead = people_ahead(visit)
    total, busy = open_counters(visit.branch_id)
    seconds = estimate_seconds(
        ahead=ahead,
        mean_service_seconds=mean_occupancy_seconds(visit.service, visit.branch_id, now),
        counters=total,
        all_busy=total == 0 or busy >= total,
    )
    return Estimate(position=ahead + 1, seconds=seconds, counters=total)


def give_estimate(visit: Visit, *, shown_on: str) -> Estimate:
    """Compute an estimate and record that the visitor was told it."""
    now = timezone.now()
    estimate = estimate_for(visit, now=now)
    WaitEstimate.objects.create(
        visit=visit,
        branch_id=visit.branch_id,
        service_id=visit.service_id,
        given_at=now,
        position=estimate.position,
        estimated_seconds=estimate.seconds,
        shown_on=shown_on,
    )
    return estimate


def settle_estimates(visit: Visit) -> None:
    """At the call: how long the visitor really waited after each estimate they got."""
    if visit.called_at is None:
        return
    for estimate in WaitEstimate.objects.filter(visit=visit, actual_seconds__isnull=True):
        waited = max(0, int((visit.called_at - estimate.given_at).total_seconds()))
        estimate.actual_seconds = waited
        estimate.save(update_fields=["actual_seconds"])
