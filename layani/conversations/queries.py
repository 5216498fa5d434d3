"""Scoped reads of conversations: who sees which conversation is decided here only (STYLE rule 5).

Who sees what:

- admins (and superusers) see every conversation;
- everyone else with `conversations.view` sees the conversations
  - assigned to them,
  - of their teams (`Staff.teams`),
  - of their branches (`Staff.branches`);
- agents (`conversations.view_pool`) also see the shared pool "Belum ditugaskan":
  conversations with neither an assignee nor a team;
- supervisors (`branches.supervise`) also see the conversations assigned to anyone who works
  in one of their branches;
- kiosks, anonymous callers and accounts without a staff profile see none.

A conversation outside someone's scope does not exist for them: `access_conversation`
raises NotFound (404), never PermissionDenied, so ids cannot be probed.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db.models import OuterRef, Prefetch, Q, QuerySet, Subquery
from django.utils.translation import gettext as _

from layani.conversations.models import (
    CannedReply,
    Conversation,
    ConversationRead,
    ConversationStatus,
    Direction,
    EventKind,
    Mention,
    Message,
    Priority,
    Tag,
    TimelineEvent,
    tag_name,
)
from layani.conversations.recipients import reply_channels_of
from layani.conversations.row_conditions import has_tag, id_among, is_active_status
from layani.core.choices import Channel, Purpose
from layani.core.errors import InvalidInput, NotFound
from layani.core.pagination import Page, keyset_page
from layani.customers.models import CustomerIdentity
from layani.customers.queries import CustomerFile, customer_file
from layani.staff.models import Staff
from layani.staff.permissions import Capability, can, staff_of

User = AbstractBaseUser | AnonymousUser
InboxView = Literal["mine", "unassigned", "teams", "all"]
INBOX_VIEWS: tuple[str, ...] = ("mine", "unassigned", "teams", "all")
THREAD_LIMIT = 500


@dataclass(frozen=True)
class ConversationScope:
    """What one person may see, resolved once per request in a fixed number of queries."""

    sees_all: bool = False
    staff_id: int | None = None
    team_ids: tuple[int, ...] = ()
    branch_ids: tuple[int, ...] = ()
    supervised_staff_ids: tuple[int, ...] = ()
    sees_pool: bool = False
    sees_nothing: bool = False

    def condition(self) -> Q:
        if self.sees_all:
            return Q()
        condition = Q(pk__in=[])
        if self.staff_id is not None:
            condition |= Q(assignee_id=self.staff_id)
        if self.team_ids:
            condition |= Q(team_id__in=self.team_ids)
        if self.branch_ids:
            condition |= Q(branch_id__in=self.branch_ids)
        if self.supervised_staff_ids:
            condition |= Q(assignee_id__in=self.supervised_staff_ids)
        if self.sees_pool:
            condition |= Q(assignee__isnull=True, team__isnull=True)
        return condition

    def covers(self, conversation: Conversation) -> bool:
        """Whether `conversation` is inside this scope: `condition()` tested in Python, on
        the conversation's assignee, team and branch."""
        if self.sees_nothing:
            return False
        if self.sees_all:
            return True
        assignee, team = conversation.assignee_id, conversation.team_id
        return (
            (assignee is not None and assignee == self.staff_id)
            or team in self.team_ids
            or conversation.branch_id in self.branch_ids
            or assignee in self.supervised_staff_ids
            or (self.sees_pool and assignee is None and team is None)
        )


def _unscoped(user: User | None) -> ConversationScope | None:
    """The scope of someone who sees everything or nothing; None for everyone else, whose
    scope comes from their teams and branches."""
    if user is None or not can(user, Capability.VIEW_CONVERSATIONS):
        return ConversationScope(sees_nothing=True)
    if can(user, Capability.VIEW_ALL_CONVERSATIONS):
        return ConversationScope(sees_all=True, staff_id=getattr(staff_of(user), "pk", None))
    if staff_of(user) is None:
        return ConversationScope(sees_nothing=True)
    return None


