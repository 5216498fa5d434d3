"""At the counter: call next, call a ticket out of order, recall, serve, finish, no-show,
transfer. Every step stamps the visit and writes the customer's timeline.

Concurrency: every call takes the branch's `QueueState` row lock first (PostgreSQL:
SELECT ... FOR UPDATE; SQLite: the write transaction is taken at BEGIN IMMEDIATE), so two
counters calling at the same instant are served one after the other and never get the
same visitor. A partial unique index keeps one counter from holding two visitors.
"""

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import F, Window
from django.db.models.functions import RowNumber
from django.utils import timezone
from django.utils.translation import gettext as _

from layani.branches.actions.check_in import policy_of
from layani.branches.models import (
    Counter,
    QueuePolicy,
    QueueState,
    Service,
    Visit,
    VisitStatus,
)
from layani.branches.models.visit import ACTIVE_AT_COUNTER
from layani.branches.realtime import publish_call, publish_queue_changed
from layani.conversations.models import EventKind
from layani.conversations.timeline import record_event
from layani.core.errors import Conflict, InvalidInput, NotFound
from layani.core.events import enqueue_on_commit
from layani.core.types import Actor
from layani.routing.queue_policy import Candidate, Decision, PolicyWeights, choose_next
from layani.staff.models import SkillKind, Staff
from layani.staff.permissions import Capability, require, staff_of

# An on-time appointment is not called more than this long before its slot.
APPOINTMENT_LEAD = timedelta(minutes=5)


def weights_of(policy: QueuePolicy) -> PolicyWeights:
    return PolicyWeights(
        purpose_weights=policy.purpose_weights,
        service_weights=policy.service_weights,
        category_weights=policy.category_weights,
        skill_weight=policy.skill_weight,
        aging_per_minute=policy.aging_per_minute,
        max_wait_minutes=policy.max_wait_minutes,
        ratio_normal=policy.ratio_normal,
        ratio_priority=policy.ratio_priority,
    )


def _acting_staff(actor: Actor, counter: Counter) -> Staff:
    require(actor, Capability.SERVE_VISITS)
    staff = staff_of(actor)
    if staff is None:
        raise Conflict(_("Only staff can serve at a counter."), code="not_staff")
    from layani.branches.queries import branch_ids_for

    allowed = branch_ids_for(actor) if actor is not None else []
    if allowed is not None and counter.branch_id not in allowed:
        raise NotFound(_("Counter not found."), code="counter_not_found")
    return staff


def _lock_counter(counter: Counter, staff: Staff) -> Counter:
    locked = Counter.objects.select_for_update().select_related("branch").get(pk=counter.pk)
    if not locked.is_open:
        raise Conflict(_("This counter is not open."), code="counter_closed", field="counter")
    if locked.staff_id != staff.pk:
        raise Conflict(
            _("You are not at this counter. Open it first."),
            code="not_at_counter",
            field="counter",
        )
    return locked


def _ensure_counter_free(counter: Counter) -> None:
    busy = Visit.objects.filter(counter=counter, status__in=ACTIVE_AT_COUNTER).first()
    if busy is not None:
        raise Conflict(
            _("Finish or release ticket %(ticket)s first.") % {"ticket": busy.ticket_number},
            code="counter_busy",
            field="counter",
        )


def serviceable(counter: Counter, staff: Staff) -> tuple[dict[int, str], dict[str, int]]:
    """({service id: code} this counter calls, the staff member's skill level per code)."""
    levels = dict(staff.skills.filter(kind=SkillKind.SERVICE).values_list("value", "level"))
    restricted = dict(counter.services.values_list("id", "code"))
    if restricted:
        return restricted, levels
    services = dict(
        Service.objects.filter(
            branches=counter.branch_id, code__in=list(levels), is_active=True
        ).values_list("id", "code")
    )
    return services, levels


