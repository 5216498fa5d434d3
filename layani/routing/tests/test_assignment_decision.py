"""The assignment decision (pure): capacity, status, hours, skills, round robin, least
loaded, paused teams and continuity. Hypothesis checks that capacity is never exceeded."""

from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from layani.routing.assignment import (
    ASSIGNED,
    BROKEN,
    HELD,
    HONOURED,
    LEAST_LOADED,
    OFFLINE,
    ONLINE,
    PAUSED,
    QUEUED,
    ROUND_ROBIN,
    WAITING,
    Agent,
    ContinuityTarget,
    Request,
    SkillRequirement,
    TeamSettings,
    capacity_for,
    decide,
    unavailability,
    work_kind,
)

NOW = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)
COMPLAINT = SkillRequirement("purpose", "complaint", 3)


def agent(n, **values):
    values.setdefault("status", ONLINE)
    values.setdefault("capacity", {"phone": 1, "chat": 3, "email": 10})
    return Agent(staff_id=n, name=f"Agent {n}", **values)


def request(channel="whatsapp", **values):
    return Request(conversation_id=1, channel=channel, **values)


def test_kinds_of_work_and_capacity():
    assert [work_kind(c) for c in ("phone", "callback", "whatsapp", "webchat", "email")] == [
        "phone",
        "phone",
        "chat",
        "chat",
        "email",
    ]
    assert capacity_for({"chat": 5}, "chat") == 5
    assert capacity_for({"call": 2}, "phone") == 2
    assert capacity_for({}, "email") == 10
    assert capacity_for({"chat": 5}, "chat", {"chat": 2}) == 2


def test_only_online_agents_within_hours_with_skills_and_room_are_available():
    req = request(required_skills=(COMPLAINT,))
    skilled = {("purpose", "complaint"): 4}
    assert unavailability(agent(1, skills=skilled), req) is None
    assert unavailability(agent(1, skills=skilled, status="away"), req) == "away"
    assert unavailability(agent(1, skills=skilled, within_hours=False), req) == "outside_hours"
    assert unavailability(agent(1, skills={("purpose", "complaint"): 2}), req) == "missing_skill"
    assert unavailability(agent(1, skills=skilled, load={"chat": 3}), req) == "at_capacity"
    assert unavailability(agent(1, skills=skilled, is_active=False), req) == "inactive"
    assert unavailability(agent(1, skills=skilled, in_team=False), req) == "not_in_team"
    # A full phone line leaves room for chats.
    assert unavailability(agent(1, skills=skilled, load={"phone": 1}), req) is None


agent_states = st.builds(
    lambda n, status, load, cap, hours, skill: agent(
        n,
        status=status,
        load={"chat": load},
        capacity={"chat": cap},
        within_hours=hours,
        skills={("purpose", "complaint"): skill} if skill else {},
    ),
    st.integers(1, 10_000),
    st.sampled_from([ONLINE, ONLINE, ONLINE, "away", "on_break", OFFLINE]),
    st.integers(0, 5),
    st.integers(0, 5),
    st.booleans(),
    st.integers(0, 5),
)


@settings(max_examples=400, deadline=None)
@given(
    st.lists(agent_states, min_size=0, max_size=30, unique_by=lambda a: a.staff_id),
    st.sampled_from([ROUND_ROBIN, LEAST_LOADED]),
    st.booleans(),
    st.one_of(st.none(), st.integers(1, 10_000)),
)
def test_whoever_is_chosen_is_online_in_hours_skilled_and_below_capacity(
    agents, mode, needs_skill, pointer
):
    req = request(required_skills=(COMPLAINT,) if needs_skill else ())
    decision = decide(req, agents, TeamSettings(mode=mode, pointer=pointer), NOW)
    if decision.outcome == QUEUED:
        assert all(unavailability(a, req) is not None for a in agents)
        return
    assert decision.outcome == ASSIGNED
    chosen = next(a for a in agents if a.staff_id == decision.staff_id)
    assert chosen.status == ONLINE and chosen.within_hours
    assert chosen.load.get("chat", 0) < chosen.capacity["chat"]
    assert (
        decision.load == chosen.load.get("chat", 0) and decision.capacity == chosen.capacity["chat"]
    )
    if needs_skill:
        assert chosen.skills[("purpose", "complaint")] >= 3


