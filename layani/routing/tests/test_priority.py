"""The conversation priority score and its fair order (pure; Hypothesis properties)."""

from datetime import UTC, datetime, timedelta
from itertools import pairwise

from hypothesis import given, settings
from hypothesis import strategies as st

from layani.routing.priority import (
    ConversationFacts,
    PriorityWeights,
    is_past_max_wait,
    is_priority_customer,
    order_conversations,
    priority_score,
    score_parts,
)
from layani.routing.queue_policy import Candidate, PolicyWeights, order_queue

NOW = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)
CHANNELS = ["phone", "whatsapp", "webchat", "email", "telegram", "portal"]
PURPOSES = ["routine", "complaint", "special_request", "prospect"]
SEGMENTS = ["prospect", "new", "loyal", "customer", ""]
TIERS = ["", "", "silver", "gold", "platinum"]


def facts(n=1, *, waited=0, **values):
    return ConversationFacts(
        conversation_id=n,
        channel=values.pop("channel", "email"),
        purpose=values.pop("purpose", "routine"),
        waiting_since=NOW - timedelta(minutes=waited),
        **values,
    )


weights_strategy = st.builds(
    PriorityWeights,
    kind_weights=st.fixed_dictionaries(
        {k: st.integers(0, 50) for k in ["phone", "chat", "email", "in_person"]}
    ),
    purpose_weights=st.fixed_dictionaries({p: st.integers(0, 40) for p in PURPOSES}),
    segment_weights=st.fixed_dictionaries({s: st.integers(0, 30) for s in SEGMENTS if s}),
    tier_weights=st.fixed_dictionaries({t: st.integers(0, 20) for t in TIERS if t}),
    level_weights=st.fixed_dictionaries({lv: st.integers(-20, 60) for lv in (1, 2, 3, 4)}),
    sla_weight=st.floats(0, 60),
    sla_horizon_minutes=st.floats(1, 240),
    aging_per_minute=st.floats(0, 3),
    max_wait_minutes=st.integers(5, 240),
)


@st.composite
def conversation_facts(draw, n=1):
    waited = draw(st.integers(0, 600))
    due_in = draw(st.one_of(st.none(), st.integers(-600, 24 * 60)))
    return ConversationFacts(
        conversation_id=n,
        channel=draw(st.sampled_from(CHANNELS)),
        purpose=draw(st.sampled_from(PURPOSES)),
        waiting_since=NOW - timedelta(minutes=waited),
        segment=draw(st.sampled_from(SEGMENTS)),
        tier=draw(st.sampled_from(TIERS)),
        level=draw(st.integers(1, 4)),
        due_at=None if due_in is None else NOW + timedelta(minutes=due_in),
    )


@st.composite
def queues(draw, max_size=25):
    size = draw(st.integers(1, max_size))
    return [draw(conversation_facts(n=i + 1)) for i in range(size)]


@settings(max_examples=300, deadline=None)
@given(conversation_facts(), weights_strategy, st.integers(0, 24 * 60), st.integers(0, 24 * 60))
def test_the_score_never_falls_while_a_conversation_waits(item, weights, a, b):
    earlier, later = NOW + timedelta(minutes=min(a, b)), NOW + timedelta(minutes=max(a, b))
    assert priority_score(item, weights, later) >= priority_score(item, weights, earlier) - 1e-9


@settings(max_examples=300, deadline=None)
@given(conversation_facts(), weights_strategy, st.integers(0, 600))
def test_of_two_equal_conversations_the_one_waiting_longer_scores_at_least_as_high(
    item, weights, extra
):
    longer = ConversationFacts(
        **{**vars(item), "waiting_since": item.waiting_since - timedelta(minutes=extra)}
    )
    assert priority_score(longer, weights, NOW) >= priority_score(item, weights, NOW)


@settings(max_examples=300, deadline=None)
@given(queues(), weights_strategy)
def test_fairness_bound_whoever_waited_the_maximum_goes_before_everybody_else(queue, weights):
    ordered = order_conversations(queue, weights, NOW)
    assert sorted(c.conversation_id for c in ordered) == sorted(c.conversation_id for c in queue)
    overdue = [is_past_max_wait(c, weights, NOW) for c in ordered]
    # All the overdue first (True before False), longest waiting first among them.
    assert overdue == sorted(overdue, reverse=True)
    heads = [c for c in ordered if is_past_max_wait(c, weights, NOW)]
    assert [c.waiting_since for c in heads] == sorted(c.waiting_since for c in heads)


