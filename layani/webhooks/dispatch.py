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
    emit_events(event, [payload])


def emit_events(event: str, payloads: list[dict[str, Any]]) -> None:
    """`emit_event` for several occurrences of one event (a batch of messages): one query
    for the endpoints and one insert for all their deliveries, whatever the number."""
    if event not in WebhookEvent.values:
        raise ValueError(f"Unknown webhook event: {event!r}")
    if not payloads:
        return
    endpoint_ids = [
        pk
        for pk, events in WebhookEndpoint.objects.filter(is_active=True).values_list("id", "events")
        if subscribes(events, event)
    ]
    if not endpoint_ids:
        return
    now = timezone.now()
    deliveries = WebhookDelivery.objects.bulk_create(
        [
            _delivery(endpoint_id, event=event, event_id=event_id, payload=payload, now=now)
            for payload, event_id in ((p, uuid.uuid4()) for p in payloads)
            for endpoint_id in endpoint_ids
        ]
    )
    for delivery in deliveries:
        enqueue_on_commit(deliver_webhook, delivery.pk)


def _delivery(
    endpoint_id: int,
    *,
    event: str,
    event_id: uuid.UUID,
    payload: dict[str, Any],
    now: Any,
    occurred_at: Any = None,
) -> WebhookDelivery:
    return WebhookDelivery(
        endpoint_id=endpoint_id,
        event=event,
        event_id=event_id,
        occurred_at=occurred_at or now,
        payload=payload,
        next_attempt_at=now,
        created_at=now,
    )


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
            _delivery(
                endpoint_id,
                event=event,
                event_id=event_id,
                payload=payload,
                now=now,
                occurred_at=occurred_at,
            )
            for endpoint_id in endpoint_ids
        ]
    )
    for delivery in deliveries:
        enqueue_on_commit(deliver_webhook, delivery.pk)
    return deliveries
