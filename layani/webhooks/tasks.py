"""The worker's side of webhooks: first attempts right after commit, retries every minute."""

from datetime import datetime

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from layani.webhooks.delivery import (
    SWEEP_BATCH,
    claim_delivery,
    claim_due_deliveries,
    send_delivery,
)
from layani.webhooks.retention import prune_finished_deliveries


@db_task()
def deliver_webhook(delivery_id: int) -> None:
    """First attempt of a new delivery, queued when the event's transaction commits."""
    attempt = claim_delivery(delivery_id, now=timezone.now())
    if attempt is not None:
        send_delivery(delivery_id, attempt)


@db_task()
def send_claimed_webhook(delivery_id: int, attempt: int) -> None:
    """An attempt the sweep has already claimed."""
    send_delivery(delivery_id, attempt)


def send_due_deliveries(*, now: datetime, limit: int = SWEEP_BATCH) -> int:
    """Claim the deliveries due at `now` (retries, and first attempts the worker missed)
    and queue one task per delivery, so slow endpoints do not hold up the others."""
    claimed = claim_due_deliveries(now=now, limit=limit)
    for delivery_id, attempt in claimed:
        send_claimed_webhook(delivery_id, attempt)
    return len(claimed)


@db_periodic_task(crontab(minute="*"))
def retry_due_webhooks() -> None:
    send_due_deliveries(now=timezone.now())


@db_periodic_task(crontab(hour="3", minute="17"))
def prune_webhook_deliveries() -> None:
    """Every night: drop delivered and failed deliveries older than 30 days."""
    prune_finished_deliveries(now=timezone.now())
