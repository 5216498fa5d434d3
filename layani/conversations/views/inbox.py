"""The inbox: what is due first, by view and filters, live; and the one search box.

Every read is a fixed number of queries whatever the data (the scope, one page with its
joins and subqueries, the page's tags, the branches of the filter).
"""

from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from layani.branches.queries import branches_for
from layani.conversations.models import ACTIVE_STATUSES, Conversation, ConversationStatus
from layani.conversations.queries import (
    INBOX_VIEWS,
    InboxFilters,
    InboxRow,
    scope_of,
    tag_suggestions,
)
from layani.conversations.views.common import DueTime, due_time, ended_time, is_htmx, workspace_page
from layani.conversations.views.forms import INBOX_VIEW_LABELS, InboxFilterForm, SearchForm
from layani.conversations.views.presence import presence_context
from layani.conversations.workspace_queries import (
    MAX_REFRESH_PAGES,
    inbox_pages,
    latest_conversations_of,
)
from layani.core.errors import InvalidInput, PermissionDenied
from layani.customers.queries import customers_for
from layani.routing.sla_clock import TargetStatus
from layani.routing.sla_queries import SlaBadge, sla_badges
from layani.search import queries as search
from layani.search.filters import ConversationFilters
from layani.search.models import DocumentKind
from layani.staff.permissions import Capability, can, staff_of

FILTER_NAMES = ("channel", "purpose", "status", "priority", "branch", "tag")
SEARCH_PAGE_SIZE = 20
CUSTOMERS_PER_SEARCH = 5


def may_see_all(user: Any) -> bool:
    """ "Semua" is for people who oversee others' work: admins and supervisors."""
    return can(user, Capability.VIEW_ALL_CONVERSATIONS) or can(user, Capability.SUPERVISE)


def views_for(user: Any) -> list[str]:
    views = ["mine", "unassigned", "teams"] if staff_of(user) is not None else []
    if may_see_all(user):
        views.append("all")
    return views


def default_view(user: Any) -> str:
    return views_for(user)[0] if views_for(user) else "all"


@dataclass
class InboxState:
    """What the agent asked for: the view and the filters, and the query string to keep them."""

    view: str
    filters: InboxFilters
    form: InboxFilterForm
    query: str  # view and filters, without cursor/pages

    @property
    def filtered(self) -> bool:
        return self.filters != InboxFilters()

    def tab_query(self, view: str) -> str:
        params = QueryDict(self.query, mutable=True)
        params["view"] = view
        return params.urlencode()


def inbox_state(request: HttpRequest) -> InboxState:
    """Parse the view and filters; an unknown value is a field error (422), a view the person
    may not use is a 403."""
    view = request.GET.get("view") or default_view(request.user)
    if view not in INBOX_VIEWS:
        raise InvalidInput(_("Unknown view: %(value)s") % {"value": view}, field="view")
    if view not in views_for(request.user):
        raise PermissionDenied(_("You are not allowed to see this view."))
    form = InboxFilterForm(request.GET, branches=list(branches_for(request.user)))
    if not form.is_valid():
        # Named by the filter's label: "Prioritas: Masukkan pilihan yang valid...".
        raise InvalidInput(
            " ".join(
                f"{form.fields[name].label}: {error}"
                for name, errors in form.errors.items()
                for error in errors
            ),
            code="invalid_choice",
            field=next(iter(form.errors)),
        )
    data = form.cleaned_data
    filters = InboxFilters(
        channel=data["channel"],
        purpose=data["purpose"],
        status=data["status"],
        priority=data["priority"],
        branch_id=data["branch"],
        tag=data["tag"].strip(),
    )
    kept = {"view": view}
    kept.update({name: str(request.GET[name]) for name in FILTER_NAMES if request.GET.get(name)})
    return InboxState(view=view, filters=filters, form=form, query=urlencode(kept))


