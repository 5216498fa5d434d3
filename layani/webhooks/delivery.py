"""Sending a delivery: claim it, POST it signed, record the outcome, schedule a retry.

A delivery is claimed before it is sent: the claim counts the attempt and moves
`next_attempt_at` to the end of a lease, in one conditional UPDATE (or under
`SELECT ... FOR UPDATE SKIP LOCKED` for a batch), so two workers never send the same
attempt. The HTTP request runs outside any transaction; if a worker dies during it, the
lease runs out and the periodic sweep tries again. Receivers deduplicate on the event id.
"""

import asyncio
import json
import logging
import random
import ssl
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache

import certifi
import httpx
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

import layani
from layani.webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint
from layani.webhooks.signing import (
    DELIVERY_HEADER,
    EVENT_HEADER,
    SIGNATURE_HEADER,
    signature_header,
)

logger = logging.getLogger(__name__)

# After the n-th failed attempt the next one waits RETRY_DELAYS[n - 1] (give or take
# RETRY_JITTER); after the last one the delivery is failed.
RETRY_DELAYS = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=6),
    timedelta(hours=12),
    timedelta(hours=24),
)
RETRY_JITTER = 0.1
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1
# How long a claimed attempt may take before another worker may try again. Far longer than
# one request can take, so it only matters when a worker died during an attempt.
CLAIM_LEASE = timedelta(minutes=10)
CONNECT_TIMEOUT_SECONDS = 5.0
TOTAL_TIMEOUT_SECONDS = 10.0
SWEEP_BATCH = 100
USER_AGENT = f"Layani-Webhooks/{layani.__version__}"
SECRET_GRACE_PERIOD = timedelta(hours=24)


@dataclass(frozen=True)
class AttemptResult:
    status_code: int | None
    error: str
    duration_ms: int

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def retry_delay(failed_attempts: int) -> timedelta:
    """How long to wait after `failed_attempts` attempts failed, with jitter, so that
    deliveries that failed together do not all come back at the same moment."""
    base = RETRY_DELAYS[min(failed_attempts, len(RETRY_DELAYS)) - 1]
    return base * random.uniform(1 - RETRY_JITTER, 1 + RETRY_JITTER)


def claim_delivery(delivery_id: int, *, now: datetime) -> int | None:
    """Claim one due delivery; the attempt number it is sent as, or None if it is not due
    (already delivered, failed, or claimed by another worker)."""
    claimed = WebhookDelivery.objects.filter(
        pk=delivery_id, status=DeliveryStatus.PENDING, next_attempt_at__lte=now
    ).update(attempts=F("attempts") + 1, next_attempt_at=now + CLAIM_LEASE)
    if not claimed:
        return None
    return WebhookDelivery.objects.values_list("attempts", flat=True).get(pk=delivery_id)


def claim_due_deliveries(*, now: datetime, limit: int = SWEEP_BATCH) -> list[tuple[int, int]]:
    """Claim up to `limit` due deliveries, oldest due first: (delivery id, attempt number).

    On PostgreSQL rows another worker is claiming are skipped, not waited for; on SQLite
    the transaction holds the database's write lock, which serialises claims just the same.
    """
    with transaction.atomic():
        due = list(
            WebhookDelivery.objects.select_for_update(skip_locked=True)
            .filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=now)
            .order_by("next_attempt_at")
            .values_list("id", "attempts")[:limit]
        )
        if not due:
            return []
        WebhookDelivery.objects.filter(pk__in=[pk for pk, _attempts in due]).update(
            attempts=F("attempts") + 1, next_attempt_at=now + CLAIM_LEASE
        )
    return [(pk, attempts + 1) for pk, attempts in due]


def request_body(delivery: WebhookDelivery) -> bytes:
    body = {
        "id": str(delivery.event_id),
        "event": delivery.event,
        "created_at": delivery.occurred_at.astimezone(UTC).isoformat(),
        "data": delivery.payload,
    }
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()


def send_delivery(delivery_id: int, attempt: int) -> AttemptResult | None:
    """Send a claimed attempt and record how it went. None when the claim is no longer
    ours (the delivery changed meanwhile) or the endpoint was switched off."""
    delivery = WebhookDelivery.objects.select_related("endpoint").filter(pk=delivery_id).first()
    if delivery is None or delivery.status != DeliveryStatus.PENDING:
        return None
    if delivery.attempts != attempt:
        return None
    endpoint = delivery.endpoint
    if not endpoint.is_active:
        _close_for_inactive_endpoint(delivery, attempt)
        return None
    body = request_body(delivery)
    now = timezone.now()
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        EVENT_HEADER: delivery.event,
        DELIVERY_HEADER: str(delivery.event_id),
        SIGNATURE_HEADER: signature_header(
            endpoint.signing_secrets(now), body, timestamp=int(now.timestamp())
        ),
    }
    result = post(endpoint.url, body, headers)
    record_attempt(delivery, attempt, result, now=timezone.now())
    return result


