"""The worker's side of SLAs: the sweep, every minute."""

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from layani.routing.sla_sweep import run_sla_sweep


@db_periodic_task(crontab(minute="*"))
def sweep_slas() -> None:
    """Warn before breaches and escalate at breaches (see `sla_sweep`)."""
    run_sla_sweep(now=timezone.now())
