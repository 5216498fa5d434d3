"""In which order waiting conversations are served: a pure priority score and a fair order.

No database: `auto_assign` turns conversations into `ConversationFacts` and a team's (or the
business's) `PriorityPolicy` row into `PriorityWeights`.

score = urgency of the kind of work (phone and chat before email)
      + purpose weight (a complaint before a routine question)
      + segment weight (loyal member, new customer, prospect: the business decides)
      + membership tier weight
      + the priority level staff gave it (low, normal, high, urgent)
      + SLA pressure: rises from 0 to `sla_weight` over the last `sla_horizon_minutes`
        before the answer is due, and stays there once it is late
      + minutes waited x `aging_per_minute`

Every part but the last two is fixed for a conversation, and those two never fall as time
passes, so the score never falls while a conversation waits (property-tested).

The order (`order_conversations`) is the branch queue's (`fairness`): whoever has waited
`max_wait_minutes` or longer goes first, longest waiting first, whatever others' scores;
then the highest score; equal scores first come, first served.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from layani.routing.assignment import work_kind
from layani.routing.fairness import fifo_key, is_overdue, minutes_since, rank_key

DEFAULT_KIND_WEIGHTS: dict[str, float] = {"phone": 30, "chat": 20, "in_person": 20, "email": 0}
DEFAULT_PURPOSE_WEIGHTS: dict[str, float] = {
    "complaint": 25,
    "special_request": 10,
    "prospect": 5,
    "routine": 0,
}
DEFAULT_SEGMENT_WEIGHTS: dict[str, float] = {"loyal": 15, "new": 10, "prospect": 5, "customer": 0}
DEFAULT_TIER_WEIGHTS: dict[str, float] = {"platinum": 10, "gold": 6, "silver": 3}
# Conversation.priority: 1 low, 2 normal, 3 high, 4 urgent.
DEFAULT_LEVEL_WEIGHTS: dict[int, float] = {1: -10, 2: 0, 3: 20, 4: 40}


@dataclass(frozen=True)
class PriorityWeights:
    kind_weights: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_KIND_WEIGHTS))
    purpose_weights: Mapping[str, float] = field(
        default_factory=lambda: dict(DEFAULT_PURPOSE_WEIGHTS)
    )
    segment_weights: Mapping[str, float] = field(
        default_factory=lambda: dict(DEFAULT_SEGMENT_WEIGHTS)
    )
    tier_weights: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_TIER_WEIGHTS))
    level_weights: Mapping[int, float] = field(default_factory=lambda: dict(DEFAULT_LEVEL_WEIGHTS))
    sla_weight: float = 30.0
    sla_horizon_minutes: float = 60.0
    aging_per_minute: float = 1.0
    max_wait_minutes: float = 120.0


@dataclass(frozen=True)
class ConversationFacts:
    conversation_id: int
    channel: str
    purpose: str
    waiting_since: datetime  # since when the customer waits (or the conversation exists)
    segment: str = ""  # Customer.standing: prospect, new, loyal or customer
    tier: str = ""
    level: int = 2
    due_at: datetime | None = None  # when the answer is due (the SLA target)


def waited_minutes(facts: ConversationFacts, now: datetime) -> float:
    return minutes_since(facts.waiting_since, now)


def sla_pressure(facts: ConversationFacts, weights: PriorityWeights, now: datetime) -> float:
    """0 while the due time is beyond the horizon, rising to `sla_weight` at the due time
    and staying there once it is late. Never falls as `now` advances."""
    if facts.due_at is None or weights.sla_weight <= 0:
        return 0.0
    left = (facts.due_at - now).total_seconds() / 60.0
    horizon = max(weights.sla_horizon_minutes, 1e-9)
    urgency = min(1.0, max(0.0, 1.0 - left / horizon))
    return weights.sla_weight * urgency


def score_parts(
    facts: ConversationFacts, weights: PriorityWeights, now: datetime
) -> dict[str, float]:
    """Each part of the score by name, for explanations and the equity report."""
    return {
        "kind": float(weights.kind_weights.get(work_kind(facts.channel), 0.0)),
        "purpose": float(weights.purpose_weights.get(facts.purpose, 0.0)),
        "segment": float(weights.segment_weights.get(facts.segment, 0.0)),
        "tier": float(weights.tier_weights.get(facts.tier, 0.0)) if facts.tier else 0.0,
        "level": float(weights.level_weights.get(facts.level, 0.0)),
        "sla": sla_pressure(facts, weights, now),
        "aging": waited_minutes(facts, now) * max(0.0, weights.aging_per_minute),
    }


def priority_score(facts: ConversationFacts, weights: PriorityWeights, now: datetime) -> float:
    return sum(score_parts(facts, weights, now).values())


def is_past_max_wait(facts: ConversationFacts, weights: PriorityWeights, now: datetime) -> bool:
    return is_overdue(waited_minutes(facts, now), weights.max_wait_minutes)


def order_conversations(
    conversations: Iterable[ConversationFacts], weights: PriorityWeights, now: datetime
) -> list[ConversationFacts]:
    """Who is served first: past the maximum wait (longest first), then by score."""
    items = list(conversations)
    overdue = [c for c in items if is_past_max_wait(c, weights, now)]
    others = [c for c in items if not is_past_max_wait(c, weights, now)]
    overdue.sort(key=lambda c: fifo_key(c.waiting_since, c.conversation_id))
    others.sort(
        key=lambda c: rank_key(priority_score(c, weights, now), c.waiting_since, c.conversation_id)
    )
    return overdue + others


def is_priority_customer(facts: ConversationFacts, weights: PriorityWeights) -> bool:
    """The policy favours this customer for who they are: a membership tier with a positive
    weight, or the loyal segment with a positive weight."""
    if facts.tier and weights.tier_weights.get(facts.tier, 0.0) > 0:
        return True
    return facts.segment == "loyal" and weights.segment_weights.get("loyal", 0.0) > 0
