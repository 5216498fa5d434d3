"""The conversation API's contracts (STYLE rule 6): XxxIn for what comes in, XxxOut for what
goes out. Unknown fields in a body are refused (422), so a typo never passes silently."""

from datetime import datetime
from typing import Any, Literal

from ninja import Schema
from pydantic import ConfigDict, Field

from layani.customers.schemas import CustomerOut

MAX_TEXT = 20_000


class StrictSchema(Schema):
    model_config = ConfigDict(extra="forbid")


# --- What comes in -----------------------------------------------------------------------------


class ConversationIn(StrictSchema):
    """A conversation a staff member opens (a phone call, a walk-in, an outbound contact)."""

    customer_id: int | None = None
    channel: str = Field(max_length=20)
    purpose: str = Field(default="routine", max_length=20)
    priority: int = 2
    subject: str = Field(default="", max_length=255)
    branch_id: int | None = None
    team_id: int | None = None
    assignee_id: int | None = None


class InboundIn(StrictSchema):
    """A customer's message posted by an integration (until a channel adapter takes it)."""

    customer_id: int
    channel: str = Field(max_length=20)
    body_text: str = Field(default="", max_length=MAX_TEXT)
    body_html: str = Field(default="", max_length=MAX_TEXT)
    external_id: str | None = Field(default=None, max_length=255)
    subject: str = Field(default="", max_length=255)
    received_at: datetime | None = None


class ReplyIn(StrictSchema):
    body_text: str = Field(min_length=1, max_length=MAX_TEXT)
    channel: str | None = Field(
        default=None,
        max_length=20,
        description=(
            "Default: the conversation's own channel, or email when the customer's latest "
            "message was left through the web chat's offline form"
        ),
    )


class NoteIn(StrictSchema):
    body_text: str = Field(
        min_length=1, max_length=MAX_TEXT, description="@username mentions a colleague"
    )


class AssignmentIn(StrictSchema):
    """Give only what changes: `{"assignee_id": 7}` keeps the team when they are in it, else
    the conversation follows them to their team; null unassigns. A person with a team they
    are not in: 422 `not_in_team`."""

    assignee_id: int | None = None
    team_id: int | None = None
    reason: str = Field(default="", max_length=500)
    held_by: int | None = Field(
        default=None,
        description=(
            "Who you saw holding the conversation (a staff id, null for nobody): when someone "
            "else has taken it since, 409 `taken` instead of taking it from them. Omit to "
            "assign whoever holds it."
        ),
    )


class StatusIn(StrictSchema):
    status: str = Field(max_length=20)
    reason: str = Field(default="", max_length=500)


class PurposeIn(StrictSchema):
    purpose: str = Field(max_length=20)
    reason: str = Field(max_length=500)


class PriorityIn(StrictSchema):
    priority: int
    reason: str = Field(max_length=500)


class TagsIn(StrictSchema):
    add: list[str] = Field(default_factory=list, max_length=20)
    remove: list[str] = Field(default_factory=list, max_length=20)


class MergeIn(StrictSchema):
    into: int = Field(description="The conversation that takes everything of this one")


class VisitLinkIn(StrictSchema):
    visit_id: int | None


class CannedReplyIn(StrictSchema):
    title: str = Field(min_length=1, max_length=120)
    body: str = Field(min_length=1, max_length=MAX_TEXT)
    language: str = Field(default="id", max_length=5)
    team_id: int | None = None
    shortcut: str = Field(default="", max_length=40)


class CannedReplyPatch(StrictSchema):
    title: str | None = Field(default=None, min_length=1, max_length=120)
    body: str | None = Field(default=None, min_length=1, max_length=MAX_TEXT)
    language: str | None = Field(default=None, max_length=5)
    team_id: int | None = None
    shortcut: str | None = Field(default=None, max_length=40)
    is_active: bool | None = None


class RenderIn(StrictSchema):
    conversation_id: int


# --- What goes out -----------------------------------------------------------------------------


class StaffRef(Schema):
    id: int
    display_name: str


class TeamRef(Schema):
    id: int
    name: str


class BranchRef(Schema):
    id: int
    code: str
    name: str


class CustomerRef(Schema):
    id: int
    full_name: str
    standing: str


class ConversationOut(Schema):
    id: int
    reference: str
    customer: CustomerRef | None
    channel: str
    purpose: str
    priority: int
    status: str
    subject: str
    assignee: StaffRef | None
    team: TeamRef | None
    branch: BranchRef | None
    created_at: datetime
    updated_at: datetime
    last_message_at: datetime | None
    waiting_since: datetime | None
    due_at: datetime
    first_response_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    previous_id: int | None
    merged_into_id: int | None
    visit_id: int | None


class InboxItemOut(ConversationOut):
    unread: bool
    last_message_preview: str
    tags: list[str]


class InboxPageOut(Schema):
    items: list[InboxItemOut]
    next_cursor: str | None


class MessageOut(Schema):
    id: int
    conversation_id: int
    direction: str
    channel: str
    body_text: str
    body_html: str
    external_id: str | None
    delivery_status: str
    status_changed_at: datetime | None
    created_at: datetime
    author: StaffRef | None


class NoteOut(MessageOut):
    mentioned: list[str]
    # Named in the note but not told: they cannot see the conversation.
    not_notified: list[str]

    @staticmethod
    def resolve_mentioned(obj: Any) -> list[str]:
        return [m.staff.user.get_username() for m in obj.mentions.select_related("staff__user")]

    @staticmethod
    def resolve_not_notified(obj: Any) -> list[str]:
        return list((obj.meta or {}).get("not_notified", []))


class EventOut(Schema):
    id: int
    kind: str
    occurred_at: datetime
    summary: str
    details: dict[str, Any]
    actor: str | None
    visit_id: int | None

    @staticmethod
    def resolve_actor(obj: Any) -> str | None:
        if obj.actor is None:
            return None
        staff = getattr(obj.actor, "staff", None)
        return staff.display_name if staff is not None else obj.actor.get_username()


class ThreadEntryOut(Schema):
    kind: Literal["message", "event"]
    at: datetime
    message: MessageOut | None
    event: EventOut | None


class VisitRef(Schema):
    id: int
    ticket_number: str
    status: str
    branch_id: int
    checked_in_at: datetime


class OpenConversationRef(Schema):
    id: int
    reference: str
    channel: str
    status: str
    subject: str


class CustomerPanelOut(Schema):
    """The side panel: who the customer is, what matters to them, what is open."""

    customer: CustomerOut
    open_conversations: list[OpenConversationRef]
    recent_visits: list[VisitRef]


class ThreadOut(Schema):
    conversation: ConversationOut
    tags: list[str]
    reply_channels: list[str]
    entries: list[ThreadEntryOut]
    customer: CustomerPanelOut | None
    truncated: bool


class InboundOut(Schema):
    outcome: Literal["appended", "reopened", "created"]
    conversation: ConversationOut
    message: MessageOut


class TagsOut(Schema):
    tags: list[str]


class MentionOut(Schema):
    id: int
    conversation_id: int
    message_id: int
    mentioned_by: StaffRef | None
    created_at: datetime
    seen_at: datetime | None


class MentionPageOut(Schema):
    items: list[MentionOut]
    next_cursor: str | None


class CannedReplyOut(Schema):
    id: int
    title: str
    body: str
    language: str
    team: TeamRef | None
    shortcut: str
    is_active: bool
    updated_at: datetime


class RenderedOut(Schema):
    text: str
