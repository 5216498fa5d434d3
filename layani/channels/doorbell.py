"""One queued drain for a burst of stored records, not one job per record.

A stored record rings the doorbell after its commit. Ringing queues a drain job
(`tasks.drain_inbound`) only when none is queued and not yet started: a flag set
atomically in the task queue's own store (`put_if_empty`, Redis `HSETNX` or a SQLite
insert), so it is flushed with the queue and is there whenever the queue is. A drain
answers the door first (clears the flag) and only then looks for waiting records
(`batch.drain`), so a record whose commit comes after the drain's last look finds the flag
clear and queues the next drain: the order of those two steps is what keeps a record from
being stranded. A drain that takes a full batch rings again, which queues a second drain
for the other worker while the first goes on.

When the queue cannot be reached, or a worker dies holding a drain it dequeued (the flag
then stays set), the minute's sweep answers and rings again (`tasks.sweep_inbound`), and
takes what waited longer than `processing.SWEEP_AFTER` itself.
"""

import logging

from huey.contrib.djhuey import HUEY

logger = logging.getLogger(__name__)

PENDING = "channels:inbound-drain-pending"


def ring() -> bool:
    """Queue a drain unless one is queued and not started; True when this call queued one.
    Raises when the queue cannot be reached (the caller keeps the record for the sweep)."""
    if not HUEY.put_if_empty(PENDING, "1"):
        return False
    from layani.channels.tasks import drain_inbound

    try:
        drain_inbound()
    except Exception:
        forget()  # nothing was queued: the next record must be able to ring
        raise
    return True


def answer() -> None:
    """A drain starts: from now on a newly stored record queues the next one."""
    HUEY.delete(PENDING)


def forget() -> None:
    try:
        HUEY.delete(PENDING)
    except Exception:
        logger.exception("the inbound doorbell could not be reset: the sweep will")
