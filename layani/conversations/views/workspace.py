"""What the conversation page shows, part by part, each read in a fixed number of queries.

The page has five parts that the browser can re-read on their own (after a form, or live):
`controls` (status, assignment, purpose, priority, tags, merge, visit), `thread`,
`composer` (reply / note), `pinned` (what matters to the customer) and `side` (the rest of
the customer 360 panel).
"""

import re
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from layani.channels.meta.window import composer_notice
from layani.conversations.actions import TRANSITIONS
from layani.conversations.event_display import actor_name, describe_event
from layani.conversations.message_display import message_body as display_body
from layani.conversations.models import (
    ACTIVE_STATUSES,
    Conversation,
    ConversationStatus,
    Message,
    Priority,
    TimelineEvent,
)
from layani.conversations.queries import (
    Thread,
    ThreadEntry,
    User,
    canned_replies_for,
    conversation_thread,
    scope_of,
)
from layani.conversations.views.common import due_time
from layani.conversations.workspace_queries import (
    colleagues,
    customer_conversations,
    linkable_visits,
    mention_names,
    satisfaction_history,
    teams,
    what_matters_history,
)
from layani.core.choices import Channel, Purpose
from layani.routing.conversation_sla import conversation_sla_panel
from layani.staff.permissions import Capability, can, staff_of

PARTS = ("controls", "thread", "composer", "pinned", "side")
_MENTION = re.compile(r"(?<![\w@])@([A-Za-z0-9_.+-]{1,150})")


def message_body(message: Message) -> SafeString:
    """The message as the page shows it (`message_display`)."""
    return display_body(message)


@dataclass
class Line:
    """One line of the thread, ready to show."""

    entry: ThreadEntry
    text: str = ""
    reason: str = ""
    body: SafeString | str = ""
    by: str = ""

    @property
    def message(self) -> Message | None:
        return self.entry.message

    @property
    def event(self) -> TimelineEvent | None:
        return self.entry.event


def thread_lines(thread: Thread) -> list[Line]:
    lines = []
    for entry in thread.entries:
        if entry.message is not None:
            lines.append(Line(entry=entry, body=message_body(entry.message)))
        elif entry.event is not None:
            text, reason = describe_event(entry.event)
            lines.append(Line(entry=entry, text=text, reason=reason, by=actor_name(entry.event)))
    return lines


def status_actions(status: str) -> list[tuple[str, str]]:
    """The status buttons for a conversation in `status`, in lifecycle order."""
    labels = {
        ConversationStatus.OPEN: _("Reopen")
        if status in (ConversationStatus.RESOLVED, ConversationStatus.CLOSED)
        else _("Mark open"),
        ConversationStatus.PENDING: _("Wait for customer"),
        ConversationStatus.RESOLVED: _("Resolve"),
        ConversationStatus.CLOSED: _("Close"),
    }
    allowed = TRANSITIONS.get(status, frozenset())
    return [(value, str(label)) for value, label in labels.items() if value in allowed]


@dataclass
class Failed:
    """A form that did not go through: which one, the bound form (what was typed stays)."""

    name: str
    form: Any


def field_of(error_field: str | None, form: Any) -> str | None:
    """Where an action's error goes on the page's form (None: above the form)."""
    aliases = {
        "assignee_id": "to",
        "team_id": "to",
        "held_by": "to",
        "into": "other",
        "visit_id": "visit",
        "tags": "add",
        "what_matters_tags": "tags",
    }
    name = aliases.get(error_field or "", error_field)
    return name if name in form.fields else None


