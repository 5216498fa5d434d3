"""Which SLA policy applies to a conversation, and keeping its SLA state up to date.

`apply_sla(conversation, now=...)` runs inside every conversation action that recomputes
the due time (`conversations.actions._common.refresh_due`): the conversation was created,
the customer wrote, someone replied, its status, priority or purpose changed. It folds the
conversation's state into the clock's history (`sla_clock.sync_history`), evaluates the
policy's targets on the right business calendar, stores the due instants and the next
moment the sweep has something to do, and sets `conversation.due_at` to the nearest due
instant still ticking, so the inbox's "due first" order follows the SLA. The caller saves
the conversation; the SLA row is written here, in the caller's transaction.

A breach noticed here (a reply after its due instant, a resolution too late) is recorded
without escalating: escalation is the sweep's, once per breach (`sla_sweep`).
"""

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from layani.conversations.due import due_at_for
from layani.conversations.models import Conversation, ConversationStatus
from layani.routing.business_hours import Calendar, add_business_time
from layani.routing.models import ConversationSla
from layani.routing.sla_clock import (
    History,
    Pause,
    Target,
    TargetState,
    TargetStatus,
    evaluate,
    nearest_open_due,
    sync_history,
)
from layani.routing.sla_config import Facts, PolicyRule, SlaConfig, sla_config

ENDED = (ConversationStatus.RESOLVED, ConversationStatus.CLOSED)
TICKING = (TargetStatus.RUNNING, TargetStatus.BREACHED)


def facts_of(conversation: Conversation, *, with_customer: bool) -> Facts:
    status = tier = None
    if with_customer and conversation.customer_id is not None:
        customer = conversation.customer  # cached on the instance after the first read
        if customer is not None:
            status, tier = customer.status, customer.tier
    return Facts(
        channel=conversation.channel,
        purpose=conversation.purpose,
        priority=conversation.priority,
        branch_id=conversation.branch_id,
        customer_status=status,
        tier=tier,
    )


def policy_for(conversation: Conversation, config: SlaConfig | None = None) -> PolicyRule | None:
    """The first active policy, in order, whose conditions the conversation meets."""
    config = config or sla_config()
    if not config.policies:
        return None
    return config.policy_for(facts_of(conversation, with_customer=config.looks_at_customers))


def ended_at(conversation: Conversation) -> datetime | None:
    if conversation.status not in ENDED:
        return None
    return conversation.resolved_at or conversation.closed_at


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(text)


def history_of(conversation: Conversation, row: ConversationSla) -> History:
    pauses = [Pause(_instant(start), _instant(end)) for start, end in row.pauses or ()]
    if row.paused_since is not None:
        pauses.append(Pause(row.paused_since))
    return History(
        created_at=conversation.created_at,
        first_contact_at=row.first_contact_at,
        first_response_at=conversation.first_response_at,
        waiting_since=conversation.waiting_since,
        resolved_at=ended_at(conversation),
        pauses=tuple(pauses),
    )


def _store_history(row: ConversationSla, history: History) -> None:
    row.first_contact_at = history.first_contact_at
    row.pauses = [
        [p.start.astimezone(UTC).isoformat(), p.end.astimezone(UTC).isoformat()]
        for p in history.pauses
        if p.end is not None
    ]
    row.paused_since = history.paused_since


# The row's fields per target: (due, warned, breached).
FIELDS: dict[Target, tuple[str, str, str]] = {
    t: (f"{t.value}_due_at", f"{t.value}_warned_at", f"{t.value}_breached_at") for t in Target
}


def _close_next_response_cycle(
    row: ConversationSla, waiting: datetime | None, now: datetime
) -> None:
    """A new customer wait (or its end) starts a new next-response cycle; the one that ends
    is counted, and counted late if it ended after its due instant unnoticed."""
    if row.next_response_since == waiting:
        return
    if row.next_response_since is not None:
        row.next_responses += 1
        due = row.next_response_due_at
        if row.next_response_breached_at is None and due is not None and now > due:
            row.next_response_breaches += 1
    row.next_response_since = waiting
    row.next_response_due_at = None
    row.next_response_warned_at = None
    row.next_response_breached_at = None


