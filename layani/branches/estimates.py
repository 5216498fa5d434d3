"""Wait estimates: the standard queue-length estimator, and a record of every one we give.

estimate = people ahead x recent mean service time / counters serving the service
         + half a service time when every such counter is busy (the visitor in front of
           the queue still waits for someone to finish).

Recent mean service time: the last `SAMPLE` finished visits of the service at the branch
over the past week, else the service's default handling time.
"""

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, DurationField, ExpressionWrapper, F, Q
from django.utils import timezone

from layani.branches.models import (
    Counter,
    Service,
    Visit,
    VisitStatus,
    WaitEstimate,
)
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


def mean_service_seconds(service: Service, branch_id: int, now: datetime) -> float:
    durations = list(
        Visit.objects.filter(
            branch_id=branch_id,
            service=service,
            status=VisitStatus.DONE,
            finished_at__gte=now - HISTORY,
            serving_started_at__isnull=False,
        )
        .annotate(
            took=ExpressionWrapper(
                F("finished_at") - F("serving_started_at"), output_field=DurationField()
            )
        )
        .order_by("-finished_at")
        .values_list("took", flat=True)[:SAMPLE]
    )
    if not durations:
        return service.default_handling_minutes * 60.0
    return sum(d.total_seconds() for d in durations) / len(durations)


def counters_serving(service: Service, branch_id: int) -> tuple[int, int]:
    """(open counters that can serve `service`, how many of them are busy now)."""
    from layani.staff.models import SkillKind

    open_counters = Counter.objects.filter(branch_id=branch_id, is_open=True, staff__isnull=False)
    able = open_counters.filter(
        Q(services=service)
        | (
            Q(services__isnull=True)
            & Q(staff__skills__kind=SkillKind.SERVICE, staff__skills__value=service.code)
        )
    ).distinct()
    counts = able.aggregate(
        total=Count("id", distinct=True),
        busy=Count("id", filter=Q(visits__status__in=ACTIVE_AT_COUNTER), distinct=True),
    )
    return counts["total"], counts["busy"]


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
        Visit.objects.filter(
            branch_id=visit.branch_id,
            service_id=visit.service_id,
            status=VisitStatus.WAITING,
        )
        .filter(
            Q(queue_since__lt=visit.queue_since) | Q(queue_since=visit.queue_since, id__lt=visit.pk)
        )
        .count()
    )


def estimate_for(visit: Visit, *, now: datetime | None = None) -> Estimate:
    now = now or timezone.now()
    ahead = people_ahead(visit)
    total, busy = counters_serving(visit.service, visit.branch_id)
    seconds = estimate_seconds(
        ahead=ahead,
        mean_service_seconds=mean_service_seconds(visit.service, visit.branch_id, now),
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
