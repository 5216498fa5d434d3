"""Who is called next at a branch counter: a pure function of the queue and the policy.

No database, no Django: the branch actions load the waiting visitors into `Candidate`s and
the policy into `PolicyWeights`, and this module decides. The same scoring idea (waiting
time aging plus weights, with a hard bound on waiting) is what conversation routing uses:
waiting time, the bound and the tie order come from `fairness`, shared with `priority`.

Rules, in order:
1. Anyone who has waited `max_wait_minutes` or more is called first; among them the longest
   waiting first. Weight never starves anyone beyond that bound.
2. With a ratio (e.g. 1 priority : 2 normal), the turn decides whether a priority visitor or
   a normal one is called, when both kinds are waiting.
3. Otherwise the highest score wins: minutes waited x aging + purpose, service, category and
   tier weights + the staff member's skill level x skill weight.
4. Equal scores: strictly first come, first served (`queue_since`, then ticket id). Sorting
   is done here in Python, so SQLite and PostgreSQL give the same order.
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from layani.routing.fairness import fifo_key, is_overdue, minutes_since, rank_key

PRIORITY = "priority"
NORMAL = "normal"


@dataclass(frozen=True)
class Candidate:
    visit_id: int
    service_code: str
    purpose: str
    queue_since: datetime
    category: str = ""  # elderly / disabled / pregnant / appointment, or ""
    tier: str = ""  # the customer's membership tier, or ""


@dataclass(frozen=True)
class PolicyWeights:
    purpose_weights: Mapping[str, float] = field(default_factory=dict)
    service_weights: Mapping[str, float] = field(default_factory=dict)
    category_weights: Mapping[str, float] = field(default_factory=dict)
    skill_weight: float = 1.0
    aging_per_minute: float = 1.0
    max_wait_minutes: float = 45.0
    ratio_normal: int = 0
    ratio_priority: int = 1


@dataclass(frozen=True)
class Decision:
    visit_id: int
    score: float
    group: str  # PRIORITY or NORMAL
    reason: str  # "max_wait", "ratio", "score"
    next_ratio_position: int


def category_weight(candidate: Candidate, policy: PolicyWeights) -> float:
    weight = policy.category_weights.get(candidate.category, 0.0) if candidate.category else 0.0
    if candidate.tier:
        weight += policy.category_weights.get(f"tier_{candidate.tier}", 0.0)
    return float(weight)


def is_priority(candidate: Candidate, policy: PolicyWeights) -> bool:
    """Priority visitors are those the policy gives a positive category or tier weight."""
    return category_weight(candidate, policy) > 0


def waited_minutes(candidate: Candidate, now: datetime) -> float:
    return minutes_since(candidate.queue_since, now)


def score(
    candidate: Candidate,
    policy: PolicyWeights,
    now: datetime,
    skill_levels: Mapping[str, int],
) -> float:
    return (
        waited_minutes(candidate, now) * policy.aging_per_minute
        + float(policy.purpose_weights.get(candidate.purpose, 0.0))
        + float(policy.service_weights.get(candidate.service_code, 0.0))
        + category_weight(candidate, policy)
        + skill_levels.get(candidate.service_code, 0) * policy.skill_weight
    )


def _fifo_key(candidate: Candidate) -> tuple[datetime, int]:
    return fifo_key(candidate.queue_since, candidate.visit_id)


def _best(
    candidates: Sequence[Candidate],
    policy: PolicyWeights,
    now: datetime,
    skill_levels: Mapping[str, int],
) -> tuple[Candidate, float]:
    scored = [(score(c, policy, now, skill_levels), c) for c in candidates]
    # Highest score first; among equal scores the earliest arrival, then the lowest id.
    best_score, best = min(
        scored, key=lambda pair: rank_key(pair[0], pair[1].queue_since, pair[1].visit_id)
    )
    return best, best_score


def ratio_turn(position: int, policy: PolicyWeights) -> str:
    """Whose turn it is in the cycle: the first `ratio_priority` calls, then the normal ones."""
    cycle = policy.ratio_priority + policy.ratio_normal
    return PRIORITY if position % cycle < policy.ratio_priority else NORMAL


def choose_next(
    candidates: Iterable[Candidate],
    policy: PolicyWeights,
    now: datetime,
    *,
    skill_levels: Mapping[str, int] | None = None,
    ratio_position: int = 0,
) -> Decision | None:
    """The visitor to call now, or None when nobody is waiting for this counter."""
    waiting = list(candidates)
    if not waiting:
        return None
    skills = skill_levels or {}
    using_ratio = policy.ratio_normal > 0 and policy.ratio_priority > 0
    cycle = policy.ratio_priority + policy.ratio_normal if using_ratio else 1

    def decide(chosen: Candidate, chosen_score: float, reason: str) -> Decision:
        group = PRIORITY if is_priority(chosen, policy) else NORMAL
        next_position = ratio_position
        # The cycle advances only on the kind of call it expected; an out-of-turn call
        # (nobody of that kind waiting, or a maximum-wait call) keeps the turn.
        if using_ratio and group == ratio_turn(ratio_position, policy):
            next_position = (ratio_position + 1) % cycle
        return Decision(chosen.visit_id, chosen_score, group, reason, next_position)

    overdue = [c for c in waiting if is_overdue(waited_minutes(c, now), policy.max_wait_minutes)]
    if overdue:
        chosen = min(overdue, key=_fifo_key)
        return decide(chosen, score(chosen, policy, now, skills), "max_wait")

    if using_ratio:
        priority = [c for c in waiting if is_priority(c, policy)]
        normal = [c for c in waiting if not is_priority(c, policy)]
        if priority and normal:
            pool = priority if ratio_turn(ratio_position, policy) == PRIORITY else normal
            chosen, chosen_score = _best(pool, policy, now, skills)
            return decide(chosen, chosen_score, "ratio")

    chosen, chosen_score = _best(waiting, policy, now, skills)
    return decide(chosen, chosen_score, "score")


def order_queue(
    candidates: Iterable[Candidate],
    policy: PolicyWeights,
    now: datetime,
    *,
    skill_levels: Mapping[str, int] | None = None,
    ratio_position: int = 0,
) -> list[Candidate]:
    """The whole queue in the order it would be called if nothing else changed."""
    remaining = {c.visit_id: c for c in candidates}
    ordered: list[Candidate] = []
    position = ratio_position
    while remaining:
        decision = choose_next(
            remaining.values(), policy, now, skill_levels=skill_levels, ratio_position=position
        )
        assert decision is not None
        ordered.append(remaining.pop(decision.visit_id))
        position = decision.next_ratio_position
    return ordered
