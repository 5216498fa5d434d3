from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from layani.branches.day_close import close_past_days
from layani.branches.notifications import notify_visitors_near_front


@db_task()
def notify_near_front(branch_id: int, service_id: int) -> None:
    """After a call: tell remote visitors close to the front to come to the branch now."""
    notify_visitors_near_front(branch_id, service_id)


@db_periodic_task(crontab(minute="*/15"))
def close_branch_days() -> None:
    """Visitors of earlier days still queued left unserved: record them as abandoned."""
    close_past_days()
