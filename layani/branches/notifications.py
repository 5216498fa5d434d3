"""Messages to visitors: their ticket, "come now", and the link to rate the service."""

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from layani.branches.models import QueuePolicy, Visit, VisitSource, VisitStatus
from layani.conversations.outbox import queue_outbox_message
from layani.core.choices import Channel
from layani.customers.models import CustomerIdentity, IdentityKind


def public_url(path: str) -> str:
    return settings.PUBLIC_BASE_URL.rstrip("/") + path


def visit_status_url(visit: Visit) -> str:
    return public_url(reverse("queue:visit_status", args=[visit.public_token]))


def phone_of(visit: Visit) -> str | None:
    if visit.customer_id is None:
        return None
    identity = (
        CustomerIdentity.objects.filter(
            customer_id=visit.customer_id, kind__in=[IdentityKind.WHATSAPP, IdentityKind.PHONE]
        )
        .order_by("-kind")  # whatsapp before phone
        .first()
    )
    return identity.value if identity else None


def send_ticket(visit: Visit, *, channel: str = Channel.WHATSAPP, recipient: str = "") -> None:
    """The visitor's ticket with its live-status link, by WhatsApp or SMS (via the outbox)."""
    to = recipient or phone_of(visit)
    if not to:
        return
    with translation.override(settings.LANGUAGE_CODE):
        body = _(
            "Your ticket at %(branch)s: %(ticket)s for %(service)s. "
            "Follow your place in the queue: %(link)s"
        ) % {
            "branch": visit.branch.name,
            "ticket": visit.ticket_number,
            "service": visit.service.name_id,
            "link": visit_status_url(visit),
        }
    queue_outbox_message(
        channel=channel,
        recipient=to,
        body=body,
        reason="ticket",
        link=visit_status_url(visit),
        customer=visit.customer,
        visit=visit,
    )


def notify_visitors_near_front(branch_id: int, service_id: int) -> int:
    """Send "come now" once to each remote visitor within the policy's distance of the front."""
    policy = QueuePolicy.objects.filter(branch_id=branch_id).first()
    near = policy.near_front_position if policy else 3
    front = list(
        Visit.objects.filter(branch_id=branch_id, service_id=service_id, status=VisitStatus.WAITING)
        .select_related("branch", "service")
        .order_by("queue_since", "id")[:near]
    )
    sent = 0
    for position, visit in enumerate(front, start=1):
        if visit.source != VisitSource.REMOTE or visit.near_front_notified_at is not None:
            continue
        to = phone_of(visit)
        with transaction.atomic():
            claimed = Visit.objects.filter(pk=visit.pk, near_front_notified_at__isnull=True).update(
                near_front_notified_at=timezone.now()
            )
            if not claimed or not to:
                continue
            with translation.override(settings.LANGUAGE_CODE):
                values = {
                    "ticket": visit.ticket_number,
                    "ahead": position - 1,
                    "branch": visit.branch.name,
                }
                if position == 1:
                    body = _("%(ticket)s: you are next. Please come to %(branch)s now.") % values
                else:
                    body = (
                        _(
                            "%(ticket)s: your turn is close (%(ahead)s ahead of you). "
                            "Please come to %(branch)s now."
                        )
                        % values
                    )
            queue_outbox_message(
                channel=Channel.WHATSAPP,
                recipient=to,
                body=body,
                reason="come_now",
                link=visit_status_url(visit),
                customer=visit.customer,
                visit=visit,
            )
            sent += 1
    return sent
