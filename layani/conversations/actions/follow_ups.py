"""Customers' follow-up messages, many at once: the fast path of the channels' intake.

`receive_inbound_message` takes one message in about nineteen statements. At hundreds of
messages a second most are follow-ups: the customer writes again in a conversation that is
still active. `append_follow_ups` writes a batch of those in a fixed number of statements
(lock the customers, find their latest conversations, refuse ids seen before, insert the
messages, their index rows and timeline rows, update the conversations, queue the webhook
deliveries), plus a few more per conversation only where the one-message path does more
too: the conversation goes from pending back to open, or the customer starts waiting again
(the SLA clock).

Everything else (a customer's first message, a message that reopens a conversation or
starts a new one) is declined, and the caller sends it through `receive_inbound_message`,
which stays the one definition of those cases. Items come in groups (one stored request
may carry several messages): a group is written whole or declined whole, and a declined
customer is declined with all their items, so their messages keep their order.

The rows, events and pushes are the ones `receive_inbound_message` writes for the same
messages in the same order (`tests/test_follow_ups.py` compares the two).
"""

from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import F, Window
from django.db.models.functions import RowNumber
from django.utils import timezone

from layani.conversations.actions._common import save
from layani.conversations.actions.lifecycle import (
    FIRST_DELIVERY_STATUS,
    MESSAGE_EVENT_KIND,
    STATUS_FIELDS,
    apply_status,
    note_message,
    record_status_change,
)
from layani.conversations.models import (
    ACTIVE_STATUSES,
    Conversation,
    ConversationStatus,
    Direction,
    Message,
    TimelineEvent,
)
from layani.conversations.notify import messages_created
from layani.conversations.timeline import timeline_event
from layani.core.bulk_update import update_each
from layani.customers.models import Customer
from layani.search.indexing import document_of_message, upsert_documents


@dataclass(frozen=True)
class FollowUp:
    """One customer's plain text message (no attachment, no threading hint)."""

    key: Hashable  # the caller's name for it, used in the result
    group: Hashable  # written whole or declined whole (the stored request it came in)
    customer_id: int | None  # None: not on file yet (declined, with its group)
    channel: str
    body_text: str
    external_id: str = ""
    received_at: datetime | None = None
    channel_account_id: int | None = None
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass
class FollowUps:
    """What `append_follow_ups` did with each item."""

    messages: dict[Hashable, Message] = field(default_factory=dict)
    duplicates: set[Hashable] = field(default_factory=set)  # an external id seen before
    declined_groups: set[Hashable] = field(default_factory=set)


