from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from layani.branches.day_close import close_past_days
from layani.branches.estimates import settle_estimates
from layani.branches.models import Visit
from layani.branches.notifications import notify_visitors_near_front


@db_task()
def after_call(visit_id: int, branch_id: int, service_id: int) -> None:
    """After a call: record how long the visitor really waited against each estimate they
    were given, then tell remote visitors close to the front to come to the branch now."""
    visit = Visit.objects.filter(pk=visit_id).first()
    if visit is not None:
        settle_estimates(visit)
    notify_visitors_near_front(branch_id, service_id)


@db_periodic_task(crontab(minute="*/15"))
def close_branch_days() -> None:
    """Visitors of earlier days still queued left unserved: record them as abandoned."""
    close_past_days()
