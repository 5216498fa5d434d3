"""Is a branch open at a moment? Opening hours are in the branch's own zone."""

from datetime import datetime
from zoneinfo import ZoneInfo

from layani.branches.models import Branch


def is_open_at(branch: Branch, moment: datetime) -> bool:
    """True inside any opening period; a branch with no hours configured is always open."""
    periods = list(branch.opening_hours.all())
    if not periods:
        return True
    local = moment.astimezone(ZoneInfo(branch.timezone))
    clock = local.time()
    return any(p.weekday == local.weekday() and p.opens_at <= clock < p.closes_at for p in periods)
