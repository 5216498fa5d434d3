from datetime import datetime
from uuid import UUID

from ninja import Schema
from pydantic import ConfigDict, Field


class StrictSchema(Schema):
    model_config = ConfigDict(extra="forbid")


EVENTS_HELP = (
    'Event names ("conversation.created", "conversation.updated", "message.created", '
    '"message.updated"), or ["*"] for all of them.'
)


class WebhookEndpointIn(StrictSchema):
    name: str = Field(min_length=1, max_length=120)
    url: str = Field(min_length=1, max_length=500, description="http:// or https:// address")
    events: list[str] = Field(min_length=1, max_length=20, description=EVENTS_HELP)
    failure_limit: int | None = Field(
        default=None,
        ge=0,
        le=1000,
        description="Switch the endpoint off after this many deliveries in a row fail (0: never)",
    )


class WebhookEndpointPatch(StrictSchema):
    name: str | None = Field(default=None, min_length=1, max_length=120)
    url: str | None = Field(default=None, min_length=1, max_length=500)
    events: list[str] | None = Field(default=None, min_length=1, max_length=20)
    is_active: bool | None = None
    failure_limit: int | None = Field(default=None, ge=0, le=1000)


class WebhookEndpointOut(Schema):
    id: int
    name: str
    url: str
    events: list[str]
    is_active: bool
    failure_limit: int
    consecutive_failures: int
    last_success_at: datetime | None
    last_failure_at: datetime | None
    disabled_at: datetime | None
    disabled_reason: str
    created_at: datetime
    updated_at: datetime
    secret_rotated_at: datetime | None


class WebhookEndpointWithSecretOut(WebhookEndpointOut):
    secret: str = Field(description="The signing secret. Shown only this once: store it now.")


class WebhookEndpointPage(Schema):
    items: list[WebhookEndpointOut]
    next_cursor: str | None


class WebhookDeliveryOut(Schema):
    id: int
    endpoint_id: int
    event: str
    event_id: UUID
    occurred_at: datetime
    status: str
    attempts: int
    next_attempt_at: datetime | None
    last_status_code: int | None
    last_error: str
    last_duration_ms: int | None
    created_at: datetime
    delivered_at: datetime | None


class WebhookDeliveryDetailOut(WebhookDeliveryOut):
    payload: dict


class WebhookDeliveryPage(Schema):
    items: list[WebhookDeliveryOut]
    next_cursor: str | None


class PageQuery(Schema):
    cursor: str | None = Field(default=None, max_length=500)
    limit: int = Field(default=50, ge=1, le=100)