@settings(max_examples=200, deadline=None)
@given(queues(), weights_strategy)
def test_below_the_bound_the_order_is_by_score_then_first_come(queue, weights):
    rest = [
        c for c in order_conversations(queue, weights, NOW) if not is_past_max_wait(c, weights, NOW)
    ]
    scores = [round(priority_score(c, weights, NOW), 9) for c in rest]
    assert scores == sorted(scores, reverse=True)
    for first, second in pairwise(rest):
        if round(priority_score(first, weights, NOW), 9) == round(
            priority_score(second, weights, NOW), 9
        ):
            assert (first.waiting_since, first.conversation_id) <= (
                second.waiting_since,
                second.conversation_id,
            )


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(0, 300), min_size=1, max_size=20), st.integers(5, 120))
def test_the_bound_means_the_same_as_at_the_branch_counter(waits, max_wait):
    """With only waiting time to go by, a branch queue and an inbox put the same people
    first: the shared `fairness` rules (bound, then score, then first come)."""
    conversations = [
        ConversationFacts(
            conversation_id=i + 1,
            channel="email",
            purpose="routine",
            waiting_since=NOW - timedelta(minutes=w),
        )
        for i, w in enumerate(waits)
    ]
    visitors = [
        Candidate(
            visit_id=i + 1,
            service_code="bayar",
            purpose="routine",
            queue_since=NOW - timedelta(minutes=w),
        )
        for i, w in enumerate(waits)
    ]
    inbox = order_conversations(
        conversations,
        PriorityWeights(
            kind_weights={},
            purpose_weights={},
            segment_weights={},
            tier_weights={},
            level_weights={},
            sla_weight=0,
            max_wait_minutes=max_wait,
        ),
        NOW,
    )
    branch = order_queue(visitors, PolicyWeights(max_wait_minutes=max_wait), NOW)
    assert [c.conversation_id for c in inbox] == [v.visit_id for v in branch]


def test_a_complaint_on_the_phone_comes_before_a_routine_email():
    weights = PriorityWeights()
    call = facts(1, channel="phone", purpose="complaint")
    mail = facts(2, channel="email", purpose="routine", waited=10)
    assert order_conversations([mail, call], weights, NOW)[0] is call
    parts = score_parts(call, weights, NOW)
    assert parts["kind"] == 30 and parts["purpose"] == 25


def test_chat_counts_as_a_time_sensitive_channel():
    weights = PriorityWeights()
    assert priority_score(facts(channel="whatsapp"), weights, NOW) > priority_score(
        facts(channel="email"), weights, NOW
    )


def test_the_business_decides_how_much_a_member_counts_against_a_prospect():
    member = facts(1, segment="loyal", tier="gold")
    prospect = facts(2, segment="prospect")
    loyal_first = PriorityWeights()
    assert order_conversations([prospect, member], loyal_first, NOW)[0] is member
    prospects_first = PriorityWeights(segment_weights={"prospect": 40}, tier_weights={})
    assert order_conversations([member, prospect], prospects_first, NOW)[0] is prospect
    assert is_priority_customer(member, loyal_first)
    assert not is_priority_customer(member, prospects_first)


def test_sla_pressure_rises_towards_the_due_time_and_stays_once_late():
    weights = PriorityWeights(sla_weight=30, sla_horizon_minutes=60)
    far = facts(due_at=NOW + timedelta(hours=3))
    half = facts(due_at=NOW + timedelta(minutes=30))
    late = facts(due_at=NOW - timedelta(minutes=5))
    assert score_parts(far, weights, NOW)["sla"] == 0
    assert score_parts(half, weights, NOW)["sla"] == 15
    assert score_parts(late, weights, NOW)["sla"] == 30


def test_past_the_maximum_wait_a_routine_email_goes_before_an_urgent_complaint_call():
    weights = PriorityWeights(max_wait_minutes=60)
    old_email = facts(1, channel="email", waited=61)
    urgent = facts(2, channel="phone", purpose="complaint", level=4, segment="loyal")
    assert priority_score(urgent, weights, NOW) > priority_score(old_email, weights, NOW)
    assert order_conversations([urgent, old_email], weights, NOW)[0] is old_email