@settings(max_examples=300, deadline=None)
@given(
    st.lists(agent_states, min_size=1, max_size=12, unique_by=lambda a: a.staff_id),
    st.data(),
    st.sampled_from([ROUND_ROBIN, LEAST_LOADED]),
    st.integers(0, 30),
    st.sampled_from(["preferred", "recent"]),
)
def test_nobody_outside_the_team_is_ever_given_the_conversation(
    agents, data, mode, wait_minutes, source
):
    outsiders = data.draw(st.sets(st.sampled_from([a.staff_id for a in agents])))
    agents = [replace(a, in_team=a.staff_id not in outsiders) for a in agents]
    person = data.draw(st.sampled_from([a.staff_id for a in agents]))
    req = request(continuity=ContinuityTarget(staff_id=person, source=source))
    settings_ = TeamSettings(mode=mode, continuity_wait_minutes=wait_minutes)
    decision = decide(req, agents, settings_, NOW)
    if decision.staff_id is not None:
        assert decision.staff_id not in outsiders
    if person in outsiders:
        assert decision.continuity == BROKEN and decision.continuity_reason == "not_in_team"
        assert decision.outcome != HELD


def assign_many(agents, count, mode, channel="whatsapp"):
    """Assign `count` conversations one after the other, updating loads and the pointer
    the way auto_assign does."""
    agents = {a.staff_id: a for a in agents}
    settings_ = TeamSettings(mode=mode)
    given_to = []
    for n in range(count):
        decision = decide(
            Request(conversation_id=n, channel=channel), agents.values(), settings_, NOW
        )
        if decision.outcome != ASSIGNED:
            given_to.append(None)
            continue
        chosen = agents[decision.staff_id]
        kind = work_kind(channel)
        agents[chosen.staff_id] = replace(
            chosen,
            load={**chosen.load, kind: chosen.load.get(kind, 0) + 1},
            last_assigned_at=NOW + timedelta(seconds=n),
        )
        settings_ = replace(settings_, pointer=decision.next_pointer)
        given_to.append(decision.staff_id)
    return given_to, agents


def test_round_robin_is_even():
    agents = [agent(n, capacity={"email": 100}) for n in (7, 3, 12)]
    given_to, _ = assign_many(agents, 30, ROUND_ROBIN, channel="email")
    assert given_to[:4] == [3, 7, 12, 3]
    assert Counter(given_to) == {3: 10, 7: 10, 12: 10}


def test_round_robin_skips_who_is_full_and_never_overfills():
    agents = [agent(1, capacity={"chat": 1}), agent(2, capacity={"chat": 3})]
    given_to, final = assign_many(agents, 6, ROUND_ROBIN)
    assert given_to == [1, 2, 2, 2, None, None]
    assert final[1].load["chat"] == 1 and final[2].load["chat"] == 3


def test_least_loaded_picks_the_lowest_ratio_then_the_longest_idle():
    busy = agent(1, load={"chat": 2}, capacity={"chat": 3})  # 0.67
    half = agent(
        2, load={"chat": 2}, capacity={"chat": 4}, last_assigned_at=NOW - timedelta(hours=1)
    )  # 0.5, like 3 and 4, but 3 has waited longer since its last conversation
    idle_long = agent(
        3, load={"chat": 1}, capacity={"chat": 2}, last_assigned_at=NOW - timedelta(hours=2)
    )
    idle_short = agent(4, load={"chat": 1}, capacity={"chat": 2}, last_assigned_at=NOW)
    settings_ = TeamSettings(mode=LEAST_LOADED)
    decision = decide(request(), [busy, half, idle_short, idle_long], settings_, NOW)
    assert decision.staff_id == 3 and decision.method == LEAST_LOADED
    decision = decide(request(), [busy, half], settings_, NOW)
    assert decision.staff_id == 2
    never_assigned = agent(6, load={"chat": 1}, capacity={"chat": 2})
    decision = decide(request(), [idle_long, never_assigned], settings_, NOW)
    assert decision.staff_id == 6


def test_least_loaded_spreads_work_to_equal_ratios():
    agents = [agent(1, capacity={"chat": 2}), agent(2, capacity={"chat": 4})]
    _given, final = assign_many(agents, 6, LEAST_LOADED)
    assert final[1].load["chat"] == 2 and final[2].load["chat"] == 4


def test_a_paused_team_assigns_nothing():
    decision = decide(request(), [agent(1)], TeamSettings(paused=True), NOW)
    assert decision.outcome == PAUSED and decision.staff_id is None


