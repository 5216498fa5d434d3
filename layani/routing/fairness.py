"""What the branch queue and the conversation priority share: aging and the wait bound.

Both orders follow the same three rules:
1. whoever has waited the maximum wait or longer goes first, longest waiting first
   (`is_overdue`), whatever anybody's score;
2. otherwise the highest score goes first;
3. equal scores: first come, first served, then the lowest id (`rank_key`).

`queue_policy` (visitors at a counter) and `priority` (conversations waiting for an agent)
compute their scores differently, but both use these functions for waiting time and order,
so the fairness bound means the same thing in a branch and in the inbox.
"""

from datetime import datetime


def minutes_since(since: datetime, now: datetime) -> float:
    """Minutes waited from `since` until `now`; never negative (a clock skew waits 0)."""
    return max(0.0, (now - since).total_seconds() / 60.0)


def is_overdue(waited_minutes: float, max_wait_minutes: float) -> bool:
    """Past the bound: this one goes first, whatever others' scores."""
    return waited_minutes >= max_wait_minutes


def rank_key(score: float, arrived: datetime, item_id: int) -> tuple[float, datetime, int]:
    """Sort key (ascending): highest score first; equal scores first come, first served.

    Scores are rounded to 9 decimals so float noise never overrules arrival order.
    """
    return (-round(score, 9), arrived, item_id)


def fifo_key(arrived: datetime, item_id: int) -> tuple[datetime, int]:
    """Among those past the bound: the longest waiting first, then the lowest id."""
    return (arrived, item_id)
