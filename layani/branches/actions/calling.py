"""At the counter: call next, call a ticket out of order, recall, serve, finish, no-show,
transfer. Every step stamps the visit and writes the customer's timeline.

Concurrency: every call takes the branch's `QueueState` row lock and the counter's in one
statement (`call_statements.lock_for_call`; PostgreSQL: SELECT ... FOR UPDATE; SQLite: the
write transaction is taken at BEGIN IMMEDIATE), so two counters calling at the same instant
are served one after the other and never get the same visitor. A partial unique index
keeps one counter from holding two visitors.
"""

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from layani.branches.actions.check_in import policy_of
from layani.branches.call_config import call_config
from layani.branches.call_statements import CallLock, lock_for_call, waiting_heads
from layani.branches.models import Counter, QueueState, Service, Visit, VisitStatus
from layani.branches.models.visit import ACTIVE_AT_COUNTER
from layani.branches.realtime import publish_call, publish_queue_changed
from layani.conversations.models import EventKind
from layani.conversations.timeline import record_event
from layani.core.errors import Conflict, InvalidInput, NotFound
from layani.core.events import enqueue_on_commit
from layani.core.types import Actor
from layani.routing.queue_policy import Decision, choose_next
from layani.staff.models import Staff
from layani.staff.permissions import Capability, is_branch_scoped, require, staff_of

# An on-time appointment is not called more than this long before its slot.
APPOINTMENT_LEAD = timedelta(minutes=5)


def _acting_staff(actor: Actor) -> Staff:
    require(actor, Capability.SERVE_VISITS)
    staff = staff_of(actor)
    if staff is None:
        raise Conflict(_("Only staff can serve at a counter."), code="not_staff")
    return staff


def _lock_for_call(counter: Counter, staff: Staff, actor: Actor) -> CallLock:
    """Take the branch queue's and the counter's locks and check the counter may call."""
    locked = lock_for_call(counter.pk, staff.pk)
    if locked is None:
        QueueState.objects.get_or_create(branch_id=counter.branch_id)
        locked = lock_for_call(counter.pk, staff.pk)
    if locked is None or (is_branch_scoped(actor) and not locked.staff_in_branch):
        raise NotFound(_("Counter not found."), code="counter_not_found")
    if not locked.counter_open:
        raise Conflict(_("This counter is not open."), code="counter_closed", field="counter")
    if locked.counter_staff_id != staff.pk:
        raise Conflict(
            _("You are not at this counter. Open it first."),
            code="not_at_counter",
            field="counter",
        )
    if locked.counter_busy:
        busy = Visit.objects.filter(counter=counter, status__in=ACTIVE_AT_COUNTER).first()
        raise Conflict(
            _("Finish or release ticket %(ticket)s first.")
            % {"ticket": busy.ticket_number if busy else ""},
            code="counter_busy",
            field="counter",
        )
    return locked


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


def call_next(counter: Counter, *, actor: Actor) -> Visit:
    """Call the next visitor for this counter by the branch's policy.

    On the hot path: one statement takes the locks and reads the checks, one returns the
    candidates, two mark the visitor called and advance the ratio turn; the counter's
    services, skills and policy come from `call_config` without a query.
    """
    staff = _acting_staff(actor)
    now = timezone.now()
    with transaction.atomic():
        locked = _lock_for_call(counter, staff, actor)
        config = call_config(counter.pk, counter.branch_id, staff.pk, locked.config_version)
        candidates = waiting_heads(
            branch_id=counter.branch_id,
            counter_id=counter.pk,
            service_ids=list(config.services),
            queued_before=now + APPOINTMENT_LEAD,
            codes=config.services,
        )
        decision: Decision | None = choose_next(
            candidates,
            config.weights,
            now,
            skill_levels=config.skill_levels,
            ratio_position=locked.ratio_position,
        )
        if decision is None:
            raise Conflict(_("Nobody is waiting for this counter."), code="queue_empty")
        visit = _mark_called(decision.visit_id, counter, staff, now)
        QueueState.objects.filter(branch_id=counter.branch_id).update(
            ratio_position=decision.next_ratio_position, last_called_at=now
        )
        _record(
            visit,
            EventKind.VISIT_CALLED,
            actor,
            f"{visit.ticket_number} → {visit.counter.name if visit.counter else ''}",
            {
                "counter": visit.counter.name if visit.counter else "",
                "reason": decision.reason,
                "group": decision.group,
            },
        )
    _after_call(visit)
    return visit


def call_specific(counter: Counter, visit: Visit, *, reason: str, actor: Actor) -> Visit:
    """Call one ticket out of the policy's order; the reason is required and logged."""
    staff = _acting_staff(actor)
    reason = reason.strip()
    if not reason:
        raise InvalidInput(
            _("Say why this ticket is called out of order."), code="required", field="reason"
        )
    now = timezone.now()
    with transaction.atomic():
        _lock_for_call(counter, staff, actor)
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
