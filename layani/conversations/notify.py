"""The one place where a change to a conversation leaves the transaction (STYLE rule 2).

Every action calls `conversation_event` inside its transaction:
- the realtime push goes, after commit, only to the groups of people who may see the
  conversation (`audience_groups`, the same rule as `queries.ConversationScope`: everyone
  who sees all, its team, its branch, its assignee and whoever supervises them, the shared
  pool when it has neither assignee nor team); on a reassignment the previous audience
  hears it too, so the conversation leaves their lists. Websockets join these groups from
  the same scope (`core/realtime.py`). A mentioned colleague also hears on their own group.
- outgoing webhooks are written to the durable delivery log in the same transaction
  (`webhooks.dispatch.emit_event`) and sent by the worker after commit.
A rollback publishes nothing and delivers nothing.

Events: `conversation.created`, `conversation.updated` (with `changes`: which fields or
relations changed, e.g. ["status"], ["assignee", "team"], ["tags"], ["merged_into"]),
`message.created` (a message or an internal note) and `message.updated` (a delivery status).
Payloads are small and carry no message text: listeners read the rest through the scoped
queries.
"""

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from layani.core.events import publish_all_on_commit, publish_on_commit
from layani.webhooks.dispatch import emit_event, emit_events

if TYPE_CHECKING:
    from layani.conversations.models import Conversation, Mention, Message
    from layani.conversations.queries import ConversationScope

CONVERSATION_CREATED = "conversation.created"
CONVERSATION_UPDATED = "conversation.updated"
MESSAGE_CREATED = "message.created"
MESSAGE_UPDATED = "message.updated"
EVENTS = (CONVERSATION_CREATED, CONVERSATION_UPDATED, MESSAGE_CREATED, MESSAGE_UPDATED)

INBOX_ALL_GROUP = "inbox-all"
INBOX_POOL_GROUP = "inbox-pool"


def team_group(team_id: int) -> str:
    return f"inbox-team-{team_id}"


def branch_group(branch_id: int) -> str:
    return f"inbox-branch-{branch_id}"


def staff_group(staff_id: int) -> str:
    return f"inbox-staff-{staff_id}"


def audience_groups(
    *, assignee_id: int | None, team_id: int | None, branch_id: int | None
) -> list[str]:
    """The realtime groups whose members may see a conversation with these values."""
    groups = [INBOX_ALL_GROUP]
    if team_id is not None:
        groups.append(team_group(team_id))
    if branch_id is not None:
        groups.append(branch_group(branch_id))
    if assignee_id is not None:
        groups.append(staff_group(assignee_id))
    if assignee_id is None and team_id is None:
        groups.append(INBOX_POOL_GROUP)
    return groups


def groups_for_scope(scope: "ConversationScope") -> list[str]:
    """The groups a person with this scope listens to (the mirror of `audience_groups`)."""
    if scope.sees_nothing:
        return []
    if scope.sees_all:
        return [INBOX_ALL_GROUP]
    groups = [team_group(pk) for pk in scope.team_ids]
    groups += [branch_group(pk) for pk in scope.branch_ids]
    groups += [staff_group(pk) for pk in (scope.staff_id, *scope.supervised_staff_ids) if pk]
    if scope.sees_pool:
        groups.append(INBOX_POOL_GROUP)
    return groups


def user_group(user_id: int) -> str:
    return f"user-{user_id}"


def conversation_payload(
    event: str,
    conversation: "Conversation",
    *,
    message: "Message | None" = None,
    changes: Sequence[str] = (),
) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "id": conversation.pk,
        "reference": conversation.reference,
        "status": conversation.status,
        "priority": conversation.priority,
        "purpose": conversation.purpose,
        "channel": conversation.channel,
        "customer_id": conversation.customer_id,
        "assignee_id": conversation.assignee_id,
        "team_id": conversation.team_id,
        "branch_id": conversation.branch_id,
        "due_at": conversation.due_at.isoformat() if conversation.due_at else None,
        "changes": list(changes),
    }
    if message is not None:
        payload["message"] = {
            "id": message.pk,
            "direction": message.direction,
            "channel": message.channel,
            "delivery_status": message.delivery_status,
        }
    return payload


def conversation_event(
    event: str,
    conversation: "Conversation",
    *,
    message: "Message | None" = None,
    changes: Sequence[str] = (),
    mentions: Iterable["Mention"] = (),
    previous: Mapping[str, int | None] | None = None,
) -> None:
    """Schedule everything that follows a change. Call it inside the action's transaction.

    `previous` holds the assignee / team / branch ids before a reassignment."""
    if event not in EVENTS:
        raise ValueError(f"unknown conversation event {event!r}")
    payload = conversation_payload(event, conversation, message=message, changes=changes)
    _publish(event, conversation, payload, previous)
    emit_event(event, payload)
    for mention in mentions:
        publish_on_commit(
            user_group(mention.staff.user_id),
            "mention.created",
            {
                "id": mention.pk,
                "conversation_id": conversation.pk,
                "reference": conversation.reference,
                "message_id": mention.message_id,
                "by": mention.mentioned_by.display_name if mention.mentioned_by else "",
            },
        )


def messages_created(items: Sequence[tuple["Conversation", "Message", Sequence[str]]]) -> None:
    """`conversation_event(MESSAGE_CREATED, ...)` for each (conversation, message, changes)
    of a batch: the same pushes, sent together after commit, and the webhook deliveries of
    all in one insert."""
    pushes = []
    payloads = []
    for conversation, message, changes in items:
        payload = conversation_payload(
            MESSAGE_CREATED, conversation, message=message, changes=changes
        )
        pushes += [(group, MESSAGE_CREATED, payload) for group in _audience(conversation, None)]
        payloads.append(payload)
    publish_all_on_commit(pushes)
    emit_events(MESSAGE_CREATED, payloads)


def _publish(
    event: str,
    conversation: "Conversation",
    payload: dict[str, Any],
    previous: Mapping[str, int | None] | None,
) -> None:
    for group in _audience(conversation, previous):
        publish_on_commit(group, event, payload)


def _audience(conversation: "Conversation", previous: Mapping[str, int | None] | None) -> list[str]:
    """The groups to tell (`audience_groups`), and on a reassignment those it leaves."""
    current = {
        "assignee": conversation.assignee_id,
        "team": conversation.team_id,
        "branch": conversation.branch_id,
    }
    groups = audience_groups(
        assignee_id=current["assignee"], team_id=current["team"], branch_id=current["branch"]
    )
    if previous:
        before = {**current, **previous}
        groups += audience_groups(
            assignee_id=before["assignee"], team_id=before["team"], branch_id=before["branch"]
        )
    return list(dict.fromkeys(groups))


def read_marker_event(conversation: "Conversation", *, user_id: int) -> None:
    """The reader's other tabs drop the unread marker (a personal event, not a change)."""
    publish_on_commit(user_group(user_id), "conversation.read", {"id": conversation.pk})
