"""What the branch's screens hear: staff pages, the TV display and remote visitors.

Groups: `branch-<id>` (staff of the branch: counters, supervisor) and `display-<id>`
(the public display: ticket numbers and counter names only, nothing personal).
"""

from typing import Any

from layani.branches.models import Branch, Visit
from layani.core.events import publish_on_commit


def visit_payload(visit: Visit) -> dict[str, Any]:
    return {
        "id": visit.pk,
        "branch_id": visit.branch_id,
        "ticket": visit.ticket_number,
        "status": visit.status,
        "service_id": visit.service_id,
        "counter": visit.counter.name if visit.counter_id and visit.counter else None,
        "counter_id": visit.counter_id,
    }


def publish_queue_changed(branch: Branch, event: str, visit: Visit | None = None) -> None:
    payload = visit_payload(visit) if visit is not None else {}
    publish_on_commit(f"branch-{branch.pk}", event, payload)


def publish_call(branch: Branch, visit: Visit, *, recall: bool = False) -> None:
    """A ticket is called to a counter: the display shows and announces it."""
    payload = {
        "ticket": visit.ticket_number,
        "counter": visit.counter.name if visit.counter else "",
        "counter_number": visit.counter.number if visit.counter else None,
        "recall": recall,
        "called_at": visit.called_at.isoformat() if visit.called_at else None,
    }
    publish_on_commit(f"display-{branch.pk}", "visit.called", payload)
    publish_on_commit(f"branch-{branch.pk}", "visit.called", visit_payload(visit))
