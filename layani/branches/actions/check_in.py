"""Getting into the queue: kiosk check-in, remote join, and an appointment's arrival."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from layani.branches.estimates import Estimate, give_estimate
from layani.branches.models import (
    Appointment,
    AppointmentStatus,
    Branch,
    PriorityCategory,
    QueuePolicy,
    Service,
    TicketSequence,
    Visit,
    VisitSource,
)
from layani.branches.opening import is_open_at
from layani.branches.realtime import publish_queue_changed
from layani.conversations.models import EventKind
from layani.conversations.timeline import record_event
from layani.core.choices import Purpose
from layani.core.errors import InvalidInput
from layani.core.types import Actor
from layani.customers.models import Customer


def next_ticket_sequence(branch: Branch, service: Service, day: date) -> int:
    """Take the next number for the service's prefix at (branch, day) under a row lock.

    Call inside a transaction.
    """
    prefix = service.ticket_prefix
    TicketSequence.objects.get_or_create(branch=branch, prefix=prefix, service_day=day)
    sequence = TicketSequence.objects.select_for_update().get(
        branch=branch, prefix=prefix, service_day=day
    )
    sequence.last_value += 1
    sequence.save(update_fields=["last_value"])
    return sequence.last_value


def format_ticket(service: Service, sequence: int) -> str:
    return f"{service.ticket_prefix}{sequence:03d}"


def policy_of(branch: Branch) -> QueuePolicy:
    policy, _created = QueuePolicy.objects.get_or_create(branch=branch)
    return policy


@dataclass(frozen=True)
class CheckIn:
    visit: Visit
    estimate: Estimate


def _ensure_can_queue(branch: Branch, service: Service, now: datetime) -> None:
    if not branch.is_active or not is_open_at(branch, now):
        raise InvalidInput(
            _("The branch is closed now. Please come back during opening hours."),
            code="branch_closed",
            field="branch",
        )
    if not service.is_active or not branch.services.filter(pk=service.pk).exists():
        raise InvalidInput(
            _("This branch does not offer this service."), code="unknown_service", field="service"
        )


def _appointment_arrival(
    appointment: Appointment, policy: QueuePolicy, now: datetime
) -> tuple[datetime, str]:
    """(queue_since, category) for an appointment checking in now.

    On time (from `appointment_early_minutes` before the slot to `appointment_grace_minutes`
    after it starts) it is queued as if it arrived at its slot, with the appointment weight.
    Late, it drops into the normal queue from now. Too early is refused by the caller.
    """
    on_time_until = appointment.starts_at + timedelta(minutes=policy.appointment_grace_minutes)
    if now <= on_time_until:
        return appointment.starts_at, "appointment"
    return now, ""


def check_in_visit(**kwargs: Any) -> Visit:
    """`check_in` when only the visit is needed."""
    return check_in(**kwargs).visit


def check_in(
    *,
    branch: Branch,
    service: Service,
    customer: Customer | None,
    actor: Actor,
    note: str = "",
    source: str = VisitSource.KIOSK,
    priority_category: str = "",
    appointment: Appointment | None = None,
) -> CheckIn:
    """Issue a ticket, tell the visitor their place and wait, and record both."""
    now = timezone.now()
    _ensure_can_queue(branch, service, now)
    if priority_category not in PriorityCategory.values:
        raise InvalidInput(
            _("Unknown priority category."), code="invalid_choice", field="priority_category"
        )
    if len(note) > 1000:
        raise InvalidInput(_("The note is too long."), code="too_long", field="note")
    policy = policy_of(branch)
    queue_since, category = now, priority_category
    if appointment is not None:
        if appointment.status != AppointmentStatus.BOOKED:
            raise InvalidInput(
                _("This booking was already used or cancelled."),
                code="appointment_not_bookable",
                field="appointment",
            )
        earliest = appointment.starts_at - timedelta(minutes=policy.appointment_early_minutes)
        if now < earliest:
            raise InvalidInput(
                _("Too early for this booking: check in from %(time)s.")
                % {"time": earliest.astimezone(ZoneInfo(branch.timezone)).strftime("%H.%M")},
                code="appointment_too_early",
                field="appointment",
            )
        queue_since, appointment_category = _appointment_arrival(appointment, policy, now)
        category = appointment_category or priority_category
        customer = customer or appointment.customer
        source = VisitSource.APPOINTMENT
    day = now.astimezone(ZoneInfo(branch.timezone)).date()
    with transaction.atomic():
        sequence = next_ticket_sequence(branch, service, day)
        visit = Visit.objects.create(
            branch=branch,
            service=service,
            purpose=service.purpose,
            customer=customer,
            service_day=day,
            ticket_sequence=sequence,
            ticket_number=format_ticket(service, sequence),
            note=note.strip(),
            source=source,
            priority_category=category,
            customer_tier=customer.tier if customer is not None else "",
            appointment=appointment,
            checked_in_at=now,
            queue_since=queue_since,
        )
        if appointment is not None:
            appointment.status = AppointmentStatus.CHECKED_IN
            appointment.save(update_fields=["status"])
        estimate = give_estimate(visit, shown_on=source)
        if customer is not None:
            record_event(
                EventKind.VISIT_CHECKED_IN,
                actor=actor,
                customer=customer,
                visit=visit,
                summary=f"{visit.ticket_number} · {service.name_id} · {branch.name}",
                details={
                    "service": service.code,
                    "purpose": service.purpose,
                    "source": source,
                    "estimated_minutes": estimate.minutes,
                    **({"note": visit.note} if visit.note else {}),
                },
            )
    publish_queue_changed(branch, "visit.checked_in", visit)
    return CheckIn(visit=visit, estimate=estimate)


def _stored_visitor_name(e164: str) -> str:
    """A placeholder name, stored in the site's language whatever the kiosk shows."""
    with translation.override(settings.LANGUAGE_CODE):
        return _("Visitor %(phone)s") % {"phone": e164}


