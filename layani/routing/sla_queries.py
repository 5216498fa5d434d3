"""Reading SLA configuration and SLA state, scoped in one place.

- policies and calendars: anyone who works conversations may read them (to know what the
  targets are); writing is in `sla_actions`.
- a conversation's SLA state: through `access_conversation`, so only those who see the
  conversation see its SLA.
- `sla_badges`: what the inbox shows per row (time left, colour), in a fixed number of
  queries for a whole page.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext as _

from layani.conversations.models import Conversation
from layani.conversations.queries import access_conversation
from layani.core.errors import NotFound
from layani.core.pagination import Page, keyset_page
from layani.core.types import Actor
from layani.routing.models import BusinessCalendar, ClosedDay, ConversationSla, SlaPolicy
from layani.routing.sla import FIELDS, history_of
from layani.routing.sla_clock import Target, TargetState, TargetStatus, evaluate
from layani.routing.sla_config import PolicyRule, SlaConfig, sla_config
from layani.staff.permissions import Capability, require

OK, WARNING, BREACHED = "ok", "warning", "breached"


def policy_page(user: Actor, *, cursor: str | None, limit: int) -> Page[SlaPolicy]:
    require(user, Capability.VIEW_CONVERSATIONS)
    return keyset_page(
        SlaPolicy.objects.prefetch_related("branches"),
        fields=("order", "id"),
        cursor=cursor,
        limit=limit,
    )


def access_policy(user: Actor, policy_id: int) -> SlaPolicy:
    require(user, Capability.VIEW_CONVERSATIONS)
    policy = SlaPolicy.objects.prefetch_related("branches").filter(pk=policy_id).first()
    if policy is None:
        raise NotFound(_("No such SLA policy."), code="sla_policy_not_found")
    return policy


def _calendars() -> QuerySet[BusinessCalendar]:
    return BusinessCalendar.objects.prefetch_related(
        Prefetch("closed_days", queryset=ClosedDay.objects.order_by("date"))
    )


def calendar_page(user: Actor, *, cursor: str | None, limit: int) -> Page[BusinessCalendar]:
    require(user, Capability.VIEW_CONVERSATIONS)
    return keyset_page(_calendars(), fields=("id",), cursor=cursor, limit=limit)


def access_calendar(user: Actor, calendar_id: int) -> BusinessCalendar:
    require(user, Capability.VIEW_CONVERSATIONS)
    calendar = _calendars().filter(pk=calendar_id).first()
    if calendar is None:
        raise NotFound(_("No such calendar."), code="calendar_not_found")
    return calendar


def access_closed_day(user: Actor, calendar_id: int, closed_day_id: int) -> ClosedDay:
    require(user, Capability.VIEW_CONVERSATIONS)
    closed = (
        ClosedDay.objects.select_related("calendar")
        .filter(pk=closed_day_id, calendar_id=calendar_id)
        .first()
    )
    if closed is None:
        raise NotFound(_("No such closed day."), code="closed_day_not_found")
    return closed


# --- SLA state ------------------------------------------------------------------------------


@dataclass(frozen=True)
class TargetView:
    target: str
    status: str  # running / paused / met / breached
    colour: str  # ok / warning / breached
    started_at: datetime
    due_at: datetime
    warn_at: datetime | None
    time_left: timedelta
    late_by: timedelta
    met_at: datetime | None
    warned_at: datetime | None
    breached_at: datetime | None


@dataclass(frozen=True)
class ConversationSlaView:
    conversation_id: int
    policy: PolicyRule | None
    paused_since: datetime | None
    targets: list[TargetView]
    next_responses: int
    next_response_breaches: int

    @property
    def most_urgent(self) -> TargetView | None:
        """The target people should look at: a breach first, then the nearest due."""
        open_targets = [t for t in self.targets if t.met_at is None]
        if not open_targets:
            return None
        return min(open_targets, key=lambda t: (t.status != TargetStatus.BREACHED, t.due_at))


def colour_of(state: TargetState, *, flagged_breach: bool, now: datetime) -> str:
    """ok / warning / breached, for the inbox and the conversation view."""
    if state.status == TargetStatus.BREACHED or (flagged_breach and state.met_at is None):
        return BREACHED
    if state.status == TargetStatus.RUNNING and state.warn_at is not None and state.warn_at <= now:
        return WARNING
    return OK


def sla_view(
    conversation: Conversation, row: ConversationSla, config: SlaConfig, now: datetime
) -> ConversationSlaView:
    policy = config.policy_by_id(row.policy_id)
    states: dict[Target, TargetState] = {}
    if policy is not None:
        calendar = config.calendar_for(policy, conversation.branch_id)
        states = evaluate(policy.targets, calendar, history_of(conversation, row), now)
    targets = []
    for target, state in states.items():
        _due, warned, breached = FIELDS[target]
        flagged = getattr(row, breached)
        targets.append(
            TargetView(
                target=target.value,
                status=TargetStatus.BREACHED.value
                if flagged and state.met_at is None
                else state.status.value,
                colour=colour_of(state, flagged_breach=flagged is not None, now=now),
                started_at=state.started_at,
                due_at=state.due_at,
                warn_at=state.warn_at,
                time_left=state.time_left,
                late_by=state.late_by,
                met_at=state.met_at,
                warned_at=getattr(row, warned),
                breached_at=flagged,
            )
        )
    return ConversationSlaView(
        conversation_id=conversation.pk,
        policy=policy,
        paused_since=row.paused_since,
        targets=targets,
        next_responses=row.next_responses,
        next_response_breaches=row.next_response_breaches,
    )


def conversation_sla(user: Actor, conversation_id: int, *, now: datetime) -> ConversationSlaView:
    """The SLA of a conversation the user sees (NotFound otherwise, like the conversation).
    A conversation no policy covers has no targets."""
    conversation = access_conversation(user, conversation_id)
    row = ConversationSla.objects.filter(pk=conversation.pk).first()
    if row is None:
        return ConversationSlaView(
            conversation_id=conversation.pk,
            policy=None,
            paused_since=None,
            targets=[],
            next_responses=0,
            next_response_breaches=0,
        )
    return sla_view(conversation, row, sla_config(), now)


@dataclass(frozen=True)
class SlaBadge:
    """One inbox row's SLA: the most urgent target, its time left (business time) or how
    late it is, and the colour class."""

    target: str
    status: str
    colour: str
    due_at: datetime
    time_left: timedelta
    late_by: timedelta


def sla_badges(conversations: list[Conversation], *, now: datetime) -> dict[int, SlaBadge]:
    """The SLA badge of each conversation that has one (two queries for any page size:
    the configuration version and the SLA rows)."""
    if not conversations:
        return {}
    config = sla_config()
    rows = {r.pk: r for r in ConversationSla.objects.filter(pk__in=[c.pk for c in conversations])}
    badges = {}
    for conversation in conversations:
        row = rows.get(conversation.pk)
        if row is None:
            continue
        urgent = sla_view(conversation, row, config, now).most_urgent
        if urgent is None:
            continue
        badges[conversation.pk] = SlaBadge(
            target=urgent.target,
            status=urgent.status,
            colour=urgent.colour,
            due_at=urgent.due_at,
            time_left=urgent.time_left,
            late_by=urgent.late_by,
        )
    return badges
