"""Waiting inbound records taken many at a time (the worker's fast path).

`process_record` takes one record in its own transaction: about twenty statements for a
customer's message. Under load the records queue up faster than that, and most of them are
follow-ups in a running conversation. A batch takes up to `BATCH_SIZE` waiting records in
one transaction:

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

`drain` is the queued job's work (`doorbell`): batches of the oldest records never tried,
while it finds any. `process_batch` starts at a given record and also takes records tried
before; the sweep uses it for what waited too long.
"""

import logging
import time

from django.db import transaction
from django.utils import timezone

from layani.channels import doorbell
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


# A drain goes on while it finds records, up to this many batches, then hands over to a new
# drain queued behind the jobs waiting (routing, sends).
DRAIN_ROUNDS = 20
# After a batch of fewer than `LINGER_BELOW` records, the drain waits this long for the
# next records to come before it looks again: fewer, larger batches while a light stream
# lasts (every batch costs about a dozen statements whatever its size), for a few
# milliseconds of latency. After a larger batch it looks again at once (a heavy stream:
# waiting would only let it fall behind).
LINGER_SECONDS = 0.01
LINGER_BELOW = 10


def drain(
    limit: int = BATCH_SIZE,
    rounds: int = DRAIN_ROUNDS,
    *,
    helper: bool = False,
    floor: int | None = None,
    linger: float = LINGER_SECONDS,
) -> int:
    """Process the waiting records never tried yet (with an id from `floor` on), a batch
    at a time, until a look after answering the door finds nothing (`doorbell`); returns
    how many were processed. A record that was tried and still waits (a delivery status
    that overtook our send, a failure to retry) is the sweep's."""
    if helper:
        doorbell.helper_started()
    processed, answered, newest = 0, False, None
    conditions: dict[str, object] = {"attempts": 0}
    if floor is not None:
        conditions["pk__gte"] = floor
    for _round in range(rounds):
        taken, done, latest = _process_taken(limit, **conditions)
        processed, newest = processed + done, latest or newest
        if not taken:
            if answered:
                return processed  # the look after answering found nothing: done
            doorbell.answer()  # before the last look: a record committed after it rings
            answered = True
        elif taken == limit:
            doorbell.call_helper(floor)  # this much waiting: the other worker joins
        elif taken < LINGER_BELOW:
            time.sleep(linger)
    doorbell.answer()
    doorbell.ring(newest)  # hand over to a drain queued behind the jobs waiting
    return processed


def process_batch(record_id: int, limit: int = BATCH_SIZE) -> int:
    """Process this record and up to `limit - 1` waiting after it; returns how many were
    processed here (together or one at a time)."""
    if not InboundRecord.objects.filter(pk=record_id, status=InboundStatus.RECEIVED).exists():
        return 0  # an earlier batch took it: the usual case under load, so kept cheap
    return _process_taken(limit, pk__gte=record_id)[1]


def _process_taken(limit: int, **conditions: object) -> tuple[int, int, int | None]:
    """Take up to `limit` waiting records (oldest first) and process them: how many were
    taken, how many processed (together or one at a time), and the newest one's id."""
    with transaction.atomic():
        records = list(waiting(**conditions).order_by("pk")[:limit])
        parsed = {record.pk: events for record in records if (events := _plain(record))}
        written = _write_together(records, parsed) if parsed else set()
    rest = [record.pk for record in records if record.pk not in written]
    processed = len(written) + sum(process_record(pk) != "skipped" for pk in rest)
    return len(records), processed, records[-1].pk if records else None


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
