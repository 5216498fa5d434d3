from huey.contrib.djhuey import db_task

from layani.branches.notifications import notify_visitors_near_front


@db_task()
def notify_near_front(branch_id: int, service_id: int) -> None:
    """After a call: tell remote visitors close to the front to come to the branch now."""
    notify_visitors_near_front(branch_id, service_id)
