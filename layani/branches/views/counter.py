"""The counter page: a staff member picks a counter, calls, serves, transfers and finishes.

Every read is a fixed number of queries whatever the length of the queue.
"""

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from layani.branches import actions
from layani.branches.call_config import serviceable
from layani.branches.forms_staff import CallSpecificForm, FinishForm, TransferForm
from layani.branches.models import Branch, Counter, Service, Visit, VisitStatus
from layani.branches.models.visit import ACTIVE_AT_COUNTER
from layani.branches.queries import services_of, visits_for
from layani.branches.queue_queries import CounterFile, counter_file, waiting_counts
from layani.branches.views.branch_pages import (
    COUNTER_EVENTS,
    branch_counter,
    branch_page,
    error_page,
)
from layani.core.errors import Conflict, LayaniError, NotFound
from layani.staff.models import Staff
from layani.staff.permissions import Capability, staff_of

# The counter's "call a specific ticket" list shows the longest-waiting tickets, at most this many.
WAITING_LIST = 60


def _waited_minutes(since: datetime | None, now: datetime) -> int:
    if since is None:
        return 0
    return max(0, math.floor((now - since).total_seconds() / 60))


@dataclass
class QueueLine:
    service: Service
    waiting: int


@dataclass
class WaitingTicket:
    visit: Visit
    waited_minutes: int


@dataclass
class CounterDesk:
    """Everything the counter page shows. `counter` is None while the person picks one."""

    branch: Branch
    staff: Staff | None
    counters: list[Counter]
    counter: Counter | None = None
    elsewhere: Counter | None = None
    lines: list[QueueLine] = field(default_factory=list)
    reserved: int = 0
    visit: Visit | None = None
    visit_waited_minutes: int = 0
    file: CounterFile | None = None
    waiting: list[WaitingTicket] = field(default_factory=list)
    waiting_more: bool = False
    services: list[Service] = field(default_factory=list)
    recall_limit: int = 0

    @property
    def waiting_total(self) -> int:
        return sum(line.waiting for line in self.lines) + self.reserved

    @property
    def recalls_left(self) -> int:
        if self.visit is None:
            return 0
        return max(0, self.recall_limit - self.visit.recall_count)

    @property
    def transfer_counters(self) -> list[Counter]:
        return [c for c in self.counters if self.counter is None or c.pk != self.counter.pk]


def _my_counter(staff: Staff | None, counters: list[Counter]) -> Counter | None:
    if staff is None:
        return None
    return next((c for c in counters if c.staff_id == staff.pk and c.is_open), None)


def _queue_lines(desk: CounterDesk) -> None:
    """Waiting counts per service this counter calls, plus visitors transferred to it."""
    assert desk.counter is not None and desk.staff is not None
    callable_services, _levels = serviceable(desk.counter, desk.staff.pk)
    service_ids = list(callable_services)
    counts = waiting_counts(desk.branch, service_ids)
    wanted = set(service_ids)
    desk.lines = [
        QueueLine(service=s, waiting=counts.get(s.pk, 0)) for s in desk.services if s.pk in wanted
    ]
    desk.reserved = Visit.objects.filter(
        reserved_counter=desk.counter, status=VisitStatus.WAITING
    ).count()


def counter_desk(branch: Branch, staff: Staff | None) -> CounterDesk:
    counters = list(
        Counter.objects.filter(branch=branch).select_related("staff").order_by("number")
    )
    desk = CounterDesk(branch=branch, staff=staff, counters=counters)
    desk.counter = _my_counter(staff, counters)
    if desk.counter is None:
        if staff is not None:
            desk.elsewhere = Counter.objects.filter(staff=staff, is_open=True).first()
        return desk
    now = timezone.now()
    desk.services = list(services_of(branch))
    _queue_lines(desk)
    desk.visit = (
        Visit.objects.filter(counter=desk.counter, status__in=ACTIVE_AT_COUNTER)
        .select_related("service", "customer")
        .first()
    )
    if desk.visit is not None:
        desk.file = counter_file(desk.visit)
        desk.visit_waited_minutes = _waited_minutes(
            desk.visit.queue_since, desk.visit.called_at or now
        )
        desk.recall_limit = actions.policy_of(branch).recall_limit
    rows = list(
        Visit.objects.filter(branch=branch, status=VisitStatus.WAITING)
        .select_related("service", "reserved_counter")
        .order_by("queue_since", "id")[: WAITING_LIST + 1]
    )
    desk.waiting_more = len(rows) > WAITING_LIST
    desk.waiting = [
        WaitingTicket(visit=v, waited_minutes=_waited_minutes(v.queue_since, now))
        for v in rows[:WAITING_LIST]
    ]
    return desk


def _render_counter(
    request: HttpRequest,
    branch: Branch,
    *,
    error: LayaniError | None = None,
    status: int = 200,
    **forms: Any,
) -> HttpResponse:
    desk = counter_desk(branch, staff_of(request.user))
    context = {
        "desk": desk,
        "branch": branch,
        "error": error,
        "finish_form": forms.get("finish_form") or FinishForm(),
        "specific_form": forms.get("specific_form") or CallSpecificForm(branch=branch),
        "transfer_form": forms.get("transfer_form") or TransferForm(branch=branch),
        "live_events": COUNTER_EVENTS,
    }
    return render(request, "branches/staff/counter.html", context, status=status)


def _back_to_counter(branch: Branch) -> HttpResponse:
    return redirect("branch:counter", branch_id=branch.pk)


