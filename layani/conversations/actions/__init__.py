"""Every write on conversations, by what it does (STYLE rule 1).

Each action checks that the actor may work conversations and sees this one (a person
outside the scope gets NotFound and nothing changes; `actor=None` is the system itself),
writes under a row lock with a timeline row, and calls `notify.conversation_event` for
what happens after commit.
"""

from layani.conversations.actions.canned_replies import (
    CannedReplyDetails,
    create_canned_reply,
    delete_canned_reply,
    update_canned_reply,
)
from layani.conversations.actions.changes import (
    KEEP,
    Keep,
    assign,
    change_priority,
    change_purpose,
    change_tags,
    link_visit,
    normalise_tag,
    purpose_from_rule,
    purpose_left_to_rules,
)
from layani.conversations.actions.lifecycle import (
    TRANSITIONS,
    Inbound,
    add_message,
    change_status,
    receive_inbound_message,
    start_conversation,
)
from layani.conversations.actions.merge import merge_conversations
from layani.conversations.actions.messages import (
    add_note,
    reply,
    send_automatic,
    update_delivery_status,
)
from layani.conversations.actions.move import move_conversation
from layani.conversations.actions.reads import mark_read

__all__ = [
    "KEEP",
    "TRANSITIONS",
    "CannedReplyDetails",
    "Inbound",
    "Keep",
    "add_message",
    "add_note",
    "assign",
    "change_priority",
    "change_purpose",
    "change_status",
    "change_tags",
    "create_canned_reply",
    "delete_canned_reply",
    "link_visit",
    "mark_read",
    "merge_conversations",
    "move_conversation",
    "normalise_tag",
    "purpose_from_rule",
    "purpose_left_to_rules",
    "receive_inbound_message",
    "reply",
    "send_automatic",
    "start_conversation",
    "update_canned_reply",
    "update_delivery_status",
]
