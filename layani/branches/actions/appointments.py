"""Booking a slot for a service at a branch."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from layani.branches.actions.check_in import policy_of
from layani.branches.models import Appointment, AppointmentStatus, Branch, Service
from layani.conversations.models import EventKind
from layani.conversations.timeline import record_event
from layani.core.errors import Conflict, InvalidInput
from layani.core.types import Actor
from layani.customers.models import Customer

BOOKING_HORIZON_DAYS = 30


def slots_on(branch: Branch, service: Service, day: date) -> list[tuple[datetime, int]]:
    """(slot start, places left) for every slot of `day` inside the branch's opening hours."""
    policy = policy_of(branch)
    zone = ZoneInfo(branch.timezone)
    starts: list[datetime] = []
    for period in branch.opening_hours.filter(weekday=day.weekday()).order_by("opens_at"):
        moment = datetime.combine(day, period.opens_at, tzinfo=zone)
        end = datetime.combine(day, period.closes_at, tzinfo=zone)
        while moment + timedelta(minutes=policy.slot_minutes) <= end:
            starts.append(moment)
            moment += timedelta(minutes=policy.slot_minutes)
    if not starts:
        return []
    taken = dict(
        Appointment.objects.filter(
            branch=branch,
            service=service,
            starts_at__gte=starts[0],
            starts_at__lte=starts[-1],
        )
        .exclude(status=AppointmentStatus.CANCELLED)
        .values("starts_at")
        .annotate(n=Count("id"))
        .values_list("starts_at", "n")
    )
    now = timezone.now()
    return [
        (start, policy.appointments_per_slot - taken.get(start, 0))
        for start in starts
        if start > now
    ]


def book_appointment(
    *,
    branch: Branch,
    service: Service,
    starts_at: datetime,
    name: str,
    phone: str,
    customer: Customer | None,
    actor: Actor,
) -> Appointment:
    from layani.customers.identities import normalise_phone

    if not branch.services.filter(pk=service.pk, is_active=True).exists():
        raise InvalidInput(
            _("This branch does not offer this service."), code="unknown_service", field="service"
        )
    if not name.strip():
        raise InvalidInput(_("Name is required."), code="required", field="name")
    e164 = normalise_phone(phone) if phone.strip() else ""
    if starts_at.tzinfo is None:
        starts_at = starts_at.replace(tzinfo=ZoneInfo(branch.timezone))
    now = timezone.now()
    if starts_at <= now or starts_at > now + timedelta(days=BOOKING_HORIZON_DAYS):
        raise InvalidInput(
            _("Choose a time within the next %(days)s days.") % {"days": BOOKING_HORIZON_DAYS},
            code="slot_out_of_range",
            field="starts_at",
        )
    day = starts_at.astimezone(ZoneInfo(branch.timezone)).date()
    with transaction.atomic():
        # Serialise bookings of this service at this branch so a slot is never overbooked.
        Service.objects.select_for_update().get(pk=service.pk)
        slots = dict(slots_on(branch, service, day))
        if starts_at not in slots:
            raise InvalidInput(
                _("This is not a slot of the branch's opening hours."),
                code="invalid_slot",
                field="starts_at",
            )
        if slots[starts_at] <= 0:
            raise Conflict(_("This slot is full. Choose another time."), code="slot_full")
        appointment = Appointment.objects.create(
            branch=branch,
            service=service,
            customer=customer,
            name=name.strip()[:160],
            phone=e164,
            starts_at=starts_at,
        )
        if customer is not None:
            record_event(
                EventKind.APPOINTMENT_BOOKED,
                actor=actor,
                customer=customer,
                branch=branch,
                summary=f"{service.name_id} · {branch.name} · "
                f"{starts_at.astimezone(ZoneInfo(branch.timezone)):%d/%m/%Y %H.%M}",
                details={"reference": appointment.reference, "service": service.code},
            )
    return appointment


def cancel_appointment(appointment: Appointment, *, actor: Actor) -> Appointment:
    if appointment.status != AppointmentStatus.BOOKED:
        raise Conflict(_("This booking can no longer be cancelled."), code="not_cancellable")
    appointment.status = AppointmentStatus.CANCELLED
    appointment.save(update_fields=["status"])
    return appointment
