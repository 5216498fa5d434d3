"""Writes on branch walk-ins. The queue behaviour (call-next, policy) builds on these."""

from zoneinfo import ZoneInfo

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from layani.branches.models import Branch, Service, TicketSequence, Visit
from layani.conversations.models import EventKind
from layani.conversations.timeline import record_event
from layani.core.errors import InvalidInput
from layani.core.events import publish_on_commit
from layani.customers.models import Customer

Actor = AbstractBaseUser | AnonymousUser | None


def next_ticket_sequence(branch: Branch, service: Service, day) -> int:
    """Take the next number for (branch, service, day) under a row lock; call inside atomic."""
    TicketSequence.objects.get_or_create(branch=branch, service=service, service_day=day)
    sequence = TicketSequence.objects.select_for_update().get(
        branch=branch, service=service, service_day=day
    )
    sequence.last_value += 1
    sequence.save(update_fields=["last_value"])
    return sequence.last_value


def format_ticket(service: Service, sequence: int) -> str:
    return f"{service.ticket_prefix}{sequence:03d}"


def check_in_visit(
    *,
    branch: Branch,
    service: Service,
    customer: Customer | None,
    note: str = "",
    actor: Actor,
) -> Visit:
    if not branch.is_active:
        raise InvalidInput(_("This branch is closed."), code="branch_closed", field="branch")
    if not service.is_active or not branch.services.filter(pk=service.pk).exists():
        raise InvalidInput(
            _("This branch does not offer this service."), code="unknown_service", field="service"
        )
    now = timezone.now()
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
            checked_in_at=now,
            queue_since=now,
        )
        if customer is not None:
            record_event(
                EventKind.VISIT_CHECKED_IN,
                actor=actor,
                customer=customer,
                visit=visit,
                summary=f"{visit.ticket_number} · {service.name_id} · {branch.name}",
                details={"service": service.code, "purpose": service.purpose},
            )
    publish_on_commit(
        f"branch-{branch.pk}", "visit.checked_in", {"id": visit.pk, "ticket": visit.ticket_number}
    )
    return visit