def _scoped(
    user: User,
    staff: Staff,
    team_ids: tuple[int, ...],
    branch_ids: tuple[int, ...],
    members: Callable[[tuple[int, ...]], Iterable[int]],
) -> ConversationScope:
    """`members(branch_ids)`: the staff ids of those branches (whom a supervisor oversees)."""
    supervised: tuple[int, ...] = ()
    if can(user, Capability.SUPERVISE) and branch_ids:
        supervised = tuple(sorted(set(members(branch_ids)) - {staff.pk}))
    return ConversationScope(
        staff_id=staff.pk,
        team_ids=team_ids,
        branch_ids=branch_ids,
        supervised_staff_ids=supervised,
        sees_pool=can(user, Capability.VIEW_UNASSIGNED_POOL),
    )


def scope_of(user: User | None) -> ConversationScope:
    unscoped = _unscoped(user)
    if unscoped is not None:
        return unscoped
    assert user is not None
    staff = staff_of(user)
    assert staff is not None
    team_ids = tuple(
        sorted(
            Staff.teams.through.objects.filter(staff_id=staff.pk).values_list("team_id", flat=True)
        )
    )
    branch_ids = tuple(
        sorted(
            Staff.branches.through.objects.filter(staff_id=staff.pk).values_list(
                "branch_id", flat=True
            )
        )
    )

    def members(branch_ids: tuple[int, ...]) -> Iterable[int]:
        return Staff.branches.through.objects.filter(branch_id__in=branch_ids).values_list(
            "staff_id", flat=True
        )

    return _scoped(user, staff, team_ids, branch_ids, members)


def scopes_of(people: list[Staff]) -> dict[int, ConversationScope]:
    """Each person's scope, as `scope_of(person.user)` gives it, in two queries however many
    people there are (whom the note box can @mention usefully). `people` with their users
    (`select_related("user")`)."""
    scopes: dict[int, ConversationScope] = {}
    rest = []
    for person in people:
        unscoped = _unscoped(person.user)
        if unscoped is None:
            rest.append(person)
        else:
            scopes[person.pk] = unscoped
    if not rest:
        return scopes
    teams_of: dict[int, list[int]] = {p.pk: [] for p in rest}
    for staff_id, team_id in Staff.teams.through.objects.filter(
        staff_id__in=list(teams_of)
    ).values_list("staff_id", "team_id"):
        teams_of[staff_id].append(team_id)
    # Every branch membership of the branches these people belong to: their own branches and
    # the colleagues a supervisor among them oversees.
    memberships = list(
        Staff.branches.through.objects.filter(
            branch_id__in=Staff.branches.through.objects.filter(staff_id__in=list(teams_of)).values(
                "branch_id"
            )
        ).values_list("staff_id", "branch_id")
    )
    staff_in: dict[int, set[int]] = {}
    for staff_id, branch_id in memberships:
        staff_in.setdefault(branch_id, set()).add(staff_id)

    def members(branch_ids: tuple[int, ...]) -> Iterable[int]:
        return [s for b in branch_ids for s in staff_in.get(b, ())]

    for person in rest:
        branch_ids = tuple(sorted(b for b, ids in staff_in.items() if person.pk in ids))
        team_ids = tuple(sorted(teams_of[person.pk]))
        scopes[person.pk] = _scoped(person.user, person, team_ids, branch_ids, members)
    return scopes


def conversations_for(
    user: User | None, scope: ConversationScope | None = None
) -> QuerySet[Conversation]:
    scope = scope or scope_of(user)
    if scope.sees_nothing:
        return Conversation.objects.none()
    return Conversation.objects.filter(scope.condition())


def access_conversation(user: User | None, conversation_id: int) -> Conversation:
    conversation = (
        conversations_for(user)
        .select_related("customer", "assignee", "team", "branch")
        .filter(pk=conversation_id)
        .first()
    )
    if conversation is None:
        raise NotFound(_("Conversation not found."), code="conversation_not_found")
    return conversation


