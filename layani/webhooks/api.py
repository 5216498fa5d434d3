"""Webhook endpoints and their delivery log, for admins. Events go out from the worker."""

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router, Status

from layani.core.errors import InvalidInput
from layani.staff.permissions import Capability, require
from layani.webhooks import actions, queries
from layani.webhooks.schemas import (
    PageQuery,
    WebhookDeliveryDetailOut,
    WebhookDeliveryOut,
    WebhookDeliveryPage,
    WebhookEndpointIn,
    WebhookEndpointOut,
    WebhookEndpointPage,
    WebhookEndpointPatch,
    WebhookEndpointWithSecretOut,
)

router = Router(tags=["webhooks"])


@router.get("/", response=WebhookEndpointPage, summary="List webhook endpoints")
def list_endpoints(request: HttpRequest, page: Query[PageQuery]) -> WebhookEndpointPage:
    found = queries.endpoint_page(request.user, cursor=page.cursor, limit=page.limit)
    return WebhookEndpointPage(items=found.items, next_cursor=found.next_cursor)  # type: ignore[arg-type]


RECEIVING = """
Layani POSTs each event as JSON `{"id", "event", "created_at", "data"}` from its background
worker, with the headers `X-Layani-Event`, `X-Layani-Delivery` (the event id) and
`X-Layani-Signature: t=<unix seconds>,v1=<hex>`, where the hex is HMAC-SHA256 of
`"<t>.<raw body>"` keyed with the endpoint's secret (two `v1` values for 24 hours after a
secret rotation: accept the request if either matches).

To verify: take the raw body bytes, compute the HMAC with your secret, compare it in constant
time with each `v1`, and reject a `t` more than 5 minutes from your clock. Answer 2xx within
10 seconds; anything else is retried after about 1 min, 5 min, 30 min, 2 h, 6 h, 12 h and
24 h, then the delivery fails. Ignore an `id` you have already processed (retries and
redeliveries repeat it). After `failure_limit` failed deliveries in a row the endpoint is
switched off.
"""


@router.post(
    "/",
    response={201: WebhookEndpointWithSecretOut},
    summary="Create a webhook endpoint; the answer holds its signing secret, shown only once",
    description=RECEIVING,
)
def create_endpoint(request: HttpRequest, payload: WebhookEndpointIn) -> Status:
    require(request.user, Capability.MANAGE_WEBHOOKS)
    issued = actions.create_endpoint(**payload.model_dump(), actor=request.user)
    return Status(201, issued.endpoint)


@router.get("/{endpoint_id}", response=WebhookEndpointOut, summary="Read a webhook endpoint")
def read_endpoint(request: HttpRequest, endpoint_id: int):
    return queries.access_endpoint(request.user, endpoint_id)


@router.patch(
    "/{endpoint_id}",
    response=WebhookEndpointOut,
    summary="Change a webhook endpoint's name, URL, events, failure limit, or switch it on/off",
)
def update_endpoint(request: HttpRequest, endpoint_id: int, payload: WebhookEndpointPatch):
    endpoint = queries.access_endpoint(request.user, endpoint_id)
    values = payload.model_dump(exclude_unset=True)
    if not values:
        raise InvalidInput(_("Nothing to change."), code="empty_update")
    for field, value in values.items():
        if value is None:
            raise InvalidInput(_("This field cannot be empty."), code="null", field=field)
    return actions.update_endpoint(endpoint, **values, actor=request.user)


@router.delete("/{endpoint_id}", response={204: None}, summary="Delete a webhook endpoint")
def delete_endpoint(request: HttpRequest, endpoint_id: int) -> Status:
    endpoint = queries.access_endpoint(request.user, endpoint_id)
    actions.delete_endpoint(endpoint, actor=request.user)
    return Status(204, None)


@router.post(
    "/{endpoint_id}/rotate-secret",
    response=WebhookEndpointWithSecretOut,
    summary="New signing secret, shown only once; the old one also signs for 24 hours",
)
def rotate_secret(request: HttpRequest, endpoint_id: int):
    endpoint = queries.access_endpoint(request.user, endpoint_id)
    return actions.rotate_secret(endpoint, actor=request.user).endpoint


@router.post(
    "/{endpoint_id}/ping",
    response={202: WebhookDeliveryOut},
    summary="Send a ping event to this endpoint",
)
def ping_endpoint(request: HttpRequest, endpoint_id: int) -> Status:
    endpoint = queries.access_endpoint(request.user, endpoint_id)
    return Status(202, actions.send_ping(endpoint, actor=request.user))


@router.get(
    "/{endpoint_id}/deliveries",
    response=WebhookDeliveryPage,
    summary="Deliveries to a webhook endpoint, newest first",
)
def list_deliveries(
    request: HttpRequest, endpoint_id: int, page: Query[PageQuery]
) -> WebhookDeliveryPage:
    endpoint = queries.access_endpoint(request.user, endpoint_id)
    found = queries.delivery_page(request.user, endpoint, cursor=page.cursor, limit=page.limit)
    return WebhookDeliveryPage(items=found.items, next_cursor=found.next_cursor)  # type: ignore[arg-type]


@router.get(
    "/{endpoint_id}/deliveries/{delivery_id}",
    response=WebhookDeliveryDetailOut,
    summary="Read a delivery with its payload",
)
def read_delivery(request: HttpRequest, endpoint_id: int, delivery_id: int):
    return queries.access_delivery(request.user, endpoint_id, delivery_id)


@router.post(
    "/{endpoint_id}/deliveries/{delivery_id}/redeliver",
    response={202: WebhookDeliveryOut},
    summary="Send a delivered or failed event again (same event id, new delivery)",
)
def redeliver(request: HttpRequest, endpoint_id: int, delivery_id: int) -> Status:
    delivery = queries.access_delivery(request.user, endpoint_id, delivery_id)
    return Status(202, actions.redeliver(delivery, actor=request.user))
