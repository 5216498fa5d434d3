from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from layani.channels.phone.callbacks import remind_due_callbacks


@db_periodic_task(crontab(minute="*"))
def remind_callbacks() -> None:
    """Every minute: customers whose callback window has started hear that we will call."""
    remind_due_callbacks()