def post(url: str, body: bytes, headers: dict[str, str]) -> AttemptResult:
    """POST the body; never raises. The whole exchange is bounded by TOTAL_TIMEOUT_SECONDS,
    even against a server that answers one byte at a time."""
    started = time.monotonic()
    status_code: int | None = None
    error = ""
    try:
        status_code = asyncio.run(
            asyncio.wait_for(_post(url, body, headers), timeout=TOTAL_TIMEOUT_SECONDS)
        )
    except (TimeoutError, httpx.TimeoutException):
        error = _("Timed out after %(seconds).1f s") % {"seconds": _elapsed(started) / 1000}
    except (httpx.HTTPError, httpx.InvalidURL, OSError) as exc:
        error = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    except Exception as exc:  # a bug must not leave the delivery claimed until the lease ends
        logger.exception("Webhook delivery to %s failed unexpectedly", url)
        error = f"Unexpected error: {type(exc).__name__}"
    if status_code is not None and not 200 <= status_code < 300:
        error = f"HTTP {status_code}"
    return AttemptResult(status_code=status_code, error=error[:500], duration_ms=_elapsed(started))


async def _post(url: str, body: bytes, headers: dict[str, str]) -> int:
    timeout = httpx.Timeout(TOTAL_TIMEOUT_SECONDS, connect=CONNECT_TIMEOUT_SECONDS)
    async with (
        httpx.AsyncClient(timeout=timeout, verify=_tls_context(), follow_redirects=False) as client,
        client.stream("POST", url, content=body, headers=headers) as response,
    ):
        # The answer's status is all we keep; the body is never read.
        return response.status_code


@cache
def _tls_context() -> ssl.SSLContext:
    return ssl.create_default_context(cafile=certifi.where())


def _elapsed(started: float) -> int:
    return int((time.monotonic() - started) * 1000)


def record_attempt(
    delivery: WebhookDelivery, attempt: int, result: AttemptResult, *, now: datetime
) -> None:
    """Store the outcome of an attempt: delivered, a retry later, or failed for good, and
    keep the endpoint's failure count (which may switch the endpoint off)."""
    ours = WebhookDelivery.objects.filter(
        pk=delivery.pk, status=DeliveryStatus.PENDING, attempts=attempt
    )
    outcome = {
        "last_status_code": result.status_code,
        "last_error": result.error,
        "last_duration_ms": result.duration_ms,
    }
    endpoints = WebhookEndpoint.objects.filter(pk=delivery.endpoint_id)
    with transaction.atomic():
        if result.succeeded:
            if ours.update(
                status=DeliveryStatus.DELIVERED, delivered_at=now, next_attempt_at=None, **outcome
            ):
                # Touch the endpoint at most once a minute while all is well: a busy
                # endpoint's row is not rewritten on every event.
                endpoints.filter(
                    Q(consecutive_failures__gt=0)
                    | Q(last_success_at__isnull=True)
                    | Q(last_success_at__lt=now - timedelta(minutes=1))
                ).update(consecutive_failures=0, last_success_at=now)
            return
        if attempt < MAX_ATTEMPTS:
            ours.update(next_attempt_at=now + retry_delay(attempt), **outcome)
            endpoints.update(last_failure_at=now)
            return
        if ours.update(status=DeliveryStatus.FAILED, next_attempt_at=None, **outcome):
            endpoints.update(
                consecutive_failures=F("consecutive_failures") + 1, last_failure_at=now
            )
            endpoints.filter(
                is_active=True,
                failure_limit__gt=0,
                consecutive_failures__gte=F("failure_limit"),
            ).update(
                is_active=False,
                disabled_at=now,
                disabled_reason=(
                    _("Too many deliveries in a row failed (last error: %(error)s)")
                    % {"error": result.error}
                )[:255],
                updated_at=now,
            )


def _close_for_inactive_endpoint(delivery: WebhookDelivery, attempt: int) -> None:
    """A switched-off endpoint gets nothing: its delivery fails without a request (it can be
    redelivered once the endpoint is on again). Not counted as the endpoint's failure."""
    WebhookDelivery.objects.filter(
        pk=delivery.pk, status=DeliveryStatus.PENDING, attempts=attempt
    ).update(
        status=DeliveryStatus.FAILED,
        attempts=attempt - 1,  # the claim made no request
        next_attempt_at=None,
        last_error=_("The endpoint is switched off."),
    )
