"""The end of a branch day: visitors still in the queue left unserved, counters close.

Runs from a periodic task; safe to run as often as wanted (it only touches past days).
"""

from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from layani.branches.models import Branch, Counter, Visit, VisitStatus


def close_past_days() -> int:
    """Mark visits of earlier days that were never served as cancelled (abandoned)."""
    now = timezone.now()
    closed = 0
    for branch in Branch.objects.all().only("pk", "timezone"):
        today = now.astimezone(ZoneInfo(branch.timezone)).date()
        with transaction.atomic():
            closed += Visit.objects.filter(
                Q(status=VisitStatus.WAITING) | Q(status=VisitStatus.CALLED),
                branch=branch,
                service_day__lt=today,
            ).update(status=VisitStatus.CANCELLED, finished_at=now, outcome_note="abandoned")
            stale_counters = Counter.objects.filter(branch=branch, is_open=True).exclude(
                visits__status__in=[VisitStatus.CALLED, VisitStatus.SERVING]
            )
            # Before the day's first check-in, counters left open overnight are closed.
            if not Visit.objects.filter(branch=branch, service_day=today).exists():
                stale_counters.update(is_open=False, staff=None)
    return closed