def append_follow_ups(items: Sequence[FollowUp]) -> FollowUps:
    """Append the items (in the order they arrived) to their customers' active
    conversations, or decline them (see the module). A concurrent writer storing one of the
    same external ids makes the insert fail (IntegrityError): the caller then takes the
    items one at a time."""
    result = FollowUps()
    if not items:
        return result
    now = timezone.now()
    with transaction.atomic():
        customer_ids = sorted({item.customer_id for item in items if item.customer_id})
        # One customer's messages are taken one at a time, as `receive_inbound_message`
        # takes them; in id order, so two batches never wait on each other in a circle.
        list(
            Customer.objects.select_for_update()
            .filter(pk__in=customer_ids)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        latest = _latest_conversations(customer_ids, {item.channel for item in items})
        taken = _taken(items, latest, result)
        if not taken:
            return result
        seen = _ids_seen(taken)
        written: list[tuple[FollowUp, Conversation, Message]] = []
        changes: dict[int, list[str]] = {}
        fields: set[str] = set()
        for item in taken:
            if item.external_id and (item.channel, item.external_id) in seen:
                result.duplicates.add(item.key)
                continue
            seen.add((item.channel, item.external_id))
            conversation = latest[(item.customer_id, item.channel)]
            at = min(item.received_at or now, now)
            message = Message(
                conversation=conversation,
                channel=item.channel,
                direction=Direction.INBOUND,
                body_text=item.body_text,
                external_id=item.external_id or None,
                delivery_status=FIRST_DELIVERY_STATUS[Direction.INBOUND],
                created_at=at,
                meta=item.meta,
            )
            fields.update(
                note_message(
                    conversation,
                    direction=Direction.INBOUND,
                    text=message.body_text,
                    author=None,
                    at=at,
                )
            )
            if conversation.pk not in changes:
                changes[conversation.pk] = _first_message_changes(conversation, item, now)
                fields.update(["channel_account_id"] if item.channel_account_id else [])
            written.append((item, conversation, message))
        _write(written, fields)
        messages_created(
            [
                (conversation, message, changes.pop(conversation.pk, []))
                for _item, conversation, message in written
            ]
        )
        result.messages = {item.key: message for item, _conversation, message in written}
    return result


def _latest_conversations(
    customer_ids: list[int], channels: set[str]
) -> dict[tuple[int | None, str], Conversation]:
    """Each customer's latest conversation per channel, locked (one statement)."""
    latest = (
        Conversation.objects.filter(
            customer_id__in=customer_ids, channel__in=channels, merged_into__isnull=True
        )
        .annotate(
            newest=Window(
                RowNumber(),
                partition_by=[F("customer_id"), F("channel")],
                order_by=[F("created_at").desc(), F("id").desc()],
            )
        )
        .filter(newest=1)
        .values("pk")
    )
    return {
        (conversation.customer_id, conversation.channel): conversation
        for conversation in Conversation.objects.select_for_update().filter(pk__in=latest)
    }


def _taken(
    items: Sequence[FollowUp],
    latest: dict[tuple[int | None, str], Conversation],
    result: FollowUps,
) -> list[FollowUp]:
    """The items this path writes: their customer is on file, their latest conversation on
    the channel is active, and nothing else of their group or their customer is declined."""
    groups = {
        item.group
        for item in items
        if item.customer_id is None
        or not item.body_text.strip()
        or (conversation := latest.get((item.customer_id, item.channel))) is None
        or conversation.status not in ACTIVE_STATUSES
    }
    while True:
        customers = {item.customer_id for item in items if item.group in groups}
        more = {item.group for item in items if item.customer_id in customers} - groups
        if not more:
            break
        groups |= more
    result.declined_groups = groups
    return [item for item in items if item.group not in groups]


def _ids_seen(items: list[FollowUp]) -> set[tuple[str, str | None]]:
    """The (channel, external id) pairs among the items already stored (one statement)."""
    external_ids = {item.external_id for item in items if item.external_id}
    if not external_ids:
        return set()
    return set(
        Message.objects.filter(
            channel__in={item.channel for item in items}, external_id__in=external_ids
        ).values_list("channel", "external_id")
    )


def _first_message_changes(conversation: Conversation, item: FollowUp, now: datetime) -> list[str]:
    """What the batch's first message to this conversation changes besides its moments,
    as `receive_inbound_message` would: the reply channel account, pending → open."""
    if item.channel_account_id and conversation.channel_account_id != item.channel_account_id:
        conversation.channel_account_id = item.channel_account_id
    if conversation.status != ConversationStatus.PENDING:
        return []
    apply_status(conversation, ConversationStatus.OPEN, now)
    save(conversation, STATUS_FIELDS)
    record_status_change(
        conversation,
        before=ConversationStatus.PENDING,
        after=ConversationStatus.OPEN,
        actor=None,
        now=now,
    )
    return ["status"]


def _write(written: list[tuple[FollowUp, Conversation, Message]], fields: set[str]) -> None:
    """The messages, their index and timeline rows, the conversations' new moments."""
    Message.objects.bulk_create([message for _item, _conversation, message in written])
    documents = [document_of_message(message) for _item, _conversation, message in written]
    upsert_documents([document for document in documents if document is not None])
    TimelineEvent.objects.bulk_create(
        [
            timeline_event(
                MESSAGE_EVENT_KIND[Direction.INBOUND],
                actor=None,
                conversation=conversation,
                message=message,
                summary=message.body_text.strip()[:200],
                occurred_at=message.created_at,
            )
            for _item, conversation, message in written
        ]
    )
    conversations = list(
        {conversation.pk: conversation for _i, conversation, _m in written}.values()
    )
    # None of these fields is copied onto the index rows (the status went through `save`).
    update_each(conversations, sorted(fields))
