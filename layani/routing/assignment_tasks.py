"""Background work of auto-assignment (Huey), discovered through `routing/tasks.py`.

- `route_conversation_task`: a customer's message left a conversation without an assignee
  (queued after the message commits, so the message is stored whatever routing does);
- `assign_waiting_in_teams`: an agent came online, or a team was resumed;
- `assignment_sweep` (every minute): holds past their deadline are released, and every
  team that is not paused assigns its waiting conversations while agents have room.
"""

from collections.abc import Iterable

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from layani.core.events import enqueue_on_commit


@db_task(retries=2, retry_delay=5)
def route_conversation_task(conversation_id: int) -> None:
    from layani.conversations.models import Conversation
    from layani.routing.auto_assign import route_conversation

    conversation = Conversation.objects.filter(pk=conversation_id).first()
    if conversation is not None:
        route_conversation(conversation, actor=None)


def route_after_commit(conversation_id: int) -> None:
    """Route this conversation once the caller's transaction has committed."""
    enqueue_on_commit(route_conversation_task, conversation_id)


@db_task(retries=2, retry_delay=5)
def assign_waiting_in_teams(team_ids: Iterable[int]) -> None:
    from layani.routing.auto_assign import assign_waiting, teams_with_waiting_work

    for team_id in teams_with_waiting_work(team_ids):
        assign_waiting(team_id)


@db_periodic_task(crontab(minute="*"))
def assignment_sweep() -> None:
    from layani.routing.auto_assign import (
        assign_waiting,
        release_due_holds,
        teams_with_waiting_work,
    )

    release_due_holds()
    for team_id in teams_with_waiting_work():
        assign_waiting(team_id)
