"""Wait estimates: the standard queue-length estimator, and a record of every one we give.

The counters that can serve the visitor's service form a pool; the visitor waits for
everyone ahead of them whom that pool also serves, whatever their service:

estimate = people ahead (in the pool's services) x recent counter occupancy per visitor
           / counters in the pool
         + half an occupancy when every counter of the pool is busy.

Occupancy is call -> finish (walking up, recalls and service), the time a counter is really
taken, over the last `SAMPLE` finished visits of the pool's services at the branch in the
past week; the services' default handling time before there is any history. The busy-
morning run (bench/RESULTS.md) judged the first version, which counted only the visitor's
own service and start -> finish, as far too optimistic; this one follows what it measured.
"""

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Avg, DurationField, ExpressionWrapper, F, Q
from django.utils import timezone

from layani.branches.models import Counter, Service, Visit, VisitStatus, WaitEstimate
from layani.branches.models.visit import ACTIVE_AT_COUNTER
from layani.staff.models import SkillKind

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


@dataclass(frozen=True)
class Pool:
    """The open counters that can serve a service, and every service they serve."""

    counters: int
    busy: int
    service_ids: frozenset[int]


def counter_pool(service: Service, branch_id: int) -> Pool:
    counters = list(
        Counter.objects.filter(branch_id=branch_id, is_open=True, staff__isnull=False)
        .prefetch_related("services")
        .only("id", "staff_id")
    )
    skills: dict[int, set[str]] = {}
    for staff_id, code in (
        Counter.objects.filter(pk__in=[c.pk for c in counters])
        .filter(staff__skills__kind=SkillKind.SERVICE)
        .values_list("staff_id", "staff__skills__value")
    ):
        skills.setdefault(staff_id, set()).add(code)
    codes = dict(Service.objects.filter(branches=branch_id).values_list("code", "id"))
    serves: dict[int, set[int]] = {}
    for counter in counters:
        restricted = {s.pk for s in counter.services.all()}
        serves[counter.pk] = restricted or {
            codes[c] for c in skills.get(counter.staff_id or 0, set()) if c in codes
        }
    able = [pk for pk, ids in serves.items() if service.pk in ids]
    busy = set(
        Visit.objects.filter(counter_id__in=able, status__in=ACTIVE_AT_COUNTER).values_list(
            "counter_id", flat=True
        )
    )
    pooled = frozenset({service.pk}.union(*(serves[pk] for pk in able)))
    return Pool(counters=len(able), busy=len(busy), service_ids=pooled)


def mean_occupancy_seconds(pool: Pool, service: Service, branch_id: int, now: datetime) -> float:
    recent = (
        Visit.objects.filter(
            branch_id=branch_id,
            service_id__in=pool.service_ids,
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


def people_ahead(visit: Visit, service_ids: frozenset[int]) -> int:
    return (
        Visit.objects.filter(
            branch_id=visit.branch_id,
            service_id__in=service_ids,
            status=VisitStatus.WAITING,
        )
        .filter(
            Q(queue_since__lt=visit.queue_since) | Q(queue_since=visit.queue_since, id__lt=visit.pk)
        )
        .count()
    )


def estimate_for(visit: Visit, *, now: datetime | None = None) -> Estimate:
    now = now or timezone.now()
    pool = counter_pool(visit.service, visit.branch_id)
    ahead = people_ahead(visit, pool.service_ids)
    seconds = estimate_seconds(
        ahead=ahead,
        mean_service_seconds=mean_occupancy_seconds(pool, visit.service, visit.branch_id, now),
        counters=pool.counters,
        all_busy=pool.counters == 0 or pool.busy >= pool.counters,
    )
    return Estimate(position=ahead + 1, seconds=seconds, counters=pool.counters)


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
