"""Writes on webhook endpoints and deliveries. Handlers and the admin call these."""

import secrets
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from layani.core.errors import Conflict, InvalidInput
from layani.core.types import Actor
from layani.webhooks.delivery import SECRET_GRACE_PERIOD
from layani.webhooks.dispatch import queue_deliveries
from layani.webhooks.models import (
    ALL_EVENTS,
    PING_EVENT,
    DeliveryStatus,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
    validate_webhook_url,
)

SECRET_PREFIX = "whsec_"
MAX_FAILURE_LIMIT = 1000


@dataclass(frozen=True)
class IssuedSecret:
    endpoint: WebhookEndpoint
    secret: str  # returned once, when the endpoint is created or its secret rotated


def new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def clean_name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise InvalidInput(_("Give the endpoint a name."), code="required", field="name")
    if len(name) > 120:
        raise InvalidInput(_("The name is too long."), code="too_long", field="name")
    return name


def clean_url(url: str) -> str:
    url = (url or "").strip()
    if len(url) > 500:
        raise InvalidInput(_("The URL is too long."), code="too_long", field="url")
    try:
        validate_webhook_url(url)
    except ValidationError as exc:
        raise InvalidInput(
            _("Enter a full http:// or https:// address."), code="invalid_url", field="url"
        ) from exc
    return url


def clean_events(events: Any) -> list[str]:
    """A list of known event names, or ["*"] for all of them."""
    if not isinstance(events, list) or not events:
        raise InvalidInput(
            _("Choose at least one event, or * for every event."), code="required", field="events"
        )
    known = set(WebhookEvent.values)
    unknown = [e for e in events if not isinstance(e, str) or (e != ALL_EVENTS and e not in known)]
    if unknown:
        raise InvalidInput(
            _("Unknown event: %(events)s. Known events: %(known)s, or *.")
            % {"events": ", ".join(map(str, unknown)), "known": ", ".join(WebhookEvent.values)},
            code="unknown_event",
            field="events",
        )
    if ALL_EVENTS in events:
        return [ALL_EVENTS]
    return sorted(set(events))


def clean_failure_limit(value: int) -> int:
    if not isinstance(value, int) or value < 0 or value > MAX_FAILURE_LIMIT:
        raise InvalidInput(
            _("Use a whole number from 0 to %(max)s.") % {"max": MAX_FAILURE_LIMIT},
            code="out_of_range",
            field="failure_limit",
        )
    return value


def create_endpoint(
    *,
    name: str,
    url: str,
    events: list[str],
    failure_limit: int | None = None,
    actor: Actor,
) -> IssuedSecret:
    values: dict[str, Any] = {
        "name": clean_name(name),
        "url": clean_url(url),
        "events": clean_events(events),
    }
    if failure_limit is not None:
        values["failure_limit"] = clean_failure_limit(failure_limit)
    secret = new_secret()
    endpoint = WebhookEndpoint.objects.create(
        **values, secret=secret, created_by=actor if isinstance(actor, User) else None
    )
    return IssuedSecret(endpoint=endpoint, secret=secret)


def update_endpoint(
    endpoint: WebhookEndpoint,
    *,
    name: str | None = None,
    url: str | None = None,
    events: list[str] | None = None,
    is_active: bool | None = None,
    failure_limit: int | None = None,
    actor: Actor,
) -> WebhookEndpoint:
    """Change what is given (None leaves a value as it is). Switching an endpoint back on
    clears its failure count, so it gets a fresh start."""
    now = timezone.now()
    changed: list[str] = []
    if name is not None:
        endpoint.name = clean_name(name)
        changed.append("name")
    if url is not None:
        endpoint.url = clean_url(url)
        changed.append("url")
    if events is not None:
        endpoint.events = clean_events(events)
        changed.append("events")
    if failure_limit is not None:
        endpoint.failure_limit = clean_failure_limit(failure_limit)
        changed.append("failure_limit")
    if is_active is not None and is_active != endpoint.is_active:
        endpoint.is_active = is_active
        if is_active:
            endpoint.consecutive_failures = 0
            endpoint.disabled_at = None
            endpoint.disabled_reason = ""
        else:
            endpoint.disabled_at = now
            who = actor.get_username() if isinstance(actor, User) else _("the system")
            endpoint.disabled_reason = _("Switched off by %(who)s.") % {"who": who}
        changed += ["is_active", "consecutive_failures", "disabled_at", "disabled_reason"]
    if not changed:
        return endpoint
    endpoint.updated_at = now
    endpoint.save(update_fields=[*changed, "updated_at"])
    return endpoint


def rotate_secret(endpoint: WebhookEndpoint, *, actor: Actor) -> IssuedSecret:
    """A new signing secret. Requests are signed with both the new and the old secret for
    SECRET_GRACE_PERIOD, so the receiver can switch without rejecting anything."""
    now = timezone.now()
    secret = new_secret()
    endpoint.previous_secret = endpoint.secret
    endpoint.previous_secret_expires_at = now + SECRET_GRACE_PERIOD
    endpoint.secret = secret
    endpoint.secret_rotated_at = now
    endpoint.updated_at = now
    endpoint.save(
        update_fields=[
            "previous_secret",
            "previous_secret_expires_at",
            "secret",
            "secret_rotated_at",
            "updated_at",
        ]
    )
    return IssuedSecret(endpoint=endpoint, secret=secret)


def delete_endpoint(endpoint: WebhookEndpoint, *, actor: Actor) -> None:
    """Remove the endpoint and its delivery log; nothing more is sent to it."""
    endpoint.delete()


def redeliver(delivery: WebhookDelivery, *, actor: Actor) -> WebhookDelivery:
    """Send a delivered or failed event again, as a new delivery with the same event id
    (so a receiver that already has it can tell). The old delivery stays in the log."""
    if delivery.status == DeliveryStatus.PENDING:
        raise Conflict(
            _("This delivery is still being tried; wait for it to finish."), code="pending"
        )
    endpoint = delivery.endpoint
    if not endpoint.is_active:
        raise Conflict(
            _("The endpoint is switched off. Switch it on first."), code="endpoint_inactive"
        )
    with transaction.atomic():
        [again] = queue_deliveries(
            [endpoint.pk],
            event=delivery.event,
            payload=delivery.payload,
            event_id=delivery.event_id,
            occurred_at=delivery.occurred_at,
        )
    return again


def send_ping(endpoint: WebhookEndpoint, *, actor: Actor) -> WebhookDelivery:
    """A `ping` event to this endpoint only, to check that it receives and verifies."""
    if not endpoint.is_active:
        raise Conflict(
            _("The endpoint is switched off. Switch it on first."), code="endpoint_inactive"
        )
    with transaction.atomic():
        [ping] = queue_deliveries(
            [endpoint.pk], event=PING_EVENT, payload={"endpoint": {"id": endpoint.pk}}
        )
    return ping