def _counter_of(request: HttpRequest, branch: Branch) -> Counter:
    staff = staff_of(request.user)
    counter = (
        Counter.objects.filter(branch=branch, staff=staff, is_open=True).first()
        if staff is not None
        else None
    )
    if counter is None:
        raise Conflict(_("You are not at a counter. Pick one first."), code="not_at_counter")
    return counter


def _visit_of(request: HttpRequest, branch: Branch, visit_id: int) -> Visit:
    visit = visits_for(request.user).filter(branch=branch, pk=visit_id).first()
    if visit is None:
        raise NotFound(_("Ticket not found."), code="visit_not_found")
    return visit


@require_GET
@branch_page(Capability.SERVE_VISITS)
def counter_page(request: HttpRequest, branch: Branch) -> HttpResponse:
    return _render_counter(request, branch)


@require_GET
@branch_page(Capability.SERVE_VISITS)
def counter_waiting(request: HttpRequest, branch: Branch) -> HttpResponse:
    """The waiting counts fragment, re-read live (htmx) when the queue moves."""
    desk = CounterDesk(branch=branch, staff=staff_of(request.user), counters=[])
    try:
        desk.counter = _counter_of(request, branch)
    except LayaniError:
        return HttpResponse(status=204)
    desk.services = list(services_of(branch))
    _queue_lines(desk)
    return render(request, "branches/staff/counter.html#waiting", {"desk": desk})


@require_POST
@branch_page(Capability.SERVE_VISITS)
def counter_open(request: HttpRequest, branch: Branch) -> HttpResponse:
    """Sit down at a counter of this branch (a counter of another branch is not found)."""
    try:
        counter = branch_counter(branch, request.POST.get("counter", ""))
    except LayaniError as error:
        return error_page(request, error)
    try:
        actions.open_counter(counter, actor=request.user)
    except LayaniError as error:
        return _render_counter(request, branch, error=error, status=error.status)
    return _back_to_counter(branch)


@require_POST
@branch_page(Capability.SERVE_VISITS)
def counter_close(request: HttpRequest, branch: Branch) -> HttpResponse:
    try:
        actions.close_counter(_counter_of(request, branch), actor=request.user)
    except LayaniError as error:
        return _render_counter(request, branch, error=error, status=error.status)
    return _back_to_counter(branch)


@require_POST
@branch_page(Capability.SERVE_VISITS)
def counter_call_next(request: HttpRequest, branch: Branch) -> HttpResponse:
    try:
        actions.call_next(_counter_of(request, branch), actor=request.user)
    except LayaniError as error:
        return _render_counter(request, branch, error=error, status=error.status)
    return _back_to_counter(branch)


@require_POST
@branch_page(Capability.SERVE_VISITS)
def counter_call_specific(request: HttpRequest, branch: Branch) -> HttpResponse:
    form = CallSpecificForm(request.POST, branch=branch)
    if not form.is_valid():
        return _render_counter(request, branch, status=422, specific_form=form)
    try:
        actions.call_specific(
            _counter_of(request, branch),
            form.cleaned_data["visit"],
            reason=form.cleaned_data["reason"],
            actor=request.user,
        )
    except LayaniError as error:
        if error.field == "reason":
            form.add_error("reason", error.message)
            return _render_counter(request, branch, status=error.status, specific_form=form)
        return _render_counter(request, branch, error=error, status=error.status)
    return _back_to_counter(branch)


def _visit_step(
    request: HttpRequest, branch: Branch, visit_id: int, step: Callable[[Visit], object]
) -> HttpResponse:
    try:
        step(_visit_of(request, branch, visit_id))
    except LayaniError as error:
        return _render_counter(request, branch, error=error, status=error.status)
    return _back_to_counter(branch)


@require_POST
@branch_page(Capability.SERVE_VISITS)
def visit_start(request: HttpRequest, branch: Branch, visit_id: int) -> HttpResponse:
    return _visit_step(
        request, branch, visit_id, lambda v: actions.start_service(v, actor=request.user)
    )


@require_POST
@branch_page(Capability.SERVE_VISITS)
def visit_recall(request: HttpRequest, branch: Branch, visit_id: int) -> HttpResponse:
    return _visit_step(request, branch, visit_id, lambda v: actions.recall(v, actor=request.user))


@require_POST
@branch_page(Capability.SERVE_VISITS)
def visit_no_show(request: HttpRequest, branch: Branch, visit_id: int) -> HttpResponse:
    return _visit_step(
        request, branch, visit_id, lambda v: actions.mark_no_show(v, actor=request.user)
    )


@require_POST
@branch_page(Capability.SERVE_VISITS)
def visit_finish(request: HttpRequest, branch: Branch, visit_id: int) -> HttpResponse:
    form = FinishForm(request.POST)
    if not form.is_valid():
        return _render_counter(request, branch, status=422, finish_form=form)
    note = form.cleaned_data["outcome_note"]
    return _visit_step(
        request,
        branch,
        visit_id,
        lambda v: actions.finish_service(v, outcome_note=note, actor=request.user),
    )


@require_POST
@branch_page(Capability.SERVE_VISITS)
def visit_transfer(request: HttpRequest, branch: Branch, visit_id: int) -> HttpResponse:
    form = TransferForm(request.POST, branch=branch)
    if not form.is_valid():
        return _render_counter(request, branch, status=422, transfer_form=form)
    data = form.cleaned_data
    return _visit_step(
        request,
        branch,
        visit_id,
        lambda v: actions.transfer(
            v,
            actor=request.user,
            to_service=data["to_service"],
            to_counter=data["to_counter"],
            reason=data["reason"],
        ),
    )