def next_check(row: ConversationSla, states: dict[Target, TargetState]) -> datetime | None:
    """The earliest moment the sweep has something to do: a warning or a breach not yet
    handled on a target still ticking."""
    moments = []
    for target, state in states.items():
        if state.status not in TICKING or state.met_at is not None:
            continue
        _due, warned, breached = FIELDS[target]
        if getattr(row, breached) is not None:
            continue
        moments.append(state.due_at)
        if state.warn_at is not None and getattr(row, warned) is None:
            moments.append(state.warn_at)
    return min(moments) if moments else None


def record_states(
    row: ConversationSla, states: dict[Target, TargetState], *, now: datetime
) -> None:
    """Store the due instants, breaches noticed after the fact, and the next check."""
    for target in Target:
        due_field, _warned, breached = FIELDS[target]
        state = states.get(target)
        setattr(row, due_field, state.due_at if state is not None else None)
        if (
            state is not None
            and state.met_at is not None
            and state.status == TargetStatus.BREACHED
            and getattr(row, breached) is None
        ):
            setattr(row, breached, state.due_at)
    row.next_check_at = next_check(row, states)
    row.updated_at = now


@dataclass
class Evaluation:
    row: ConversationSla
    policy: PolicyRule | None
    calendar: Calendar
    states: dict[Target, TargetState]


def evaluate_conversation(
    conversation: Conversation,
    row: ConversationSla,
    *,
    config: SlaConfig,
    policy: PolicyRule | None,
    now: datetime,
) -> Evaluation:
    """Bring `row` up to date with the conversation at `now` (unsaved)."""
    history = sync_history(
        history_of(conversation, row),
        status=conversation.status,
        waiting_since=conversation.waiting_since,
        first_response_at=conversation.first_response_at,
        resolved_at=ended_at(conversation),
        pause_while_pending=policy.pause_while_pending if policy else True,
        now=now,
    )
    _store_history(row, history)
    row.policy_id = policy.id if policy else None
    waiting = history.waiting_since if history.first_response_at is not None else None
    _close_next_response_cycle(row, waiting, now)
    calendar = config.calendar_for(policy, conversation.branch_id)
    states = evaluate(policy.targets, calendar, history, now) if policy else {}
    record_states(row, states, now=now)
    return Evaluation(row=row, policy=policy, calendar=calendar, states=states)


def apply_sla(conversation: Conversation, *, now: datetime) -> ConversationSla | None:
    """Update the conversation's SLA state after a change at `now`, and point its `due_at`
    at the nearest SLA due instant still ticking. Call inside the action's transaction,
    with the conversation locked; the caller saves `due_at`.

    Costs one query when no policy exists, three when one applies."""
    config = sla_config()
    if not config.policies or conversation.pk is None:
        return None
    policy = policy_for(conversation, config)
    row = ConversationSla.objects.filter(pk=conversation.pk).first()
    if row is None:
        if policy is None:
            return None
        row = ConversationSla(conversation_id=conversation.pk)
    evaluation = evaluate_conversation(conversation, row, config=config, policy=policy, now=now)
    row.save()
    due = nearest_open_due(evaluation.states)
    if due is not None:
        conversation.due_at = due
    return row


def expected_answer_for(
    conversation: Conversation, *, now: datetime, customer: Any = None
) -> datetime:
    """`expected_answer_at` for a customer who writes in this conversation now (`customer`:
    the conversation's, when the caller has it at hand)."""
    return expected_answer_at(
        channel=conversation.channel,
        purpose=conversation.purpose,
        priority=conversation.priority,
        customer=customer or conversation.customer,
        branch=conversation.branch_id,
        now=now,
    )


def expected_answer_at(
    *,
    channel: str,
    purpose: str,
    priority: int,
    customer: Any = None,
    branch: Any = None,
    now: datetime,
) -> datetime:
    """When a customer who writes now should expect the first answer, for the intake
    acknowledgement ("you will get an answer by ..."): the first-response target of the
    policy that would apply, on its business calendar; without one, the default target."""
    config = sla_config()
    branch_id = getattr(branch, "pk", branch)
    facts = Facts(
        channel=channel,
        purpose=purpose,
        priority=priority,
        branch_id=branch_id,
        customer_status=getattr(customer, "status", None),
        tier=getattr(customer, "tier", None),
    )
    policy = config.policy_for(facts)
    target = policy.targets.first_response if policy else None
    if policy is None or target is None:
        return due_at_for(priority=priority, waiting_since=now, now=now)
    return add_business_time(config.calendar_for(policy, branch_id), now, target)
