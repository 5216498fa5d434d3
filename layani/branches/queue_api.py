"""The branch queue in /api/v1/: every action of the kiosk, counter and supervisor pages."""

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router, Status

from layani.branches import actions
from layani.branches.models import Appointment, Counter, Service, Visit, VisitSource
from layani.branches.queries import access_branch, branches_for, visits_for
from layani.branches.queue_queries import branch_queue
from layani.branches.queue_schemas import (
    AppointmentIn,
    AppointmentOut,
    CallSpecificIn,
    CheckInIn,
    CounterOut,
    CounterQueueOut,
    FeedbackIn,
    FeedbackOut,
    FinishIn,
    OpenCounterIn,
    QueueOut,
    RemoteJoinIn,
    ServiceQueueOut,
    SlotOut,
    SlotQuery,
    TicketOut,
    TransferIn,
    VisitOut,
)
from layani.core.errors import NotFound
from layani.customers.queries import customers_for
from layani.feedback.actions import record_visit_feedback
from layani.staff.models import Staff
from layani.staff.permissions import Capability, can, require

router = Router(tags=["branch queue"])


def _service(branch_id: int, service_id: int) -> Service:
    service = Service.objects.filter(pk=service_id, branches=branch_id).first()
    if service is None:
        raise NotFound(_("This branch does not offer this service."), code="unknown_service")
    return service


def _counter(request: HttpRequest, counter_id: int) -> Counter:
    counter = (
        Counter.objects.filter(pk=counter_id, branch__in=branches_for(request.user))
        .select_related("branch")
        .first()
    )
    if counter is None:
        raise NotFound(_("Counter not found."), code="counter_not_found")
    return counter


def _visit(request: HttpRequest, visit_id: int) -> Visit:
    visit = visits_for(request.user).select_related("branch", "service").filter(pk=visit_id).first()
    if visit is None:
        raise NotFound(_("Ticket not found."), code="visit_not_found")
    return visit


def _ticket(checked_in: actions.CheckIn) -> dict[str, object]:
    return {
        "visit": checked_in.visit,
        "position": checked_in.estimate.position,
        "estimated_wait_minutes": checked_in.estimate.minutes,
    }


@router.get("/branches/{branch_id}/queue", response=QueueOut, summary="Live queue of a branch")
def queue_state(request: HttpRequest, branch_id: int) -> QueueOut:
    if not can(request.user, Capability.SUPERVISE):
        require(request.user, Capability.SERVE_VISITS)
    queue = branch_queue(access_branch(request.user, branch_id))
    return QueueOut(
        branch_id=branch_id,
        waiting=queue.waiting,
        served=queue.served,
        no_shows=queue.no_shows,
        estimate_error_seconds=queue.estimate_error_seconds,
        estimates_judged=queue.estimates_judged,
        feedback_average=queue.feedback_average,
        feedback_count=queue.feedback_count,
        services=[
            ServiceQueueOut(
                service_id=line.service.pk,
                code=line.service.code,
                waiting=line.waiting,
                longest_wait_seconds=line.longest_wait_seconds,
                served=line.served,
                no_shows=line.no_shows,
                average_wait_seconds=line.average_wait_seconds,
                average_serve_seconds=line.average_serve_seconds,
                estimate_error_seconds=line.estimate_error_seconds,
                estimates_judged=line.estimates_judged,
            )
            for line in queue.services
        ],
        counters=[
            CounterQueueOut(
                counter=CounterOut.from_orm(line.counter),
                current_ticket=line.current.ticket_number if line.current else None,
                current_visit_id=line.current.pk if line.current else None,
            )
            for line in queue.counters
        ],
    )


@router.post(
    "/branches/{branch_id}/check-in", response={201: TicketOut}, summary="Check in (kiosk)"
)
def check_in(request: HttpRequest, branch_id: int, payload: CheckInIn) -> Status:
    require(request.user, Capability.CHECK_IN)
    branch = access_branch(request.user, branch_id)
    service = _service(branch_id, payload.service_id)
    customer = actions.recognise_or_record_customer(
        phone=payload.phone,
        membership_number=payload.membership_number,
        name=payload.name,
        purpose=service.purpose,
        actor=request.user,
    )
    checked_in = actions.check_in(
        branch=branch,
        service=service,
        customer=customer,
        actor=request.user,
        note=payload.note,
        source=VisitSource.API if not can(request.user, Capability.SERVE_VISITS) else "staff",
        priority_category=payload.priority_category,
    )
    return Status(201, _ticket(checked_in))


@router.post(
    "/branches/{branch_id}/remote-join",
    response={201: TicketOut},
    summary="Join the queue from outside the branch",
)
def remote_join(request: HttpRequest, branch_id: int, payload: RemoteJoinIn) -> Status:
    require(request.user, Capability.CHECK_IN)
    from layani.branches.notifications import send_ticket

    branch = access_branch(request.user, branch_id)
    service = _service(branch_id, payload.service_id)
    customer = actions.recognise_or_record_customer(
        phone=payload.phone, name=payload.name, purpose=service.purpose, actor=request.user
    )
    checked_in = actions.check_in(
        branch=branch,
        service=service,
        customer=customer,
        actor=request.user,
        source=VisitSource.REMOTE,
    )
    send_ticket(checked_in.visit)
    return Status(201, _ticket(checked_in))