SLA_TARGETS = {
    "first_response": gettext_lazy("First response"),
    "next_response": gettext_lazy("Next response"),
    "resolution": gettext_lazy("Resolution"),
}
# The SLA badge's colour decides how the due time is shown: a warning is amber, a breach red.
_SLA_DUE_STATE = {"warning": "soon", "breached": "overdue"}


@dataclass
class Row:
    """One line of the inbox as the page shows it."""

    line: InboxRow
    due: DueTime
    sla: SlaBadge | None = None

    @property
    def sla_target(self) -> str:
        return str(SLA_TARGETS.get(self.sla.target, "")) if self.sla else ""

    @property
    def conversation(self) -> Any:
        return self.line.conversation

    @property
    def preview(self) -> str:
        """The last message's start, unless the subject, taken from the customer's first
        message, already shows it (a chat of one message read twice on its row)."""
        preview = self.line.last_message_preview
        subject = self.line.conversation.subject
        return "" if subject and preview.startswith(subject) else preview


def rows_of(items: list[InboxRow]) -> list[Row]:
    """Rows with their due time; under an SLA policy, the most urgent SLA target decides
    the colour (its warning time comes from the policy) and is named on the row."""
    now = timezone.now()
    active = [item.conversation for item in items if item.conversation.status in ACTIVE_STATUSES]
    badges = sla_badges(active, now=now)  # nothing is due on a resolved or closed one
    rows = []
    for item in items:
        conversation = item.conversation
        zone = conversation.branch.timezone if conversation.branch else None
        if conversation.status not in ACTIVE_STATUSES:
            ended = conversation.closed_at or conversation.resolved_at or conversation.updated_at
            closed = conversation.status == ConversationStatus.CLOSED
            rows.append(Row(line=item, due=ended_time(ended, now, closed, zone), sla=None))
            continue
        badge = badges.get(conversation.pk)
        if badge is not None and badge.status == TargetStatus.PAUSED:
            # The clock stands still while the customer is awaited: its "time left" moves
            # with now, so the row shows (and sorts by) when to look again instead.
            badge = None
        due = due_time(badge.due_at if badge else conversation.due_at, now, zone)
        if badge is not None and badge.colour in _SLA_DUE_STATE:
            due = replace(due, state=_SLA_DUE_STATE[badge.colour])
        rows.append(Row(line=item, due=due, sla=badge))
    return rows


def _page_context(request: HttpRequest, state: InboxState, pages: int = 1) -> dict[str, Any]:
    page = inbox_pages(
        request.user,
        view=state.view,
        filters=state.filters,
        pages=pages,
        cursor=request.GET.get("cursor") or None,
    )
    staff = staff_of(request.user)
    return {
        "state": state,
        "rows": rows_of(page.items),
        "next_cursor": page.next_cursor,
        "views": [(v, INBOX_VIEW_LABELS[v], state.tab_query(v)) for v in views_for(request.user)],
        "staff_id": staff.pk if staff else "",
        "team_ids": ",".join(str(t) for t in _team_ids(request.user)),
    }


def _team_ids(user: Any) -> list[int]:
    staff = staff_of(user)
    if staff is None:
        return []
    return list(staff.teams.values_list("pk", flat=True))


@require_GET
@workspace_page()
def inbox_page(request: HttpRequest) -> HttpResponse:
    try:
        state = inbox_state(request)
    except InvalidInput as error:
        return render(
            request,
            "conversations/inbox.html",
            {"error": error, "views": [], "rows": [], "state": None},
            status=error.status,
        )
    context = {
        **_page_context(request, state),
        **presence_context(request),
        "tag_suggestions": tag_suggestions(),
    }
    return render(request, "conversations/inbox.html", context)


