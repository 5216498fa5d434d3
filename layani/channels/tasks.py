from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from layani.channels import batch, doorbell, processing


@db_task()
def drain_inbound(helper: bool = False, floor: int | None = None) -> None:
    """Queued by the doorbell when records are stored and no drain is under way, or by a
    drain that found a full batch (a helper): the waiting records, a batch at a time
    (`batch.drain`)."""
    batch.drain(helper=helper, floor=floor)


@db_task()
def process_inbound(record_id: int) -> None:
    """One record and the ones waiting after it (`batch.process_batch`): reprocessing after
    a fix, and jobs queued before the doorbell."""
    batch.process_batch(record_id)


@db_periodic_task(crontab(minute="*"))
def sweep_inbound() -> None:
    processing.sweep()
    # A doorbell left set by a worker that died holding its drain: reset it and ring, so
    # records stored meanwhile are drained now, not when they are old enough to sweep.
    doorbell.forget()
    doorbell.ring()
