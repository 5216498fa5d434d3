"""Waiting inbound records taken many at a time (the worker's fast path).

`process_record` takes one record in its own transaction: about twenty statements for a
customer's message. Under load the records queue up faster than that, and most of them are
follow-ups in a running conversation. `process_batch` takes a record and up to
`BATCH_SIZE - 1` records waiting after it, in one transaction:

1. locks them (`SKIP LOCKED` on PostgreSQL: another worker takes the next ones);
2. parses those whose adapter parses without side effects (`parse_is_pure`);
3. finds their senders' customers (one query);
4. hands the plain text messages of known customers to
   `conversations.actions.append_follow_ups`, which writes them with a fixed number of
   statements and declines what it does not write (a first message, a reopen...);
5. marks the written records processed, with the same notes `process_record` keeps.

Everything else (a record that does not parse, a status update, an attachment, a new
customer, a declined group) is left waiting and then taken by `process_record`, one at a
time, as before. If the batch's write fails (another worker stored the same message id a
moment ago, say), nothing of it stays and every record goes the one-at-a-time way: the
batch is an optimisation, never a second set of rules.
"""

import logging

from django.db import transaction
from django.utils import timezone

from layani.channels.apply import EMPTY_TEXT
from layani.channels.customers import known_customer_ids
from layani.channels.events import Event, Ignored, IncomingMessage
from layani.channels.models import InboundRecord, InboundStatus
from layani.channels.processing import process_record, waiting
from layani.channels.registry import adapter_for
from layani.conversations.actions.follow_ups import FollowUp, FollowUps, append_follow_ups
from layani.core.bulk_update import update_each

logger = logging.getLogger(__name__)

BATCH_SIZE = 100


def process_batch(record_id: int, limit: int = BATCH_SIZE) -> int:
    """Process this record and up to `limit - 1` waiting after it; returns how many were
    processed here (together or one at a time)."""
    if not InboundRecord.objects.filter(pk=record_id, status=InboundStatus.RECEIVED).exists():
        return 0  # an earlier batch took it: the usual case under load, so kept cheap
    with transaction.atomic():
        records = _take(record_id, limit)
        parsed = {record.pk: events for record in records if (events := _plain(record))}
        written = _write_together(records, parsed) if parsed else set()
    rest = [record.pk for record in records if record.pk not in written]
    return len(written) + sum(process_record(pk) != "skipped" for pk in rest)


def _take(record_id: int, limit: int) -> list[InboundRecord]:
    return list(waiting(pk__gte=record_id).order_by("pk")[:limit])


def _plain(record: InboundRecord) -> list[Event]:
    """The record's events when every one is a plain text message (or ignored on
    purpose); else nothing, and the record goes the one-at-a-time way."""
    adapter = adapter_for(record.account.kind)
    if adapter is None or not getattr(adapter, "parse_is_pure", False):
        return []
    try:
        events = adapter.parse_inbound(record.account, record)
    except Exception:  # the one-at-a-time way parses it again and keeps the reason
        return []
    for event in events:
        if isinstance(event, Ignored):
            continue
        if not isinstance(event, IncomingMessage) or event.attachments:
            return []
        if event.conversation_id is not None or event.html or event.auto_submitted:
            return []
    return events if any(isinstance(event, IncomingMessage) for event in events) else []


def _write_together(records: list[InboundRecord], parsed: dict[int, list[Event]]) -> set[int]:
    """Write the plain records' messages in one go; the ids of the records done."""
    customers = known_customer_ids(
        event.sender
        for events in parsed.values()
        for event in events
        if isinstance(event, IncomingMessage)
    )
    accounts = {record.pk: record.account for record in records}
    items = [
        FollowUp(
            key=(record_id, index),
            group=record_id,
            customer_id=customers.get(event.sender),
            channel=accounts[record_id].channel,
            body_text=event.text.strip() or EMPTY_TEXT.get(event.kind, ""),
            external_id=event.external_id,
            received_at=event.received_at,
            channel_account_id=accounts[record_id].pk,
            meta={"kind": event.kind, **event.meta},
        )
        for record_id, events in parsed.items()
        for index, event in enumerate(events)
        if isinstance(event, IncomingMessage)
    ]
    try:
        with transaction.atomic():
            done = append_follow_ups(items)
            now = timezone.now()
            finished = []
            for record in records:
                if record.pk not in parsed or record.pk in done.declined_groups:
                    continue
                record.attempts += 1
                record.status = InboundStatus.PROCESSED
                record.processed_at = now
                record.reason = "; ".join(_notes(record.pk, parsed[record.pk], done))[:2000]
                finished.append(record)
            update_each(finished, ["status", "reason", "processed_at", "attempts"])
    except Exception:
        logger.exception("a batch of %s inbound records goes one at a time", len(parsed))
        return set()
    return {record.pk for record in finished}


def _notes(record_id: int, events: list[Event], done: FollowUps) -> list[str]:
    """What `process_record` notes for the same events ("message 12", "duplicate ...")."""
    notes = []
    for index, event in enumerate(events):
        if isinstance(event, Ignored):
            notes.append(f"ignored: {event.reason}")
        elif isinstance(event, IncomingMessage):
            message = done.messages.get((record_id, index))
            notes.append(f"message {message.pk}" if message else f"duplicate {event.external_id}")
    return notes
