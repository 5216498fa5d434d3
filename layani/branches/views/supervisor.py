"""The supervisor page: the branch's live picture; opens, closes and staffs counters.

Every read is a fixed number of queries whatever the length of the queue.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from layani.branches import actions
from layani.branches.forms_staff import CounterServicesForm, PlaceStaffForm, branch_staff
from layani.branches.models import Branch, Counter, Service, Visit
from layani.branches.queries import services_of
from layani.branches.queue_queries import ServiceLine, branch_queue
from layani.branches.views.branch_pages import SUPERVISOR_EVENTS, branch_counter, branch_page
from layani.core.errors import LayaniError
from layani.staff.permissions import Capability


def _in_minutes(seconds: float | None) -> float | None:
    return None if seconds is None else seconds / 60


@dataclass
class ServiceRow:
    """A service's line of the supervisor's table, durations in minutes."""

    line: ServiceLine

    @property
    def longest_wait_minutes(self) -> float | None:
        return _in_minutes(self.line.longest_wait_seconds)

    @property
    def average_wait_minutes(self) -> float | None:
        return _in_minutes(self.line.average_wait_seconds)

    @property
    def average_serve_minutes(self) -> float | None:
        return _in_minutes(self.line.average_serve_seconds)

    @property
    def estimate_error_minutes(self) -> float | None:
        return _in_minutes(self.line.estimate_error_seconds)


def _counter_services(branch: Branch) -> dict[int, list[int]]:
    """Which services each counter of the branch is limited to, in one query."""
    through = Counter.services.through
    found: dict[int, list[int]] = {}
    for counter_id, service_id in through.objects.filter(counter__branch=branch).values_list(
        "counter_id", "service_id"
    ):
        found.setdefault(counter_id, []).append(service_id)
    return found


@dataclass
class CounterRow:
    counter: Counter
    current: Visit | None
    services: list[Service]


def _supervisor_context(branch: Branch) -> dict[str, Any]:
    queue = branch_queue(branch)
    services = {line.service.pk: line.service for line in queue.services}
    limits = _counter_services(branch)
    return {
        "branch": branch,
        "queue": queue,
        "rows": [ServiceRow(line) for line in queue.services],
        "estimate_error_minutes": _in_minutes(queue.estimate_error_seconds),
        "counter_rows": [
            CounterRow(
                counter=line.counter,
                current=line.current,
                services=[services[s] for s in limits.get(line.counter.pk, []) if s in services],
            )
            for line in queue.counters
        ],
        "live_events": SUPERVISOR_EVENTS,
    }


def _render_supervisor(
    request: HttpRequest,
    branch: Branch,
    *,
    error: LayaniError | None = None,
    status: int = 200,
    form_errors: dict[int, Any] | None = None,
    template: str = "branches/staff/supervisor.html",
) -> HttpResponse:
    context = _supervisor_context(branch)
    context.update(
        error=error,
        form_errors=form_errors or {},
        staff_choices=list(branch_staff(branch)),
        all_services=list(services_of(branch)),
    )
    return render(request, template, context, status=status)


@require_GET
@branch_page(Capability.SUPERVISE)
def supervisor_page(request: HttpRequest, branch: Branch) -> HttpResponse:
    return _render_supervisor(request, branch)


@require_GET
@branch_page(Capability.SUPERVISE)
def supervisor_manage(request: HttpRequest, branch: Branch) -> HttpResponse:
    """The counter management list, re-read when counters open, close or change hands."""
    return _render_supervisor(request, branch, template="branches/staff/supervisor.html#manage")


@require_GET
@branch_page(Capability.SUPERVISE)
def supervisor_stats(request: HttpRequest, branch: Branch) -> HttpResponse:
    return render(request, "branches/staff/supervisor.html#stats", _supervisor_context(branch))


def _supervise(
    request: HttpRequest,
    branch: Branch,
    counter_id: int,
    step: Callable[[Counter], object],
) -> HttpResponse:
    try:
        step(branch_counter(branch, counter_id))
    except LayaniError as error:
        return _render_supervisor(request, branch, error=error, status=error.status)
    return redirect(reverse("branch:supervisor", args=[branch.pk]) + "#counters")


@require_POST
@branch_page(Capability.SUPERVISE)
def supervisor_place_staff(request: HttpRequest, branch: Branch, counter_id: int) -> HttpResponse:
    """Open a counter with a staff member there; moves them from any other counter."""
    form = PlaceStaffForm(request.POST, branch=branch)
    if not form.is_valid():
        return _render_supervisor(request, branch, status=422, form_errors={counter_id: form})
    staff = form.cleaned_data["staff"]
    return _supervise(
        request,
        branch,
        counter_id,
        lambda c: actions.open_counter(c, actor=request.user, staff=staff),
    )


@require_POST
@branch_page(Capability.SUPERVISE)
def supervisor_close(request: HttpRequest, branch: Branch, counter_id: int) -> HttpResponse:
    return _supervise(
        request, branch, counter_id, lambda c: actions.close_counter(c, actor=request.user)
    )


@require_POST
@branch_page(Capability.SUPERVISE)
def supervisor_services(request: HttpRequest, branch: Branch, counter_id: int) -> HttpResponse:
    form = CounterServicesForm(request.POST, branch=branch)
    if not form.is_valid():
        return _render_supervisor(request, branch, status=422, form_errors={counter_id: form})
    services = list(form.cleaned_data["services"])
    return _supervise(
        request,
        branch,
        counter_id,
        lambda c: actions.set_counter_services(c, services, actor=request.user),
    )