_CANDIDATE_FIELDS = (
    "id",
    "service_id",
    "purpose",
    "queue_since",
    "priority_category",
    "customer_tier",
)
# Visitors who share these attributes get the same weights; within such a group the one
# who arrived first always scores highest (aging never decreases), so only each group's
# head can be the next call. The database returns those heads, not the whole queue.
_SCORE_GROUP = ["service_id", "purpose", "priority_category", "customer_tier"]


def _as_candidates(rows: Iterable[tuple[Any, ...]], codes: dict[int, str]) -> list[Candidate]:
    return [
        Candidate(
            visit_id=row[0],
            service_code=codes.get(row[1], ""),
            purpose=row[2],
            queue_since=row[3],
            category=row[4] or "",
            tier=row[5] or "",
        )
        for row in rows
    ]


def candidates_for(
    counter: Counter, service_ids: list[int], now: datetime, codes: dict[int, str]
) -> list[Candidate]:
    """Who this counter may call now: visitors transferred to it first, else the head of
    each group of equal visitors in its services."""
    reserved = Visit.objects.filter(
        status=VisitStatus.WAITING, reserved_counter=counter
    ).values_list(*_CANDIDATE_FIELDS)
    found = _as_candidates(reserved, codes)
    if found:
        return found
    heads = (
        Visit.objects.filter(
            branch_id=counter.branch_id,
            status=VisitStatus.WAITING,
            service_id__in=service_ids,
            reserved_counter__isnull=True,
            queue_since__lte=now + APPOINTMENT_LEAD,
        )
        .annotate(
            place=Window(
                RowNumber(),
                partition_by=[F(f) for f in _SCORE_GROUP],
                order_by=[F("queue_since"), F("id")],
            )
        )
        .filter(place=1)
        .values_list(*_CANDIDATE_FIELDS)
    )
    return _as_candidates(heads, codes)


def _mark_called(visit_id: int, counter: Counter, staff: Staff, now: datetime) -> Visit:
    updated = Visit.objects.filter(pk=visit_id, status=VisitStatus.WAITING).update(
        status=VisitStatus.CALLED,
        counter=counter,
        served_by=staff,
        called_at=now,
        reserved_counter=None,
    )
    if updated != 1:  # cannot happen under the branch lock; kept as the last guard
        raise Conflict(_("This visitor was already called."), code="already_called")
    return Visit.objects.select_related("branch", "service", "customer", "counter").get(pk=visit_id)


def _lock_branch_queue(branch_id: int) -> QueueState:
    state = QueueState.objects.select_for_update().filter(branch_id=branch_id).first()
    if state is None:
        QueueState.objects.get_or_create(branch_id=branch_id)
        state = QueueState.objects.select_for_update().get(branch_id=branch_id)
    return state


def call_next(counter: Counter, *, actor: Actor) -> Visit:
    """Call the next visitor for this counter by the branch's policy."""
    staff = _acting_staff(actor, counter)
    now = timezone.now()
    with transaction.atomic():
        state = _lock_branch_queue(counter.branch_id)
        counter = _lock_counter(counter, staff)
        _ensure_counter_free(counter)
        services, levels = serviceable(counter, staff)
        policy = policy_of(counter.branch)
        decision: Decision | None = choose_next(
            candidates_for(counter, list(services), now, services),
            weights_of(policy),
            now,
            skill_levels=levels,
            ratio_position=state.ratio_position,
        )
        if decision is None:
            raise Conflict(_("Nobody is waiting for this counter."), code="queue_empty")
        visit = _mark_called(decision.visit_id, counter, staff, now)
        state.ratio_position = decision.next_ratio_position
        state.last_called_at = now
        state.save(update_fields=["ratio_position", "last_called_at"])
        _record(
            visit,
            EventKind.VISIT_CALLED,
            actor,
            f"{visit.ticket_number} → {counter.name}",
            {"counter": counter.name, "reason": decision.reason, "group": decision.group},
        )
    _after_call(visit)
    return visit