def test_capacity_overrides_of_the_team_apply():
    two_chats = agent(1, load={"chat": 2}, capacity={"chat": 5})
    decision = decide(request(), [two_chats], TeamSettings(capacity_overrides={"chat": 2}), NOW)
    assert decision.outcome == QUEUED and decision.unavailable == {"at_capacity": 1}


def test_continuity_honoured_when_the_person_is_available():
    sari = agent(5)
    target = ContinuityTarget(staff_id=5, source="preferred")
    decision = decide(request(continuity=target), [agent(1), sari], TeamSettings(pointer=1), NOW)
    assert decision.outcome == ASSIGNED and decision.staff_id == 5
    assert decision.continuity == HONOURED and decision.method == "continuity"
    # Continuity does not move the round-robin pointer.
    assert decision.next_pointer == 1


def test_continuity_never_takes_a_conversation_out_of_its_team():
    outsider = agent(9, in_team=False)
    decision = decide(request(), [agent(1), outsider], TeamSettings(pointer=1), NOW)
    assert decision.staff_id == 1
    target = ContinuityTarget(staff_id=9, source="recent")
    decision = decide(request(continuity=target), [agent(1), outsider], TeamSettings(), NOW)
    assert decision.outcome == ASSIGNED and decision.staff_id == 1
    assert decision.continuity == BROKEN and decision.continuity_reason == "not_in_team"
    # Waiting for them would never end: the team does not hold it for an outsider.
    waits = TeamSettings(continuity_wait_minutes=30)
    decision = decide(request(continuity=target), [agent(1), outsider], waits, NOW)
    assert decision.outcome == ASSIGNED and decision.staff_id == 1
    # Nobody of the team online: it waits with the team, still not given to the outsider.
    decision = decide(request(continuity=target), [outsider], waits, NOW)
    assert decision.outcome == QUEUED and decision.staff_id is None
    assert decision.continuity == BROKEN


def test_continuity_breaks_at_once_without_a_wait_and_says_why():
    away = agent(5, status="away")
    target = ContinuityTarget(staff_id=5, source="preferred")
    decision = decide(request(continuity=target), [agent(1), away], TeamSettings(), NOW)
    assert decision.outcome == ASSIGNED and decision.staff_id == 1
    assert decision.continuity == BROKEN and decision.continuity_reason == "away"


def test_continuity_waits_then_breaks_after_the_deadline():
    full = agent(5, load={"chat": 3})
    target = ContinuityTarget(staff_id=5, source="recent")
    settings_ = TeamSettings(continuity_wait_minutes=10)
    decision = decide(request(continuity=target), [agent(1), full], settings_, NOW)
    assert decision.outcome == HELD and decision.continuity == WAITING
    assert decision.hold_until == NOW + timedelta(minutes=10)
    assert decision.continuity_reason == "at_capacity"
    held = replace(target, hold_until=decision.hold_until)
    later = decide(
        request(continuity=held), [agent(1), full], settings_, NOW + timedelta(minutes=5)
    )
    assert later.outcome == HELD
    expired = decide(
        request(continuity=held), [agent(1), full], settings_, NOW + timedelta(minutes=10)
    )
    assert expired.outcome == ASSIGNED and expired.staff_id == 1 and expired.continuity == BROKEN


def test_continuity_never_waits_for_someone_who_cannot_take_it():
    unskilled = agent(5)
    target = ContinuityTarget(staff_id=5, source="preferred")
    skilled = agent(1, skills={("purpose", "complaint"): 3})
    decision = decide(
        request(required_skills=(COMPLAINT,), continuity=target),
        [skilled, unskilled],
        TeamSettings(continuity_wait_minutes=30),
        NOW,
    )
    assert decision.outcome == ASSIGNED and decision.staff_id == 1
    assert decision.continuity == BROKEN and decision.continuity_reason == "missing_skill"


def test_a_person_no_longer_there_breaks_continuity():
    target = ContinuityTarget(staff_id=404, source="recent")
    decision = decide(
        request(continuity=target), [agent(1)], TeamSettings(continuity_wait_minutes=5), NOW
    )
    assert decision.staff_id == 1 and decision.continuity_reason == "inactive"


def test_nobody_available_waits_with_the_reasons():
    agents = [agent(1, status="away"), agent(2, load={"chat": 3}), agent(3, load={"chat": 3})]
    decision = decide(request(), agents, TeamSettings(), NOW)
    assert decision.outcome == QUEUED
    assert decision.unavailable == {"away": 1, "at_capacity": 2}