def can_see_conversation(user: User | None, conversation: Conversation) -> bool:
    return conversations_for(user).filter(pk=conversation.pk).exists()


# --- The inbox --------------------------------------------------------------------------------


@dataclass(frozen=True)
class InboxFilters:
    """Filters that combine with a view. `status` empty means the active statuses."""

    channel: str = ""
    purpose: str = ""
    status: str = ""
    priority: int | None = None
    branch_id: int | None = None
    tag: str = ""
    assignee_id: int | None = None

    def validate(self) -> None:
        for name, value, allowed in (
            ("channel", self.channel, Channel.values),
            ("purpose", self.purpose, Purpose.values),
            ("status", self.status, ConversationStatus.values),
        ):
            if value and value not in allowed:
                raise InvalidInput(
                    _("Unknown value: %(value)s") % {"value": value},
                    code="invalid_choice",
                    field=name,
                )
        if self.priority is not None and self.priority not in Priority.values:
            raise InvalidInput(
                _("Unknown value: %(value)s") % {"value": self.priority},
                code="invalid_choice",
                field="priority",
            )


@dataclass
class InboxPage:
    items: list["InboxRow"]
    next_cursor: str | None


@dataclass
class InboxRow:
    conversation: Conversation
    unread: bool
    last_message_preview: str
    tags: list[str] = field(default_factory=list)

    @property
    def due_at(self) -> datetime:
        return self.conversation.due_at


# What an inbox row shows: the conversation and the names of who and where, no long texts.
INBOX_COLUMNS = (
    # Every column of the conversation: a deferred one costs a query per row when read.
    *(f.name for f in Conversation._meta.concrete_fields),
    "customer__full_name",
    "customer__status",
    "customer__tier",
    "customer__created_at",
    "assignee__display_name",
    "assignee__user_id",
    "team__name",
    "branch__code",
    "branch__name",
    "branch__timezone",
)


ENDED_STATUSES = (ConversationStatus.RESOLVED, ConversationStatus.CLOSED)


def _inbox_queryset(
    user: User, scope: ConversationScope, view: str, filters: InboxFilters
) -> QuerySet[Conversation]:
    if view not in INBOX_VIEWS:
        raise InvalidInput(
            _("Unknown view: %(value)s") % {"value": view}, code="invalid_choice", field="view"
        )
    filters.validate()
    qs = conversations_for(user, scope)
    if view == "mine":
        qs = qs.filter(assignee_id=scope.staff_id) if scope.staff_id else qs.none()
    elif view == "unassigned":
        qs = qs.filter(assignee__isnull=True)
    elif view == "teams":
        qs = qs.filter(team_id__in=scope.team_ids) if scope.team_ids else qs.none()
    qs = qs.filter(status=filters.status) if filters.status else qs.filter(is_active_status())
    if filters.channel:
        qs = qs.filter(channel=filters.channel)
    if filters.purpose:
        qs = qs.filter(purpose=filters.purpose)
    if filters.priority is not None:
        qs = qs.filter(priority=filters.priority)
    if filters.branch_id is not None:
        qs = qs.filter(branch_id=filters.branch_id)
    if filters.assignee_id is not None:
        qs = qs.filter(assignee_id=filters.assignee_id)
    tag = tag_name(filters.tag)
    if tag:
        tag_id = Tag.objects.filter(name=tag).values_list("pk", flat=True).first()
        qs = qs.none() if tag_id is None else qs.filter(has_tag(tag_id))
    return qs


TAG_SUGGESTIONS = 300


def tag_suggestions(limit: int = TAG_SUGGESTIONS) -> list[str]:
    """Tag names to suggest in a tag filter, alphabetically, in one query of at most `limit`
    rows. Tags are shared by everyone (any agent may put any tag on a conversation they
    work on), so the list is the same for every person."""
    return list(Tag.objects.order_by("name").values_list("name", flat=True)[:limit])