def call_specific(counter: Counter, visit: Visit, *, reason: str, actor: Actor) -> Visit:
    """Call one ticket out of the policy's order; the reason is required and logged."""
    staff = _acting_staff(actor, counter)
    reason = reason.strip()
    if not reason:
        raise InvalidInput(
            _("Say why this ticket is called out of order."), code="required", field="reason"
        )
    now = timezone.now()
    with transaction.atomic():
        _lock_branch_queue(counter.branch_id)
        counter = _lock_counter(counter, staff)
        _ensure_counter_free(counter)
        current = Visit.objects.filter(pk=visit.pk).values_list("branch_id", "status").first()
        if current is None or current[0] != counter.branch_id:
            raise NotFound(_("Ticket not found."), code="visit_not_found")
        if current[1] != VisitStatus.WAITING:
            raise Conflict(_("This visitor was already called."), code="already_called")
        visit = _mark_called(visit.pk, counter, staff, now)
        _record(
            visit,
            EventKind.VISIT_CALLED,
            actor,
            f"{visit.ticket_number} → {counter.name} ({reason})",
            {"counter": counter.name, "reason": "out_of_order", "why": reason},
            always=True,
        )
    _after_call(visit)
    return visit


def _after_call(visit: Visit) -> None:
    """Off the hot path, after commit: judge the estimates, tell remote visitors to come."""
    publish_call(visit.branch, visit)
    from layani.branches.tasks import after_call

    enqueue_on_commit(after_call, visit.pk, visit.branch_id, visit.service_id)


def _record(
    visit: Visit,
    kind: str,
    actor: Actor,
    summary: str,
    details: dict[str, object],
    *,
    always: bool = False,
) -> None:
    """Timeline row on the customer; anonymous visits are logged too when `always`."""
    if visit.customer_id is None and not always:
        return
    record_event(kind, actor=actor, visit=visit, summary=summary, details=details)


def _own_visit(visit: Visit, actor: Actor, allowed: list[str]) -> tuple[Visit, Staff]:
    require(actor, Capability.SERVE_VISITS)
    staff = staff_of(actor)
    locked = (
        Visit.objects.select_for_update(of=("self",))
        .select_related("branch", "service", "customer", "counter")
        .get(pk=visit.pk)
    )
    if staff is None or locked.counter is None or locked.counter.staff_id != staff.pk:
        raise Conflict(
            _("This ticket is not at your counter."), code="not_your_visit", field="visit"
        )
    if locked.status not in allowed:
        raise Conflict(
            _("Not possible now: the ticket is %(status)s.")
            % {"status": locked.get_status_display().lower()},
            code="wrong_status",
        )
    return locked, staff


def recall(visit: Visit, *, actor: Actor) -> Visit:
    with transaction.atomic():
        visit, _staff = _own_visit(visit, actor, [VisitStatus.CALLED])
        policy = policy_of(visit.branch)
        if visit.recall_count >= policy.recall_limit:
            raise Conflict(
                _("Called %(n)s times already: mark as no-show.") % {"n": visit.recall_count + 1},
                code="recall_limit",
            )
        visit.recall_count += 1
        visit.save(update_fields=["recall_count"])
        _record(
            visit,
            EventKind.VISIT_CALLED,
            actor,
            f"{visit.ticket_number} → {visit.counter.name if visit.counter else ''}",
            {"recall": visit.recall_count},
        )
    publish_call(visit.branch, visit, recall=True)
    return visit


def start_service(visit: Visit, *, actor: Actor) -> Visit:
    with transaction.atomic():
        visit, _staff = _own_visit(visit, actor, [VisitStatus.CALLED])
        visit.status = VisitStatus.SERVING
        visit.serving_started_at = timezone.now()
        visit.save(update_fields=["status", "serving_started_at"])
    publish_queue_changed(visit.branch, "visit.serving", visit)
    return visit


