"""Properties of the call-next policy, checked over generated queues (no database)."""

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from layani.routing.queue_policy import (
    NORMAL,
    PRIORITY,
    Candidate,
    PolicyWeights,
    choose_next,
    is_priority,
    order_queue,
    waited_minutes,
)

NOW = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)
SERVICES = ["bayar", "kartu", "keluhan"]
PURPOSES = ["routine", "complaint", "special_request", "prospect"]
CATEGORIES = ["", "", "", "elderly", "pregnant", "appointment"]
TIERS = ["", "", "gold", "platinum"]


@st.composite
def candidates(draw, max_size=30):
    n = draw(st.integers(min_value=1, max_value=max_size))
    waits = draw(st.lists(st.integers(0, 120 * 60), min_size=n, max_size=n))
    return [
        Candidate(
            visit_id=i + 1,
            service_code=draw(st.sampled_from(SERVICES)),
            purpose=draw(st.sampled_from(PURPOSES)),
            queue_since=NOW - timedelta(seconds=w),
            category=draw(st.sampled_from(CATEGORIES)),
            tier=draw(st.sampled_from(TIERS)),
        )
        for i, w in enumerate(waits)
    ]


policies = st.builds(
    PolicyWeights,
    purpose_weights=st.fixed_dictionaries({p: st.integers(0, 30) for p in PURPOSES}),
    service_weights=st.fixed_dictionaries({s: st.integers(0, 30) for s in SERVICES}),
    category_weights=st.fixed_dictionaries(
        {
            "elderly": st.integers(0, 60),
            "pregnant": st.integers(0, 60),
            "appointment": st.integers(0, 60),
            "tier_gold": st.integers(0, 20),
            "tier_platinum": st.integers(0, 20),
        }
    ),
    skill_weight=st.floats(0, 5),
    aging_per_minute=st.floats(0, 3),
    max_wait_minutes=st.integers(5, 90),
    ratio_normal=st.integers(0, 3),
    ratio_priority=st.integers(1, 2),
)


@given(candidates(), policies, st.integers(0, 10))
def test_nobody_waits_past_the_bound_while_someone_fresher_is_called(queue, policy, position):
    decision = choose_next(queue, policy, NOW, ratio_position=position)
    assert decision is not None
    chosen = next(c for c in queue if c.visit_id == decision.visit_id)
    overdue = [c for c in queue if waited_minutes(c, NOW) >= policy.max_wait_minutes]
    if overdue:
        assert decision.reason == "max_wait"
        # The longest-waiting overdue visitor goes first.
        assert chosen.queue_since == min(c.queue_since for c in overdue)


@settings(max_examples=60)
@given(candidates(max_size=15), policies)
def test_every_visitor_is_called_within_the_bound_plus_the_queue_ahead(queue, policy):
    """Simulate calls one minute apart: once overdue, a visitor is next among the overdue."""
    remaining = list(queue)
    now = NOW
    position = 0
    while remaining:
        decision = choose_next(remaining, policy, now, ratio_position=position)
        assert decision is not None
        chosen = next(c for c in remaining if c.visit_id == decision.visit_id)
        older_overdue = [
            c
            for c in remaining
            if waited_minutes(c, now) >= policy.max_wait_minutes
            and c.queue_since < chosen.queue_since
        ]
        assert not older_overdue
        remaining.remove(chosen)
        position = decision.next_ratio_position
        now += timedelta(minutes=1)


@given(
    st.sampled_from(SERVICES),
    st.sampled_from(PURPOSES),
    st.sampled_from(CATEGORIES),
    st.sampled_from(TIERS),
    st.integers(0, 30 * 60),
    st.integers(1, 600),
    policies,
)
def test_among_equals_first_come_first_served(service, purpose, category, tier, wait, gap, policy):
    earlier = Candidate(2, service, purpose, NOW - timedelta(seconds=wait + gap), category, tier)
    later = Candidate(1, service, purpose, NOW - timedelta(seconds=wait), category, tier)
    flat = PolicyWeights(
        purpose_weights=policy.purpose_weights,
        service_weights=policy.service_weights,
        category_weights=policy.category_weights,
        aging_per_minute=0.0,  # same weights and no aging: the two are equals
        max_wait_minutes=policy.max_wait_minutes,
    )
    decision = choose_next([later, earlier], flat, NOW)
    assert decision is not None and decision.visit_id == 2