@router.get(
    "/branches/{branch_id}/appointment-slots",
    response=list[SlotOut],
    summary="Free appointment slots of a day",
)
def appointment_slots(request: HttpRequest, branch_id: int, query: Query[SlotQuery]) -> list:
    branch = access_branch(request.user, branch_id)
    service = _service(branch_id, query.service_id)
    return [
        SlotOut(starts_at=start, places_left=left)
        for start, left in actions.slots_on(branch, service, query.day)
        if left > 0
    ]


@router.post(
    "/branches/{branch_id}/appointments",
    response={201: AppointmentOut},
    summary="Book an appointment",
)
def book_appointment(request: HttpRequest, branch_id: int, payload: AppointmentIn) -> Status:
    require(request.user, Capability.CHECK_IN)
    branch = access_branch(request.user, branch_id)
    customer = None
    if payload.customer_id is not None:
        customer = customers_for(request.user).filter(pk=payload.customer_id).first()
        if customer is None:
            raise NotFound(_("Customer not found."), code="customer_not_found")
    appointment = actions.book_appointment(
        branch=branch,
        service=_service(branch_id, payload.service_id),
        starts_at=payload.starts_at,
        name=payload.name,
        phone=payload.phone,
        customer=customer,
        actor=request.user,
    )
    return Status(201, appointment)


@router.post(
    "/appointments/{reference}/check-in",
    response={201: TicketOut},
    summary="Check in for a booked appointment",
)
def appointment_check_in(request: HttpRequest, reference: str) -> Status:
    require(request.user, Capability.CHECK_IN)
    appointment = (
        Appointment.objects.filter(
            reference=reference.upper(), branch__in=branches_for(request.user)
        )
        .select_related("branch", "service", "customer")
        .first()
    )
    if appointment is None:
        raise NotFound(_("No booking has this code."), code="appointment_not_found")
    checked_in = actions.check_in(
        branch=appointment.branch,
        service=appointment.service,
        customer=appointment.customer,
        actor=request.user,
        appointment=appointment,
    )
    return Status(201, _ticket(checked_in))


@router.post("/counters/{counter_id}/open", response=CounterOut, summary="Open a counter")
def open_counter(request: HttpRequest, counter_id: int, payload: OpenCounterIn) -> Counter:
    counter = _counter(request, counter_id)
    staff = None
    if payload.staff_id is not None:
        staff = Staff.objects.filter(pk=payload.staff_id, is_active=True).first()
        if staff is None:
            raise NotFound(_("Staff member not found."), code="staff_not_found")
    return actions.open_counter(counter, actor=request.user, staff=staff)


@router.post("/counters/{counter_id}/close", response=CounterOut, summary="Close a counter")
def close_counter(request: HttpRequest, counter_id: int) -> Counter:
    return actions.close_counter(_counter(request, counter_id), actor=request.user)


@router.post("/counters/{counter_id}/call-next", response=VisitOut, summary="Call next")
def call_next(request: HttpRequest, counter_id: int) -> Visit:
    return actions.call_next(_counter(request, counter_id), actor=request.user)


@router.post("/counters/{counter_id}/call", response=VisitOut, summary="Call a ticket out of order")
def call_specific(request: HttpRequest, counter_id: int, payload: CallSpecificIn) -> Visit:
    counter = _counter(request, counter_id)
    visit = _visit(request, payload.visit_id)
    return actions.call_specific(counter, visit, reason=payload.reason, actor=request.user)


@router.get("/visits/{visit_id}", response=VisitOut, summary="Read a ticket")
def read_visit(request: HttpRequest, visit_id: int) -> Visit:
    return _visit(request, visit_id)


@router.post("/visits/{visit_id}/start", response=VisitOut, summary="Start serving")
def start(request: HttpRequest, visit_id: int) -> Visit:
    return actions.start_service(_visit(request, visit_id), actor=request.user)


@router.post("/visits/{visit_id}/finish", response=VisitOut, summary="Finish serving")
def finish(request: HttpRequest, visit_id: int, payload: FinishIn) -> Visit:
    return actions.finish_service(
        _visit(request, visit_id), outcome_note=payload.outcome_note, actor=request.user
    )


@router.post("/visits/{visit_id}/recall", response=VisitOut, summary="Call again")
def recall(request: HttpRequest, visit_id: int) -> Visit:
    return actions.recall(_visit(request, visit_id), actor=request.user)


@router.post("/visits/{visit_id}/no-show", response=VisitOut, summary="Mark as no-show")
def no_show(request: HttpRequest, visit_id: int) -> Visit:
    return actions.mark_no_show(_visit(request, visit_id), actor=request.user)


@router.post("/visits/{visit_id}/transfer", response=VisitOut, summary="Transfer")
def transfer(request: HttpRequest, visit_id: int, payload: TransferIn) -> Visit:
    visit = _visit(request, visit_id)
    to_service = _service(visit.branch_id, payload.service_id) if payload.service_id else None
    to_counter = _counter(request, payload.counter_id) if payload.counter_id else None
    return actions.transfer(
        visit,
        actor=request.user,
        to_service=to_service,
        to_counter=to_counter,
        reason=payload.reason,
    )


@router.post("/visits/{visit_id}/feedback", response={201: FeedbackOut}, summary="Exit feedback")
def feedback(request: HttpRequest, visit_id: int, payload: FeedbackIn) -> Status:
    require(request.user, Capability.CHECK_IN)
    response = record_visit_feedback(
        _visit(request, visit_id),
        rating=payload.rating,
        comment=payload.comment,
        channel=payload.channel,
        actor=request.user,
    )
    return Status(201, response)
