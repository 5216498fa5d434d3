"""Reading the queue: what the counter, the display, the supervisor and the visitor see.

Every function here reads a fixed number of queries whatever the queue's length.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.db.models import Avg, Count, DurationField, ExpressionWrapper, F, Max, Min, Q
from django.db.models.functions import Abs
from django.utils import timezone

from layani.branches.estimates import Estimate, estimate_for
from layani.branches.models import (
    Branch,
    Counter,
    Service,
    Visit,
    VisitStatus,
    WaitEstimate,
)
from layani.branches.models.visit import ACTIVE_AT_COUNTER
from layani.conversations.models import Conversation
from layani.core.choices import purpose_order
from layani.customers.queries import OPEN_STATUSES
from layani.feedback.models import SurveyResponse

DISPLAY_CALLS = 8


def service_day(branch: Branch, now: datetime | None = None) -> date:
    return (now or timezone.now()).astimezone(ZoneInfo(branch.timezone)).date()


def _seconds(value: timedelta | None) -> int | None:
    return None if value is None else int(value.total_seconds())


@dataclass
class ServiceLine:
    service: Service
    waiting: int = 0
    longest_wait_seconds: int | None = None
    served: int = 0
    no_shows: int = 0
    average_wait_seconds: int | None = None
    average_serve_seconds: int | None = None
    estimate_error_seconds: int | None = None
    estimates_judged: int = 0


@dataclass
class CounterLine:
    counter: Counter
    current: Visit | None


@dataclass
class BranchQueue:
    branch: Branch
    services: list[ServiceLine]
    counters: list[CounterLine]
    waiting: int
    served: int
    no_shows: int
    feedback_average: float | None
    feedback_count: int
    estimate_error_seconds: int | None
    estimates_judged: int
    generated_at: datetime = field(default_factory=timezone.now)


def _wait() -> ExpressionWrapper:
    return ExpressionWrapper(F("called_at") - F("queue_since"), output_field=DurationField())


def _serve() -> ExpressionWrapper:
    return ExpressionWrapper(
        F("finished_at") - F("serving_started_at"), output_field=DurationField()
    )


def branch_queue(branch: Branch) -> BranchQueue:
    """The supervisor's live picture of one branch today."""
    now = timezone.now()
    day = service_day(branch, now)
    services = list(
        branch.services.filter(is_active=True).order_by(purpose_order(), "sort_order", "name_id")
    )
    lines = {s.pk: ServiceLine(service=s) for s in services}
    today = Visit.objects.filter(branch=branch, service_day=day)
    for row in (
        today.values("service_id")
        .annotate(
            waiting=Count("id", filter=Q(status=VisitStatus.WAITING)),
            oldest=Min("queue_since", filter=Q(status=VisitStatus.WAITING)),
            served=Count("id", filter=Q(status=VisitStatus.DONE)),
            no_shows=Count("id", filter=Q(status=VisitStatus.NO_SHOW)),
            avg_wait=Avg(_wait(), filter=Q(called_at__isnull=False)),
            avg_serve=Avg(_serve(), filter=Q(status=VisitStatus.DONE)),
        )
        .order_by()
    ):
        line = lines.get(row["service_id"])
        if line is None:
            continue
        line.waiting = row["waiting"]
        line.served = row["served"]
        line.no_shows = row["no_shows"]
        line.longest_wait_seconds = (
            _seconds(now - row["oldest"]) if row["oldest"] is not None else None
        )
        line.average_wait_seconds = _seconds(row["avg_wait"])
        line.average_serve_seconds = _seconds(row["avg_serve"])
    errors = estimate_errors(branch, since=now - timedelta(days=7))
    for service_id, (mae, n) in errors.items():
        if service_id in lines:
            lines[service_id].estimate_error_seconds = mae
            lines[service_id].estimates_judged = n
    counters = list(
        Counter.objects.filter(branch=branch).select_related("staff").order_by("number")
    )
    current = {
        v.counter_id: v
        for v in Visit.objects.filter(
            counter__in=counters, status__in=ACTIVE_AT_COUNTER
        ).select_related("service")
    }
    feedback = SurveyResponse.objects.filter(
        branch=branch, created_at__gte=now - timedelta(days=1)
    ).aggregate(avg=Avg("rating"), n=Count("id"))
    judged = sum(n for _mae, n in errors.values())
    overall = round(sum(mae * n for mae, n in errors.values()) / judged) if judged else None
    return BranchQueue(
        branch=branch,
        services=list(lines.values()),
        counters=[CounterLine(counter=c, current=current.get(c.pk)) for c in counters],
        waiting=sum(line.waiting for line in lines.values()),
        served=sum(line.served for line in lines.values()),
        no_shows=sum(line.no_shows for line in lines.values()),
        feedback_average=round(feedback["avg"], 2) if feedback["avg"] is not None else None,
        feedback_count=feedback["n"],
        estimate_error_seconds=overall,
        estimates_judged=judged,
    )


def estimate_errors(branch: Branch, *, since: datetime) -> dict[int, tuple[int, int]]:
    """Mean absolute error of the wait estimates we gave, per service: {id: (seconds, n)}."""
    rows = (
        WaitEstimate.objects.filter(
            branch=branch, given_at__gte=since, actual_seconds__isnull=False
        )
        .values("service_id")
        .annotate(mae=Avg(Abs(F("estimated_seconds") - F("actual_seconds"))), n=Count("id"))
        .values_list("service_id", "mae", "n")
        .order_by()
    )
    return {service_id: (round(mae), n) for service_id, mae, n in rows}


@dataclass
class CounterFile:
    """What the person at the counter sees about the visitor who is coming."""

    visit: Visit
    last_visits: list[Visit]
    open_conversations: list[Conversation]


def counter_file(visit: Visit) -> CounterFile:
    if visit.customer_id is None:
        return CounterFile(visit=visit, last_visits=[], open_conversations=[])
    last_visits = list(
        Visit.objects.filter(customer_id=visit.customer_id)
        .exclude(pk=visit.pk)
        .select_related("branch", "service", "served_by")
        .order_by("-checked_in_at")[:5]
    )
    open_conversations = list(
        Conversation.objects.filter(customer_id=visit.customer_id, status__in=OPEN_STATUSES)
        .select_related("assignee")
        .order_by("-created_at")[:5]
    )
    return CounterFile(visit=visit, last_visits=last_visits, open_conversations=open_conversations)


def waiting_counts(branch: Branch, service_ids: list[int]) -> dict[int, int]:
    return dict(
        Visit.objects.filter(branch=branch, status=VisitStatus.WAITING, service_id__in=service_ids)
        .values("service_id")
        .annotate(n=Count("id"))
        .values_list("service_id", "n")
        .order_by()
    )


def recent_calls(branch: Branch, limit: int = DISPLAY_CALLS) -> list[Visit]:
    """The display's list: the latest calls today, newest first."""
    return list(
        Visit.objects.filter(
            branch=branch,
            service_day=service_day(branch),
            called_at__isnull=False,
            counter__isnull=False,
        )
        .select_related("counter")
        .order_by("-called_at", "-id")[:limit]
    )


@dataclass
class VisitorView:
    visit: Visit
    estimate: Estimate | None
    last_called_at: datetime | None


def visitor_view(visit: Visit) -> VisitorView:
    estimate = estimate_for(visit) if visit.status == VisitStatus.WAITING else None
    last = Visit.objects.filter(branch_id=visit.branch_id, service_day=visit.service_day).aggregate(
        at=Max("called_at")
    )["at"]
    return VisitorView(visit=visit, estimate=estimate, last_called_at=last)
