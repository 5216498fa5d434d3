"""The one place where a change to a conversation leaves the transaction (STYLE rule 2).

Every action calls `conversation_event` for its side effects; they all run after commit, so a
rollback publishes nothing. Today that is the realtime push to the inbox and to the
conversation's own group (and to a mentioned colleague's personal group); outgoing webhooks
hook in here too.

Events: `conversation.created`, `conversation.updated` (with `changes`: which fields or
relations changed, e.g. ["status"], ["assignee", "team"], ["tags"], ["merged_into"]),
`message.created` (a message or an internal note) and `message.updated` (a delivery status).
Payloads are small and carry no message text: listeners read the rest through the scoped
queries.
"""

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from layani.core.events import publish_on_commit

if TYPE_CHECKING:
    from layani.conversations.models import Conversation, Mention, Message

CONVERSATION_CREATED = "conversation.created"
CONVERSATION_UPDATED = "conversation.updated"
MESSAGE_CREATED = "message.created"
MESSAGE_UPDATED = "message.updated"
EVENTS = (CONVERSATION_CREATED, CONVERSATION_UPDATED, MESSAGE_CREATED, MESSAGE_UPDATED)

INBOX_GROUP = "inbox"


def conversation_group(conversation_id: int) -> str:
    return f"conversation-{conversation_id}"


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
) -> None:
    """Schedule everything that follows a change, to run after the transaction commits."""
    if event not in EVENTS:
        raise ValueError(f"unknown conversation event {event!r}")
    payload = conversation_payload(event, conversation, message=message, changes=changes)
    publish_on_commit(INBOX_GROUP, event, payload)
    publish_on_commit(conversation_group(conversation.pk), event, payload)
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


def read_marker_event(conversation: "Conversation", *, user_id: int) -> None:
    """The reader's other tabs drop the unread marker (a personal event, not a change)."""
    publish_on_commit(user_group(user_id), "conversation.read", {"id": conversation.pk})
