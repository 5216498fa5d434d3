"""Asking for feedback: a link to rate the service, sent after it ends."""

from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from layani.branches.models import Visit
from layani.conversations.outbox import queue_outbox_message
from layani.core.choices import Channel


def visit_feedback_url(visit: Visit) -> str:
    path = reverse("queue:visit_feedback", args=[visit.public_token])
    return settings.PUBLIC_BASE_URL.rstrip("/") + path


def ask_for_visit_feedback(visit: Visit) -> None:
    from layani.branches.notifications import phone_of

    to = phone_of(visit)
    if not to:
        return
    link = visit_feedback_url(visit)
    with translation.override(settings.LANGUAGE_CODE):
        body = _(
            "Thank you for visiting %(branch)s. How was our service? Rate it in one tap: %(link)s"
        ) % {"branch": visit.branch.name, "link": link}
    queue_outbox_message(
        channel=Channel.WHATSAPP,
        recipient=to,
        body=body,
        reason="feedback",
        link=link,
        customer=visit.customer,
        visit=visit,
    )