def test_same_arrival_falls_back_to_ticket_order():
    a = Candidate(5, "bayar", "routine", NOW)
    b = Candidate(3, "bayar", "routine", NOW)
    assert choose_next([a, b], PolicyWeights(), NOW).visit_id == 3


@given(st.integers(1, 3), st.integers(1, 2), st.integers(4, 12), st.integers(4, 12))
def test_ratio_is_honoured_while_both_kinds_wait(normal_n, priority_n, n_normal, n_priority):
    policy = PolicyWeights(
        category_weights={"elderly": 10},
        aging_per_minute=0.0,
        max_wait_minutes=10_000,
        ratio_normal=normal_n,
        ratio_priority=priority_n,
    )
    queue = [
        Candidate(
            i + 1,
            "bayar",
            "routine",
            NOW - timedelta(minutes=i),
            "elderly" if i < n_priority else "",
        )
        for i in range(n_priority + n_normal)
    ]
    ordered = order_queue(queue, policy, NOW)
    groups = [PRIORITY if is_priority(c, policy) else NORMAL for c in ordered]
    cycle = [PRIORITY] * priority_n + [NORMAL] * normal_n
    # While both kinds remain, the calls follow the cycle exactly.
    remaining = {PRIORITY: n_priority, NORMAL: n_normal}
    for call_number, group in enumerate(groups):
        if not remaining[PRIORITY] or not remaining[NORMAL]:
            break
        assert group == cycle[call_number % len(cycle)]
        remaining[group] -= 1


def test_without_a_ratio_priority_visitors_outrank_by_weight():
    policy = PolicyWeights(category_weights={"elderly": 20}, aging_per_minute=1.0)
    normal = Candidate(1, "bayar", "routine", NOW - timedelta(minutes=10))
    elderly = Candidate(2, "bayar", "routine", NOW - timedelta(minutes=2), "elderly")
    assert choose_next([normal, elderly], policy, NOW).visit_id == 2
    # Aging catches up: after 25 minutes the normal visitor outranks a fresh elderly one.
    normal_long = Candidate(1, "bayar", "routine", NOW - timedelta(minutes=25))
    assert choose_next([normal_long, elderly], policy, NOW).visit_id == 1


def test_staff_skill_pulls_their_strong_service_forward():
    policy = PolicyWeights(skill_weight=3.0, aging_per_minute=1.0)
    bayar = Candidate(1, "bayar", "routine", NOW - timedelta(minutes=5))
    kartu = Candidate(2, "kartu", "routine", NOW - timedelta(minutes=3))
    assert choose_next([bayar, kartu], policy, NOW, skill_levels={"kartu": 5}).visit_id == 2
    assert (
        choose_next([bayar, kartu], policy, NOW, skill_levels={"kartu": 1, "bayar": 1}).visit_id
        == 1
    )


def test_empty_queue_has_no_decision():
    assert choose_next([], PolicyWeights(), NOW) is None


def group_heads(queue):
    """The first arrival of each group of visitors who share every weighted attribute."""
    heads = {}
    for c in sorted(queue, key=lambda c: (c.queue_since, c.visit_id)):
        heads.setdefault((c.service_code, c.purpose, c.category, c.tier), c)
    return list(heads.values())


@given(candidates(), policies, st.integers(0, 10))
def test_deciding_on_group_heads_gives_the_same_call_as_the_whole_queue(queue, policy, position):
    """call_next only loads each group's head from the database; that must change nothing."""
    whole = choose_next(queue, policy, NOW, ratio_position=position)
    heads = choose_next(group_heads(queue), policy, NOW, ratio_position=position)
    assert whole == heads
