from datetime import datetime

from ninja import Schema


class CustomerBrief(Schema):
    id: int
    full_name: str


class ConversationMatchOut(Schema):
    """A conversation found by the search and the text that matched best."""

    id: int
    reference: str
    subject: str
    channel: str
    status: str
    purpose: str
    priority: int
    customer: CustomerBrief | None
    branch_id: int | None
    assignee_id: int | None
    created_at: datetime
    last_message_at: datetime | None
    matched_in: str  # message, note or subject
    matched_in_label: str  # "Pesan", "Catatan internal", "Subjek" in the person's language
    message_id: int | None
    snippet: str  # plain text; escape it before showing it
    highlights: list[tuple[int, int]]  # [start, end) of the matching words in `snippet`


class CustomerMatchOut(Schema):
    id: int
    full_name: str
    status: str
    standing: str
    membership_number: str | None
    tier: str


class SearchOut(Schema):
    conversations: list[ConversationMatchOut]
    customers: list[CustomerMatchOut]  # on the first page only
    next_cursor: str | None