def recognise_or_record_customer(
    *, phone: str = "", membership_number: str = "", name: str = "", purpose: str, actor: Actor
) -> Customer | None:
    """The kiosk's "who are you": a known customer, or a new one / prospect recorded as such."""
    from layani.customers.actions import CustomerDetails, create_customer
    from layani.customers.identities import normalise_phone
    from layani.customers.models import CustomerIdentity, CustomerStatus, IdentityKind

    if membership_number.strip():
        found = Customer.objects.filter(membership_number=membership_number.strip()).first()
        if found is None:
            raise InvalidInput(
                _("No customer has this membership number."),
                code="unknown_member",
                field="membership_number",
            )
        return found
    if not phone.strip():
        return None
    e164 = normalise_phone(phone)
    identity = (
        CustomerIdentity.objects.select_related("customer")
        .filter(kind__in=[IdentityKind.PHONE, IdentityKind.WHATSAPP], value=e164)
        .first()
    )
    if identity is not None:
        return identity.customer
    status = CustomerStatus.PROSPECT if purpose == Purpose.PROSPECT else CustomerStatus.CUSTOMER
    return create_customer(
        CustomerDetails.from_values(
            {
                "full_name": name.strip() or _stored_visitor_name(e164),
                "status": status,
                "phone": e164,
            }
        ),
        actor=actor,
    )


def attach_customer_by_phone(visit: Visit, *, phone: str, actor: Actor) -> Visit:
    """An anonymous visitor gave their phone after the ticket was issued (to receive it by
    WhatsApp or SMS): recognise them, or record them as a new customer or prospect, and put
    the visit on their file. A visit that already has a customer is left as it is."""
    if visit.customer_id is not None or not phone.strip():
        return visit
    with transaction.atomic():
        locked = (
            Visit.objects.select_for_update().select_related("branch", "service").get(pk=visit.pk)
        )
        if locked.customer_id is not None:
            return locked
        customer = recognise_or_record_customer(phone=phone, purpose=locked.purpose, actor=actor)
        if customer is None:
            return locked
        locked.customer = customer
        locked.customer_tier = customer.tier
        locked.save(update_fields=["customer", "customer_tier"])
        record_event(
            EventKind.VISIT_CHECKED_IN,
            actor=actor,
            customer=customer,
            visit=locked,
            summary=f"{locked.ticket_number} · {locked.service.name_id} · {locked.branch.name}",
            details={
                "service": locked.service.code,
                "purpose": locked.purpose,
                "source": locked.source,
                "identified_after_ticket": True,
            },
        )
    publish_queue_changed(locked.branch, "visit.updated", locked)
    return locked
