"""GET /api/v1/search: one search box over conversations, messages, notes and customers."""

from django.http import HttpRequest
from ninja import Query, Router, Schema
from pydantic import Field

from layani.conversations.models import ConversationStatus, Priority
from layani.conversations.queries import scope_of
from layani.core.choices import Channel, Purpose
from layani.customers.queries import customers_for
from layani.search import queries
from layani.search.filters import ConversationFilters
from layani.search.schemas import (
    ConversationMatchOut,
    CustomerBrief,
    CustomerMatchOut,
    SearchOut,
)
from layani.staff.permissions import Capability, require

router = Router(tags=["search"])

CUSTOMERS_PER_SEARCH = 5


class SearchParams(Schema):
    # Length and blankness are checked by the search itself, with a message people can read.
    q: str = Field(default="", max_length=1000, description="What to look for, in Indonesian")
    channel: Channel | None = None
    status: ConversationStatus | None = None
    purpose: Purpose | None = None
    priority: Priority | None = None
    branch: int | None = None
    tag: str = Field(default="", max_length=40)
    cursor: str | None = Field(default=None, max_length=200)
    limit: int = Field(default=20, ge=1, le=50)


def _conversation_out(hit: queries.ConversationHit) -> ConversationMatchOut:
    c = hit.conversation
    return ConversationMatchOut(
        id=c.pk,
        reference=c.reference,
        subject=c.subject,
        channel=c.channel,
        status=c.status,
        purpose=c.purpose,
        priority=c.priority,
        customer=CustomerBrief(id=c.customer.pk, full_name=c.customer.full_name)
        if c.customer
        else None,
        branch_id=c.branch_id,
        assignee_id=c.assignee_id,
        created_at=c.created_at,
        last_message_at=c.last_message_at,
        matched_in=hit.kind,
        matched_in_label=hit.kind_label,
        message_id=hit.message_id,
        snippet=hit.snippet,
        highlights=hit.highlights,
    )


def _customer_out(hit: queries.CustomerHit) -> CustomerMatchOut:
    c = hit.customer
    return CustomerMatchOut(
        id=c.pk,
        full_name=c.full_name,
        status=c.status,
        standing=c.standing,
        membership_number=c.membership_number,
        tier=c.tier,
    )


@router.get("", response=SearchOut, summary="Search conversations and customers")
def search(request: HttpRequest, params: Query[SearchParams]) -> SearchOut:
    """Every word must match (slang, abbreviations and affixes are understood: "tdk" finds
    "tidak", "pengembalian" finds "dikembalikan"); the last word may be unfinished. Filters
    combine with the text. Customers are listed on the first page only."""
    require(request.user, Capability.VIEW_CONVERSATIONS)
    queries.parse_search_text(params.q)  # a blank or overlong q is a 422 before any query
    filters = ConversationFilters(
        channel=params.channel or "",
        status=params.status or "",
        purpose=params.purpose or "",
        priority=params.priority,
        branch_id=params.branch,
        tag=params.tag,
    )
    results = queries.search_conversations(
        params.q,
        scope=scope_of(request.user),
        filters=filters,
        cursor=params.cursor,
        limit=params.limit,
    )
    customers = []
    if params.cursor is None:
        customers = queries.search_customers(
            params.q, base=customers_for(request.user), limit=CUSTOMERS_PER_SEARCH
        )
    return SearchOut(
        conversations=[_conversation_out(hit) for hit in results.hits],
        customers=[_customer_out(hit) for hit in customers],
        next_cursor=results.next_cursor,
    )
