"""One queued drain for a burst of stored records, not one job per record.

A stored record rings the doorbell after its commit. Ringing queues a drain job
(`tasks.drain_inbound`) only when the flag is clear, and sets it: a flag set atomically in
the task queue's own store (`put_if_empty`, Redis `HSETNX` or a SQLite insert), so it is
flushed with the queue and is there whenever the queue is. The drain looks only from a
little before the record that rang (ids): a look over every waiting record from the first
would walk the waiting-records index's entries of every record processed since the last
vacuum. While a drain finds records it
leaves the flag set, so the records stored meanwhile queue nothing and are taken by its
next batch (one drainer, batches as large as the stream makes them). A drain stops only
after it answered the door (cleared the flag) and then looked once more and found nothing
(`batch.drain`): a record whose commit comes after that last look finds the flag clear and
queues the next drain. The order of those two steps is what keeps a record from being
stranded. A drain that takes a full batch calls a helper (a second flag, the same rule),
a drain for the other worker while the first goes on.

When the queue cannot be reached, or a worker dies holding a drain it dequeued (the flag
then stays set), the minute's sweep answers and rings again (`tasks.sweep_inbound`), and
takes what waited longer than `processing.SWEEP_AFTER` itself.
"""

import logging

from huey.contrib.djhuey import HUEY

logger = logging.getLogger(__name__)

PENDING = "channels:inbound-drain-pending"
HELPER = "channels:inbound-drain-helper-pending"


def ring(record_id: int | None = None) -> bool:
    """Queue a drain unless one is under way; True when this call queued one. The drain
    looks from a little before the record that rang (`floor`). Raises when the queue
    cannot be reached (the caller keeps the record for the sweep)."""
    return _queue_drain(PENDING, floor=floor(record_id), helper=False)


# Records commit a little out of id order (concurrent intakes): a drain looks this many ids
# before the record that rang it. One that commits later still is the sweep's.
OUT_OF_ORDER_MARGIN = 1000


def floor(record_id: int | None) -> int | None:
    return None if record_id is None else max(record_id - OUT_OF_ORDER_MARGIN, 0)


def answer() -> None:
    """A drain is about to look for the last time: from now on a newly stored record
    queues the next drain."""
    HUEY.delete(PENDING)


def call_helper(floor: int | None) -> bool:
    """Queue a second drain (for another worker) unless one is queued and not started."""
    return _queue_drain(HELPER, floor=floor, helper=True)


def helper_started() -> None:
    HUEY.delete(HELPER)


def forget() -> None:
    """Clear both flags (the sweep, after a worker died holding a queued drain)."""
    for flag in (PENDING, HELPER):
        try:
            HUEY.delete(flag)
        except Exception:
            logger.exception("the inbound doorbell could not be reset: the sweep will")


def _queue_drain(flag: str, *, floor: int | None, helper: bool) -> bool:
    if not HUEY.put_if_empty(flag, "1"):
        return False
    from layani.channels.tasks import drain_inbound

    try:
        drain_inbound(helper=helper, floor=floor)
    except Exception:
        HUEY.delete(flag)  # nothing was queued: the next record must be able to ring
        raise
    return True