@require_GET
@workspace_page()
def inbox_list(request: HttpRequest) -> HttpResponse:
    """The inbox's rows as a fragment: the next page (`cursor`), or the first `pages` pages
    again after a live change (what the agent had loaded stays loaded)."""
    state = inbox_state(request)
    try:
        pages = int(request.GET.get("pages") or 1)
    except ValueError:
        pages = 1
    pages = max(1, min(pages, MAX_REFRESH_PAGES))
    return render(
        request, "conversations/_inbox_rows.html", _page_context(request, state, pages=pages)
    )


# --- Search --------------------------------------------------------------------------------


@dataclass
class CustomerFound:
    """A customer the search found, with their latest conversations the person may see."""

    hit: search.CustomerHit
    conversations: list[Conversation]


@dataclass
class Hit:
    hit: search.ConversationHit
    parts: list[tuple[str, bool]]  # the snippet in pieces, True where a word matched

    @property
    def on_subject(self) -> bool:
        """The subject matched (or the number named it): the snippet is the subject, so the
        page shows the subject once, with its words marked, and no snippet under it."""
        return self.hit.kind == DocumentKind.SUBJECT


def _snippet_parts(snippet: str, highlights: list[tuple[int, int]]) -> list[tuple[str, bool]]:
    parts: list[tuple[str, bool]] = []
    position = 0
    for start, end in highlights:
        if start > position:
            parts.append((snippet[position:start], False))
        parts.append((snippet[start:end], True))
        position = end
    if position < len(snippet):
        parts.append((snippet[position:], False))
    return parts


@require_GET
@workspace_page()
def search_page(request: HttpRequest) -> HttpResponse:
    """One box over conversations, messages, notes and customers (layani.search)."""
    form = SearchForm(request.GET or None)
    filter_form = InboxFilterForm(request.GET, branches=list(branches_for(request.user)))
    context: dict[str, Any] = {
        "form": form,
        "filter_form": filter_form,
        "searched": False,
        "tag_suggestions": tag_suggestions() if not request.GET.get("cursor") else [],
    }
    status = 200
    q = request.GET.get("q", "")
    if q and form.is_valid() and filter_form.is_valid():
        data = filter_form.cleaned_data
        filters = ConversationFilters(
            channel=data["channel"],
            status=data["status"],
            purpose=data["purpose"],
            priority=data["priority"],
            branch_id=data["branch"],
            tag=data["tag"],
        )
        cursor = request.GET.get("cursor") or None
        scope = scope_of(request.user)
        try:
            results = search.search_conversations(
                q,
                scope=scope,
                filters=filters,
                cursor=cursor,
                limit=SEARCH_PAGE_SIZE,
            )
            # One more than shown: whether to lead to the customer list, at no extra query.
            customers = (
                search.search_customers(
                    q, base=customers_for(request.user), limit=CUSTOMERS_PER_SEARCH + 1
                )
                if cursor is None
                else []
            )
        except InvalidInput as error:
            form.add_error("q" if error.field in (None, "q") else None, error.message)
            status = error.status
        else:
            params = request.GET.copy()
            params.pop("cursor", None)
            shown = customers[:CUSTOMERS_PER_SEARCH]
            # A customer's name leads to their conversations too (the index rows hold the
            # messages' words, not the customer's name).
            theirs = latest_conversations_of(
                request.user, [h.customer.pk for h in shown], scope=scope, filters=filters
            )
            context.update(
                searched=True,
                hits=[
                    Hit(hit=h, parts=_snippet_parts(h.snippet, h.highlights)) for h in results.hits
                ],
                customers=[CustomerFound(h, theirs.get(h.customer.pk, [])) for h in shown],
                theirs_shown=any(theirs.values()),
                all_customers_query=(
                    urlencode({"q": q}) if len(customers) > CUSTOMERS_PER_SEARCH else ""
                ),
                next_cursor=results.next_cursor,
                query=params.urlencode(),
            )
    elif q:
        status = 422
    template = "conversations/search.html"
    if is_htmx(request) and request.GET.get("cursor"):
        template += "#results"
    return render(request, template, context, status=status)