def tags_of(conversation_ids: list[int]) -> dict[int, list[str]]:
    """Tag names of each conversation, sorted, in one query."""
    if not conversation_ids:
        return {}
    tags: dict[int, list[str]] = {}
    rows = (
        Conversation.tags.through.objects.filter(conversation_id__in=conversation_ids)
        .order_by("tag__name")
        .values_list("conversation_id", "tag__name")
    )
    for conversation_id, name in rows:
        tags.setdefault(conversation_id, []).append(name)
    return tags


def inbox(
    user: User,
    *,
    view: str = "all",
    filters: InboxFilters | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> InboxPage:
    """One page of conversations in `view`, what is due first (`due_at`, `id`); a list of
    resolved or closed conversations, where nothing is due, the latest worked on first
    (`updated_at`, `id`, descending: the index on status and updated_at).

    A fixed number of queries whatever the data: the scope (up to three small lookups),
    the page with its customer, assignee, team and branch joined and the person's read
    marker as a per-row subquery (the preview and when the customer last wrote are columns
    of the row), and the tags of the page.
    """
    scope = scope_of(user)
    qs = _inbox_queryset(user, scope, view, filters or InboxFilters())

    def rows_of(page_ids: QuerySet[Conversation, Any]) -> QuerySet[Conversation]:
        """The page's rows (ids picked by `keyset_page` from the scoped, filtered table)
        with their customer, assignee, team, branch and the person's read marker. The
        preview and when the customer last wrote are on the row (`note_message`)."""
        rows = Conversation.objects.filter(id_among(page_ids))
        rows = rows.select_related("customer", "assignee", "team", "branch").only(*INBOX_COLUMNS)
        if scope.staff_id is not None:
            my_read = ConversationRead.objects.filter(
                conversation_id=OuterRef("pk"), staff_id=scope.staff_id
            ).values("read_at")[:1]
            rows = rows.annotate(my_read_at=Subquery(my_read))
        return rows

    status = (filters or InboxFilters()).status
    if status in ENDED_STATUSES:
        fields, descending = ("updated_at", "id"), True
    else:
        fields, descending = ("due_at", "id"), False
    page = keyset_page(
        qs, fields=fields, cursor=cursor, limit=limit, descending=descending, rows_of=rows_of
    )
    tags = tags_of([c.pk for c in page.items])
    rows = []
    for conversation in page.items:
        last_in = conversation.last_inbound_at
        read_at = getattr(conversation, "my_read_at", None)
        rows.append(
            InboxRow(
                conversation=conversation,
                unread=last_in is not None and (read_at is None or last_in > read_at),
                last_message_preview=conversation.last_preview,
                tags=tags.get(conversation.pk, []),
            )
        )
    return InboxPage(items=rows, next_cursor=page.next_cursor)


# --- One conversation -------------------------------------------------------------------------


@dataclass(frozen=True)
class ThreadEntry:
    """One line of the thread: a message (or note), or a timeline event such as a status
    change, an assignment or a linked visit."""

    at: datetime
    message: Message | None = None
    event: TimelineEvent | None = None

    @property
    def kind(self) -> str:
        return "message" if self.message is not None else "event"


@dataclass
class Thread:
    conversation: Conversation
    entries: list[ThreadEntry]
    tags: list[str]
    reply_channels: list[str]
    customer: CustomerFile | None
    truncated: bool = False


def _thread_order(entry: ThreadEntry) -> tuple[datetime, int, int]:
    """Time order; at the same moment the conversation starts first, then the message, then
    what the message caused (a reply opening the conversation)."""
    if entry.message is not None:
        return (entry.at, 1, entry.message.pk)
    assert entry.event is not None
    rank = 0 if entry.event.kind == EventKind.CONVERSATION_CREATED else 2
    return (entry.at, rank, entry.event.pk)


def conversation_thread(user: User, conversation_id: int) -> Thread:
    """The conversation, its messages, notes and timeline events merged in time order, and
    the customer's file for the side panel, in a fixed number of queries.

    Timeline events that only mirror a message (message in, reply, note) are left out: the
    message itself is the entry. The newest THREAD_LIMIT messages and events are shown.
    """
    conversation = (
        conversations_for(user)
        .select_related(
            "customer",
            "assignee",
            "team",
            "branch",
            "visit",
            "visit__branch",
            "previous",
            "merged_into",
        )
        .prefetch_related(Prefetch("tags", queryset=Tag.objects.order_by("name")))
        .filter(pk=conversation_id)
        .first()
    )
    if conversation is None:
        raise NotFound(_("Conversation not found."), code="conversation_not_found")
    messages = list(
        Message.objects.filter(conversation=conversation)
        .select_related("author")
        .prefetch_related("attachments")
        .order_by("-created_at", "-id")[: THREAD_LIMIT + 1]
    )
    events = list(
        TimelineEvent.objects.filter(conversation=conversation, message__isnull=True)
        .select_related("actor__staff", "visit")
        .order_by("-occurred_at", "-id")[: THREAD_LIMIT + 1]
    )
    truncated = len(messages) > THREAD_LIMIT or len(events) > THREAD_LIMIT
    entries = [ThreadEntry(at=m.created_at, message=m) for m in messages[:THREAD_LIMIT]]
    entries += [ThreadEntry(at=e.occurred_at, event=e) for e in events[:THREAD_LIMIT]]
    entries.sort(key=_thread_order)
    file = None
    identities: list[CustomerIdentity] = []
    if conversation.customer_id is not None and can(user, Capability.VIEW_CUSTOMERS):
        file = customer_file(user, conversation.customer_id, timeline_limit=10)
        identities = list(file.customer.identities.all())
    latest_inbound = next((m for m in messages if m.direction == Direction.INBOUND), None)
    reply_channels = reply_channels_of(conversation, identities, latest_inbound=latest_inbound)
    return Thread(
        conversation=conversation,
        entries=entries,
        tags=[t.name for t in conversation.tags.all()],
        reply_channels=reply_channels,
        customer=file,
        truncated=truncated,
    )


# --- Mentions and canned replies --------------------------------------------------------------


def mentions_for(
    user: User, *, unseen_only: bool = False, cursor: str | None = None, limit: int = 20
) -> Page[Mention]:
    staff = staff_of(user)
    if staff is None:
        return Page(items=[], next_cursor=None)
    qs = Mention.objects.filter(staff=staff).select_related(
        "conversation", "mentioned_by", "message"
    )
    if unseen_only:
        qs = qs.filter(seen_at__isnull=True)
    return keyset_page(qs, fields=("created_at", "id"), cursor=cursor, limit=limit, descending=True)


def canned_replies_for(
    user: User,
    *,
    language: str = "",
    team_id: int | None = None,
    include_inactive: bool = False,
) -> QuerySet[CannedReply]:
    """Canned replies this person may use: those for everyone and those of their teams.

    People who manage canned replies see all of them.
    """
    if not can(user, Capability.VIEW_CONVERSATIONS):
        return CannedReply.objects.none()
    qs = CannedReply.objects.select_related("team")
    if not can(user, Capability.MANAGE_CANNED_REPLIES):
        staff = staff_of(user)
        team_ids = list(staff.teams.values_list("pk", flat=True)) if staff else []
        qs = qs.filter(Q(team__isnull=True) | Q(team_id__in=team_ids))
    if not include_inactive:
        qs = qs.filter(is_active=True)
    if language:
        qs = qs.filter(language=language)
    if team_id is not None:
        qs = qs.filter(Q(team__isnull=True) | Q(team_id=team_id))
    return qs.order_by("title", "id")


def access_canned_reply(user: User, reply_id: int) -> CannedReply:
    reply = canned_replies_for(user, include_inactive=True).filter(pk=reply_id).first()
    if reply is None:
        raise NotFound(_("Canned reply not found."), code="canned_reply_not_found")
    return reply
