"""Keeping the delivery log from growing without end: finished deliveries go after a while."""

from datetime import datetime, timedelta

from layani.webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint

KEEP_FINISHED_DELIVERIES = timedelta(days=30)
PRUNE_BATCH = 1000


def prune_finished_deliveries(
    *, now: datetime, keep: timedelta = KEEP_FINISHED_DELIVERIES, batch: int = PRUNE_BATCH
) -> int:
    """Delete delivered and failed deliveries older than `keep`; pending ones always stay.

    Works endpoint by endpoint from the oldest id up the (endpoint, -id) index, in batches,
    so no statement holds many rows' locks or scans the whole log.
    """
    cutoff = now - keep
    deleted = 0
    for endpoint_id in WebhookEndpoint.objects.values_list("id", flat=True):
        while True:
            old = list(
                WebhookDelivery.objects.filter(endpoint_id=endpoint_id, created_at__lt=cutoff)
                .exclude(status=DeliveryStatus.PENDING)
                .order_by("id")
                .values_list("id", flat=True)[:batch]
            )
            if not old:
                break
            deleted += WebhookDelivery.objects.filter(pk__in=old).delete()[0]
            if len(old) < batch:
                break
    return deleted