def finish_service(visit: Visit, *, outcome_note: str, actor: Actor) -> Visit:
    with transaction.atomic():
        visit, _staff = _own_visit(visit, actor, [VisitStatus.CALLED, VisitStatus.SERVING])
        now = timezone.now()
        if visit.serving_started_at is None:
            visit.serving_started_at = visit.called_at or now
        visit.status = VisitStatus.DONE
        visit.finished_at = now
        visit.outcome_note = outcome_note.strip()
        visit.save(update_fields=["status", "serving_started_at", "finished_at", "outcome_note"])
        _record(
            visit,
            EventKind.VISIT_FINISHED,
            actor,
            visit.outcome_note[:200] or visit.ticket_number,
            {
                "service": visit.service.code,
                "waited_seconds": _seconds(visit.queue_since, visit.called_at),
                "served_seconds": _seconds(visit.serving_started_at, visit.finished_at),
            },
        )
        from layani.feedback.requests import ask_for_visit_feedback

        ask_for_visit_feedback(visit)
    publish_queue_changed(visit.branch, "visit.finished", visit)
    return visit


def mark_no_show(visit: Visit, *, actor: Actor) -> Visit:
    with transaction.atomic():
        visit, _staff = _own_visit(visit, actor, [VisitStatus.CALLED])
        visit.status = VisitStatus.NO_SHOW
        visit.finished_at = timezone.now()
        visit.save(update_fields=["status", "finished_at"])
        _record(
            visit,
            EventKind.VISIT_NO_SHOW,
            actor,
            visit.ticket_number,
            {"recalls": visit.recall_count},
        )
    publish_queue_changed(visit.branch, "visit.no_show", visit)
    return visit


def transfer(
    visit: Visit,
    *,
    actor: Actor,
    to_service: Service | None = None,
    to_counter: Counter | None = None,
    reason: str = "",
) -> Visit:
    """Back into the queue for another service or a given counter, keeping the arrival time."""
    if to_service is None and to_counter is None:
        raise InvalidInput(
            _("Choose a service or a counter to transfer to."), code="required", field="to_service"
        )
    with transaction.atomic():
        visit, _staff = _own_visit(visit, actor, [VisitStatus.CALLED, VisitStatus.SERVING])
        if to_service is not None and not visit.branch.services.filter(pk=to_service.pk).exists():
            raise InvalidInput(
                _("This branch does not offer this service."),
                code="unknown_service",
                field="to_service",
            )
        if to_counter is not None and to_counter.branch_id != visit.branch_id:
            raise InvalidInput(
                _("That counter is in another branch."), code="unknown_counter", field="to_counter"
            )
        from_counter = visit.counter.name if visit.counter else ""
        from_service = visit.service
        visit.status = VisitStatus.WAITING
        visit.counter = None
        visit.served_by = None
        visit.called_at = None
        visit.serving_started_at = None
        visit.recall_count = 0
        visit.transfer_count += 1
        visit.reserved_counter = to_counter
        if to_service is not None:
            visit.service = to_service
            visit.purpose = to_service.purpose
        visit.save(
            update_fields=[
                "status",
                "counter",
                "served_by",
                "called_at",
                "serving_started_at",
                "recall_count",
                "transfer_count",
                "reserved_counter",
                "service",
                "purpose",
            ]
        )
        _record(
            visit,
            EventKind.VISIT_TRANSFERRED,
            actor,
            f"{visit.ticket_number}: {from_service.name_id} → "
            f"{visit.service.name_id}{' · ' + to_counter.name if to_counter else ''}",
            {
                "from_service": from_service.code,
                "to_service": visit.service.code,
                "from_counter": from_counter,
                "to_counter": to_counter.name if to_counter else None,
                "reason": reason.strip(),
            },
            always=True,
        )
    publish_queue_changed(visit.branch, "visit.transferred", visit)
    return visit


def _seconds(start: datetime | None, end: datetime | None) -> int | None:
    if start is None or end is None:
        return None
    return max(0, int((end - start).total_seconds()))