@dataclass
class Workspace:
    """Everything the conversation page renders; `parts` says which parts were loaded."""

    thread: Thread
    parts: frozenset[str]
    user: Any
    failed: Failed | None = None
    keep: dict[str, str] = field(default_factory=dict)
    context: dict[str, Any] = field(default_factory=dict)

    @property
    def conversation(self) -> Conversation:
        return self.thread.conversation

    def compose_state(self) -> dict[str, str]:
        """The reply box: reply through the conversation's channel when one can carry a
        reply, else a note; after an error, exactly what was typed and chosen."""
        channels = self.thread.reply_channels
        state = {
            "mode": "reply" if channels else "note",
            "channel": channels[0] if channels else "",
            "body": "",
        }
        if self.failed is not None and self.failed.name == "compose":
            data = self.failed.form.data
            state.update(
                mode=data.get("mode") or state["mode"],
                channel=data.get("channel") or state["channel"],
                body=data.get("body_text", ""),
            )
        else:
            state.update({k: v for k, v in self.keep.items() if v})
        if state["mode"] == "reply" and not channels:
            state["mode"] = "note"
        return state

    def as_context(self) -> dict[str, Any]:
        c = self.conversation
        zone = c.branch.timezone if c.branch else None
        base: dict[str, Any] = {
            "ws": self,
            "conversation": c,
            "thread": self.thread,
            "customer_file": self.thread.customer,
            "customer": self.thread.customer.customer if self.thread.customer else None,
            "due": due_time(c.due_at, timezone.now(), zone),
            "is_active": c.status in ACTIVE_STATUSES,
            "is_merged": c.merged_into_id is not None,
            "can_work": can(self.user, Capability.WORK_CONVERSATIONS),
            "can_edit_customer": can(self.user, Capability.EDIT_CUSTOMERS),
            "failed": self.failed,
            "me": staff_of(self.user),
            "compose": self.compose_state(),
        }
        base.update(self.context)
        return base


def load_workspace(
    user: User,
    conversation_id: int,
    parts: frozenset[str] | set[str] = frozenset(PARTS),
    *,
    failed: Failed | None = None,
    keep: dict[str, str] | None = None,
) -> Workspace:
    """The parts of the page asked for. NotFound when the conversation is outside the scope."""
    thread = conversation_thread(user, conversation_id)
    ws = Workspace(thread=thread, parts=frozenset(parts), user=user, failed=failed, keep=keep or {})
    c = thread.conversation
    extra = ws.context
    people = colleagues(user) if "controls" in ws.parts else []
    if "controls" in ws.parts or "side" in ws.parts:
        others = customer_conversations(user, c, scope=scope_of(user))
        extra["other_conversations"] = others
        extra["open_conversations"] = [o for o in others if o.status in ACTIVE_STATUSES]
    if "controls" in ws.parts:
        extra.update(
            status_actions=status_actions(c.status),
            purposes=Purpose.choices,
            priorities=Priority.choices,
            colleagues=people,
            # The note box's suggestions live in the controls, which are re-read when the
            # assignment changes: who can see the conversation changes with it.
            mentionable=mention_names([p for p in people if p.user_id != user.pk], c),
            teams=teams(user),
            visits=linkable_visits(user, c) if c.customer_id else [],
            sla=conversation_sla_panel(c, now=timezone.now()),
        )
    if "thread" in ws.parts:
        extra["lines"] = thread_lines(thread)
    if "composer" in ws.parts:
        # What the reply box says about each channel it can send through (the 24-hour
        # window of Meta's channels): the notice follows the channel chosen in the box.
        notices = {value: composer_notice(c, value) for value in thread.reply_channels}
        chosen = ws.compose_state()["channel"]
        extra.update(
            reply_channels=[(value, Channel(value).label) for value in thread.reply_channels],
            canned_replies=list(canned_replies_for(user, team_id=c.team_id)),
            messaging_window=notices.get(chosen),
            window_notices={
                value: {"text": n.text, "open": n.is_open} if n else None
                for value, n in notices.items()
            },
        )
    if thread.customer is not None and ("pinned" in ws.parts or "side" in ws.parts):
        customer_id = thread.customer.customer.pk
        if "pinned" in ws.parts:
            extra["what_matters_history"] = what_matters_history(customer_id)
        if "side" in ws.parts:
            extra["satisfaction"] = satisfaction_history(customer_id)
    return ws
