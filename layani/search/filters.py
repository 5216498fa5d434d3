"""The conversation filters a search combines with its text.

Like the inbox's filters, except that no status filter means every status: people search
resolved and closed conversations too.
"""

from dataclasses import dataclass

from django.db.models import QuerySet

from layani.conversations.models import Conversation, tag_name


@dataclass(frozen=True)
class ConversationFilters:
    channel: str = ""
    status: str = ""
    purpose: str = ""
    priority: int | None = None
    branch_id: int | None = None
    tag: str = ""


def filter_conversations(
    qs: QuerySet[Conversation], filters: ConversationFilters
) -> QuerySet[Conversation]:
    if filters.channel:
        qs = qs.filter(channel=filters.channel)
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.purpose:
        qs = qs.filter(purpose=filters.purpose)
    if filters.priority is not None:
        qs = qs.filter(priority=filters.priority)
    if filters.branch_id is not None:
        qs = qs.filter(branch_id=filters.branch_id)
    if filters.tag.strip():
        qs = qs.filter(tags__name=tag_name(filters.tag))
    return qs
