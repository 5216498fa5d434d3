from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from layani.channels import batch, processing


@db_task()
def process_inbound(record_id: int) -> None:
    """Queued with each stored record, after its commit: that record and the ones waiting
    after it, together where they can be (`batch`)."""
    batch.process_batch(record_id)


@db_periodic_task(crontab(minute="*"))
def sweep_inbound() -> None:
    processing.sweep()
