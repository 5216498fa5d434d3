"""Reading webhook endpoints and their deliveries: admins only, checked here in one place."""

from django.utils.translation import gettext as _

from layani.core.errors import NotFound
from layani.core.pagination import Page, keyset_page
from layani.core.types import Actor
from layani.staff.permissions import Capability, require
from layani.webhooks.models import WebhookDelivery, WebhookEndpoint


def endpoint_page(user: Actor, *, cursor: str | None, limit: int) -> Page[WebhookEndpoint]:
    require(user, Capability.MANAGE_WEBHOOKS)
    return keyset_page(WebhookEndpoint.objects.all(), fields=("id",), cursor=cursor, limit=limit)


def access_endpoint(user: Actor, endpoint_id: int) -> WebhookEndpoint:
    require(user, Capability.MANAGE_WEBHOOKS)
    endpoint = WebhookEndpoint.objects.filter(pk=endpoint_id).first()
    if endpoint is None:
        raise NotFound(_("No such webhook endpoint."))
    return endpoint


def delivery_page(
    user: Actor, endpoint: WebhookEndpoint, *, cursor: str | None, limit: int
) -> Page[WebhookDelivery]:
    """The endpoint's deliveries, newest first (one range scan of the (endpoint, -id) index)."""
    require(user, Capability.MANAGE_WEBHOOKS)
    return keyset_page(
        WebhookDelivery.objects.filter(endpoint=endpoint).defer("payload"),
        fields=("id",),
        cursor=cursor,
        limit=limit,
        descending=True,
    )


def access_delivery(user: Actor, endpoint_id: int, delivery_id: int) -> WebhookDelivery:
    require(user, Capability.MANAGE_WEBHOOKS)
    delivery = (
        WebhookDelivery.objects.select_related("endpoint")
        .filter(pk=delivery_id, endpoint_id=endpoint_id)
        .first()
    )
    if delivery is None:
        raise NotFound(_("No such webhook delivery."))
    return delivery
