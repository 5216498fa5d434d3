"""Reads the agent workspace needs beyond `queries.py`, each scoped and a fixed number of
queries whatever the data.

Conversations are read through `conversations_for` (STYLE rule 5); customer facts
(satisfaction, what-matters history) only for a customer the caller has already opened
through `customer_file` / `access_customer`, which decide who sees a customer.
"""

from typing import Any

from django.db.models import Case, F, QuerySet, Value, When, Window
from django.db.models.functions import RowNumber

from layani.branches.models import Visit
from layani.branches.queries import visits_for
from layani.conversations.models import ACTIVE_STATUSES, Conversation, EventKind, TimelineEvent
from layani.conversations.queries import (
    ConversationScope,
    InboxFilters,
    InboxPage,
    User,
    conversations_for,
    inbox,
    scope_of,
    scopes_of,
)
from layani.feedback.models import SurveyResponse
from layani.search.filters import ConversationFilters, filter_conversations
from layani.staff.models import Staff, Team
from layani.staff.permissions import ROLE_CAPABILITIES, Capability, can

# The inbox page size, and how many pages a live refresh re-reads at most.
INBOX_PAGE_SIZE = 50
MAX_REFRESH_PAGES = 4
CUSTOMER_CONVERSATIONS = 20
# Under each customer a search finds.
SEARCH_CUSTOMER_CONVERSATIONS = 3
HISTORY_LIMIT = 5
STAFF_LIMIT = 300
VISIT_LIMIT = 10


def inbox_pages(
    user: User, *, view: str, filters: InboxFilters, pages: int = 1, cursor: str | None = None
) -> InboxPage:
    """`pages` consecutive inbox pages as one (what an agent had loaded, re-read after a
    change). At most MAX_REFRESH_PAGES pages: a fixed number of queries per page."""
    pages = max(1, min(pages, MAX_REFRESH_PAGES))
    page = inbox(user, view=view, filters=filters, cursor=cursor, limit=INBOX_PAGE_SIZE)
    rows = list(page.items)
    for _ in range(pages - 1):
        if page.next_cursor is None:
            break
        page = inbox(
            user, view=view, filters=filters, cursor=page.next_cursor, limit=INBOX_PAGE_SIZE
        )
        rows += page.items
    return InboxPage(items=rows, next_cursor=page.next_cursor)


def customer_conversations(
    user: User,
    conversation: Conversation,
    *,
    scope: ConversationScope | None = None,
    limit: int = CUSTOMER_CONVERSATIONS,
) -> list[Conversation]:
    """The customer's other conversations this person may see, newest first: the side
    panel's open conversations and the merge targets. Merged ones are left out."""
    if conversation.customer_id is None:
        return []
    return list(
        conversations_for(user, scope or scope_of(user))
        .filter(customer_id=conversation.customer_id, merged_into__isnull=True)
        .exclude(pk=conversation.pk)
        .select_related("assignee")
        .order_by("-created_at", "-id")[:limit]
    )


def latest_conversations_of(
    user: User,
    customer_ids: list[int],
    *,
    scope: ConversationScope | None = None,
    filters: ConversationFilters | None = None,
    per_customer: int = SEARCH_CUSTOMER_CONVERSATIONS,
) -> dict[int, list[Conversation]]:
    """Each customer's latest conversations this person may see (and that pass the
    search's filters), the ones still being worked on first, then newest first: under the
    customers a search found, so that a customer's name leads to their conversations. One
    query for any number of customers."""
    if not customer_ids:
        return {}
    base = conversations_for(user, scope or scope_of(user))
    if filters is not None:
        base = filter_conversations(base, filters)
    active = Case(When(status__in=ACTIVE_STATUSES, then=Value(0)), default=Value(1))
    place = Window(
        RowNumber(),
        partition_by=[F("customer_id")],
        order_by=[active.asc(), F("created_at").desc(), F("id").desc()],
    )
    rows = (
        base.filter(customer_id__in=customer_ids, merged_into__isnull=True)
        .annotate(place=place)
        .filter(place__lte=per_customer)
        .order_by("customer_id", "place")
    )
    found: dict[int, list[Conversation]] = {}
    for conversation in rows:
        if conversation.customer_id is not None:
            found.setdefault(conversation.customer_id, []).append(conversation)
    return found


def what_matters_history(customer_id: int, *, limit: int = HISTORY_LIMIT) -> list[TimelineEvent]:
    """Who changed "what matters" when, newest first (from the customer's timeline)."""
    return list(
        TimelineEvent.objects.filter(customer_id=customer_id, kind=EventKind.WHAT_MATTERS_CHANGED)
        .select_related("actor__staff")
        .order_by("-occurred_at", "-id")[:limit]
    )


def satisfaction_history(customer_id: int, *, limit: int = HISTORY_LIMIT) -> list[SurveyResponse]:
    """The customer's latest survey answers, newest first."""
    return list(
        SurveyResponse.objects.filter(customer_id=customer_id)
        .select_related("branch")
        .order_by("-created_at", "-id")[:limit]
    )


def linkable_visits(
    user: User, conversation: Conversation, *, limit: int = VISIT_LIMIT
) -> list[Visit]:
    """The customer's latest branch visits this person may see (to link the conversation to)."""
    if conversation.customer_id is None:
        return []
    return list(
        visits_for(user)
        .filter(customer_id=conversation.customer_id)
        .select_related("branch")
        .order_by("-checked_in_at", "-id")[:limit]
    )


def _conversation_roles() -> list[str]:
    return [
        role
        for role, capabilities in ROLE_CAPABILITIES.items()
        if Capability.WORK_CONVERSATIONS in capabilities
    ]


def colleagues(user: User, *, limit: int = STAFF_LIMIT) -> list[Staff]:
    """Active people who can work conversations, by name: whom to assign to or @mention."""
    if not can(user, Capability.VIEW_CONVERSATIONS):
        return []
    qs: QuerySet[Staff] = (
        Staff.objects.filter(is_active=True, user__is_active=True, role__in=_conversation_roles())
        .select_related("user")
        .order_by("display_name", "id")
    )
    return list(qs[:limit])


def teams(user: User) -> list[Team]:
    if not can(user, Capability.VIEW_CONVERSATIONS):
        return []
    return list(Team.objects.order_by("name"))


def mention_names(people: list[Staff], conversation: Conversation) -> list[dict[str, Any]]:
    """What the note box suggests after "@": username, display name and whether they can
    see `conversation` (one who cannot is not told of the note). Those who can come first."""
    scopes = scopes_of(people)
    names = [
        {
            "username": p.user.get_username(),
            "name": p.display_name,
            "can_see": scopes[p.pk].covers(conversation),
        }
        for p in people
    ]
    return sorted(names, key=lambda n: not n["can_see"])
