"""Emitting events: the one function the rest of Layani calls to notify webhooks."""

import uuid
from typing import Any

from django.utils import timezone

from layani.core.events import enqueue_on_commit
from layani.webhooks.models import WebhookDelivery, WebhookEndpoint, WebhookEvent, subscribes
from layani.webhooks.tasks import deliver_webhook


def emit_event(event: str, payload: dict[str, Any]) -> None:
    """Record `event` for every active endpoint subscribed to it, in the caller's transaction,
    and send it from the worker once that transaction commits.

    A rollback leaves no delivery and sends nothing; a commit keeps the deliveries even when
    the worker is down (the periodic sweep sends them later). `payload` becomes the body's
    `data` and must be JSON-serialisable (datetimes, dates, decimals and UUIDs become strings).
    With no active endpoint this costs one query.
    """
    if event not in WebhookEvent.values:
        raise ValueError(f"Unknown webhook event: {event!r}")
    endpoint_ids = [
        pk
        for pk, events in WebhookEndpoint.objects.filter(is_active=True).values_list("id", "events")
        if subscribes(events, event)
    ]
    if not endpoint_ids:
        return
    queue_deliveries(endpoint_ids, event=event, payload=payload)


def queue_deliveries(
    endpoint_ids: list[int],
    *,
    event: str,
    payload: dict[str, Any],
    event_id: uuid.UUID | None = None,
    occurred_at=None,
) -> list[WebhookDelivery]:
    """One pending delivery per endpoint, each sent by the worker after commit."""
    now = timezone.now()
    event_id = event_id or uuid.uuid4()
    deliveries = WebhookDelivery.objects.bulk_create(
        [
            WebhookDelivery(
                endpoint_id=endpoint_id,
                event=event,
                event_id=event_id,
                occurred_at=occurred_at or now,
                payload=payload,
                next_attempt_at=now,
                created_at=now,
            )
            for endpoint_id in endpoint_ids
        ]
    )
    for delivery in deliveries:
        enqueue_on_commit(deliver_webhook, delivery.pk)
    return deliveries
