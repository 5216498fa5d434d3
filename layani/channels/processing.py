"""Process stored inbound records into the domain, once each, whatever happens around.

This is the one-record way. The queued drain (`batch.drain`) and the sweep
(`batch.process_batch`) take records in batches, write plain follow-ups of many records
together and send every other record here.

A record is taken under its row lock (`SKIP LOCKED` on PostgreSQL, so two workers never
process one record); its events and its `processed` mark commit together, so a worker
killed mid-way leaves it `received` and the sweep takes it again. A record that cannot be
parsed is marked `failed` with the reason, kept, and can be reprocessed after a fix;
one that fails for another reason (a database restart) is retried, then marked failed.
"""

import logging
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone

from layani.channels.apply import apply_event
from layani.channels.base import NotYet, Unparseable
from layani.channels.models import InboundRecord, InboundStatus
from layani.channels.registry import adapter_for

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
# The sweep leaves fresh records to the job queued with them.
SWEEP_AFTER = timedelta(seconds=30)
SWEEP_BATCH = 500


def waiting(**conditions: object) -> QuerySet[InboundRecord]:
    """Waiting records (with their account) under a row lock that another worker skips
    (`SKIP LOCKED` on PostgreSQL; SQLite serialises writers). Inside a transaction."""
    queryset = InboundRecord.objects.select_related("account").filter(
        status=InboundStatus.RECEIVED, **conditions
    )
    if connection.vendor == "postgresql":
        return queryset.select_for_update(skip_locked=True, of=("self",))
    return queryset.select_for_update()


def _locked(record_id: int) -> InboundRecord | None:
    return waiting(pk=record_id).first()


def process_record(record_id: int) -> str:
    """Process one record if it still waits; returns its status afterwards."""
    with transaction.atomic():
        record = _locked(record_id)
        if record is None:
            return "skipped"  # processed already, or another worker has it now
        adapter = adapter_for(record.account.kind)
        record.attempts += 1
        try:
            if adapter is None:
                raise Unparseable(f"no adapter for {record.account.kind}")
            with transaction.atomic():
                notes = [
                    apply_event(record.account, record, event)
                    for event in adapter.parse_inbound(record.account, record)
                ]
            record.status = InboundStatus.PROCESSED
            record.reason = "; ".join(notes)[:2000]
            record.processed_at = timezone.now()
        except NotYet as exc:
            record.reason = str(exc)[:2000]
            if record.attempts >= MAX_ATTEMPTS:
                record.status = InboundStatus.PROCESSED  # it never came: nothing to apply
        except Unparseable as exc:
            record.status = InboundStatus.FAILED
            record.reason = str(exc)[:2000] or "unparseable"
            logger.warning("inbound record %s cannot be processed: %s", record.pk, exc)
        except Exception as exc:
            record.reason = f"{type(exc).__name__}: {exc}"[:2000]
            if record.attempts >= MAX_ATTEMPTS:
                record.status = InboundStatus.FAILED
            logger.exception("inbound record %s failed (attempt %s)", record.pk, record.attempts)
        record.save(update_fields=["status", "reason", "processed_at", "attempts"])
        return record.status


def waiting_record_ids(now: datetime | None = None, limit: int = SWEEP_BATCH) -> list[int]:
    before = (now or timezone.now()) - SWEEP_AFTER
    return list(
        InboundRecord.objects.filter(status=InboundStatus.RECEIVED, received_at__lte=before)
        .order_by("received_at")
        .values_list("pk", flat=True)[:limit]
    )


def sweep(now: datetime | None = None) -> int:
    """Process what the queued jobs did not (a worker killed between store and process,
    a queue lost with Redis): records still waiting after `SWEEP_AFTER`, in batches like
    the queued jobs (a queue down for a while leaves thousands)."""
    from layani.channels.batch import process_batch

    return sum(process_batch(record_id) for record_id in waiting_record_ids(now))


def reprocess(record_ids: list[int]) -> int:
    """Put failed records back in the queue (after a fix), and process them now."""
    from layani.channels.tasks import process_inbound

    ids = list(
        InboundRecord.objects.filter(pk__in=record_ids, status=InboundStatus.FAILED).values_list(
            "pk", flat=True
        )
    )
    InboundRecord.objects.filter(pk__in=ids).update(status=InboundStatus.RECEIVED, attempts=0)
    for record_id in ids:
        process_inbound(record_id)
    return len(ids)
