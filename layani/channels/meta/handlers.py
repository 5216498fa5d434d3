"""The Meta package's own events: fetching media after a message is stored, naming a new
Messenger / Instagram sender, and watermarks ("everything we sent before this moment was read")."""

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from layani.channels.events import CustomEvent
from layani.channels.meta.parsing import FETCH_MEDIA, LOOKUP_PROFILE, WATERMARK
from layani.conversations.actions import update_delivery_status
from layani.conversations.models import DeliveryStatus, Direction, Message
from layani.core.events import enqueue_on_commit
from layani.customers.models import CustomerIdentity

if TYPE_CHECKING:
    from layani.channels.models import ChannelAccount, InboundRecord

# Most messages a watermark moves at once (older ones were settled by earlier watermarks).
WATERMARK_BATCH = 100
_BEFORE = {
    DeliveryStatus.DELIVERED: (DeliveryStatus.PENDING, DeliveryStatus.SENT),
    DeliveryStatus.READ: (DeliveryStatus.PENDING, DeliveryStatus.SENT, DeliveryStatus.DELIVERED),
}


def fetch_media(account: "ChannelAccount", record: "InboundRecord", event: CustomEvent) -> None:
    from layani.channels.meta.tasks import fetch_message_media

    message_id = (
        Message.objects.filter(
            channel=account.channel,
            external_id=event.data["external_id"],
            direction=Direction.INBOUND,
        )
        .values_list("pk", flat=True)
        .first()
    )
    if message_id is not None:
        enqueue_on_commit(fetch_message_media, account.pk, message_id)


def apply_watermark(account: "ChannelAccount", record: "InboundRecord", event: CustomEvent) -> None:
    status = event.data["status"]
    at = datetime.fromtimestamp(int(event.data["watermark"]) / 1000, tz=UTC)
    customer_id = (
        CustomerIdentity.objects.filter(
            kind=event.data["identity"], value=str(event.data["recipient"])
        )
        .values_list("customer_id", flat=True)
        .first()
    )
    if customer_id is None:
        return
    messages = (
        Message.objects.select_related("conversation")
        .filter(
            conversation__customer_id=customer_id,
            channel=account.channel,
            direction=Direction.OUTBOUND,
            created_at__lte=at,
            delivery_status__in=_BEFORE[status],
        )
        .order_by("-created_at")[:WATERMARK_BATCH]
    )
    for message in messages:
        update_delivery_status(message, status=status, at=at)


def lookup_profile(account: "ChannelAccount", record: "InboundRecord", event: CustomEvent) -> None:
    from layani.channels.customers import normalised
    from layani.channels.events import Sender
    from layani.channels.meta.profiles import should_ask
    from layani.channels.meta.tasks import name_new_sender

    identity = str(event.data["identity"])
    sender_id = normalised(Sender(kind=identity, value=str(event.data["sender"])))
    customer_id = should_ask(account, identity, sender_id)
    if customer_id is not None:
        enqueue_on_commit(name_new_sender, account.pk, customer_id, identity, sender_id)


def register() -> None:
    from layani.channels.registry import register_handler

    register_handler(FETCH_MEDIA, fetch_media)
    register_handler(WATERMARK, apply_watermark)
    register_handler(LOOKUP_PROFILE, lookup_profile)
