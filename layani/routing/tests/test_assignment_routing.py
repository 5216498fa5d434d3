"""Auto-assignment against the database: rules send conversations to teams, agents get them
by round robin or least load within capacity, continuity is kept or its break recorded,
and every decision is explained on the timeline."""

import logging
import re
from datetime import time, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from layani.conversations.actions import assign, change_purpose, change_status
from layani.conversations.event_display import describe_event
from layani.conversations.models import Conversation, EventKind, TimelineEvent
from layani.routing.assignment import QUEUED
from layani.routing.auto_assign import (
    POOL,
    assign_waiting,
    release_due_holds,
    route_conversation,
)
from layani.routing.models import (
    AssignmentHold,
    ContinuityRecord,
    PriorityPolicy,
    RoutingRule,
    TeamAssignment,
)
from layani.routing.tests.assignment_world import (
    in_team,
    make_agent,
    make_customer,
    make_team,
    open_work,
    write_in,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def in_english():
    """Explanations are asserted in their English source; the Indonesian comes from the
    translation catalogue."""
    with translation.override("en"):
        yield


ROUTING_KINDS = (
    EventKind.ASSIGNED,
    EventKind.AUTO_ASSIGNED,
    EventKind.ROUTED,
    EventKind.ASSIGNMENT_HELD,
)


def continuity_rows(conversation):
    return list(
        TimelineEvent.objects.filter(
            conversation=conversation,
            kind__in=(EventKind.CONTINUITY_HONOURED, EventKind.CONTINUITY_BROKEN),
        ).order_by("id")
    )


def routing_rows(conversation):
    return list(
        TimelineEvent.objects.filter(conversation=conversation, kind__in=ROUTING_KINDS).order_by(
            "occurred_at", "id"
        )
    )


@pytest.fixture
def complaints():
    team = make_team("Keluhan")
    RoutingRule.objects.create(
        name="Keluhan kartu",
        position=10,
        team=team,
        keywords=["kartu hilang", "tdk bisa login"],
        required_skills=[{"kind": "purpose", "value": "complaint", "min_level": 3}],
    )
    return team


def test_a_rule_sends_the_conversation_to_its_team_and_a_skilled_agent_with_the_reason(
    complaints,
):
    make_agent(complaints, "Budi Tanpa Keahlian")
    sari = make_agent(complaints, "Sari", skills={("purpose", "complaint"): 4})
    customer = make_customer("Wulan", tier="gold")
    conversation = write_in(customer, text="Kartu saya hilang, tolong blokir")

    result = route_conversation(conversation)

    conversation.refresh_from_db()
    assert result.outcome == "assigned"
    assert conversation.team == complaints and conversation.assignee == sari
    assert result.rule_name == "Keluhan kartu"
    [row] = routing_rows(conversation)
    assert row.kind == EventKind.AUTO_ASSIGNED
    assert row.summary == "Sari · Keluhan"
    reason = row.details["reason"]
    assert reason == result.explanation
    assert reason.startswith("Assigned to Sari: ")
    for words in ("skill complaint", "load 1/3", "priority customer", "rule “Keluhan kartu”"):
        assert words in reason
    routing = row.details["routing"]
    assert routing["outcome"] == "assigned" and routing["load"] == 1 and routing["capacity"] == 3
    assert routing["skills"] == [["purpose", "complaint", 4]]


def test_a_rule_says_why_the_customer_came_before_anyone_is_chosen(
    complaints, office_calendar, make_policy
):
    """A keyword rule for complaint words makes a routine conversation a complaint: the
    complaint's SLA applies, the thread names the rule in the reader's language, and the
    purpose row comes before the assignment."""
    make_policy("Keluhan", purposes=["complaint"], first_response_minutes=15, order=10)
    make_policy("Standar", first_response_minutes=8 * 60, order=20)
    sari = make_agent(complaints, "Sari", skills={("purpose", "complaint"): 4})
    conversation = write_in(text="Kartu saya hilang, tolong blokir")
    routine_due = conversation.due_at
    # Given after it arrived (on arrival: channels' test_pipeline), so routing gives it.
    RoutingRule.objects.filter(name="Keluhan kartu").update(set_purpose="complaint")

    route_conversation(conversation)

    conversation.refresh_from_db()
    assert conversation.purpose == "complaint" and conversation.assignee == sari
    assert conversation.due_at < routine_due  # the complaint's 15 minutes, not 8 hours
    [changed] = TimelineEvent.objects.filter(
        conversation=conversation, kind=EventKind.PURPOSE_CHANGED
    )
    assert changed.actor is None
    assert changed.details["before"] == "routine" and changed.details["after"] == "complaint"
    assert describe_event(changed) == ("Routine → Complaint", "routing rule: Keluhan kartu")
    with translation.override("id"):
        assert describe_event(changed) == ("Rutin → Keluhan", "aturan perutean: Keluhan kartu")
    [assigned] = routing_rows(conversation)
    assert changed.id < assigned.id


def test_a_purpose_someone_chose_is_kept_and_a_dry_run_changes_none(complaints):
    make_agent(complaints, "Sari", skills={("purpose", "complaint"): 4})
    request = write_in(text="Kartu saya hilang, mohon kartu baru", purpose="special_request")
    routine = write_in(text="Kartu saya hilang")
    RoutingRule.objects.filter(name="Keluhan kartu").update(set_purpose="complaint")
    route_conversation(request)
    request.refresh_from_db()
    assert request.purpose == "special_request" and request.team == complaints

    assert route_conversation(routine, dry_run=True).purpose == "complaint"
    routine.refresh_from_db()
    assert routine.purpose == "routine"
    assert not TimelineEvent.objects.filter(kind=EventKind.PURPOSE_CHANGED).exists()

    # An agent who made the rule's complaint routine again is not overruled when the
    # conversation is routed again (it went back to the pool).
    route_conversation(routine)
    routine.refresh_from_db()
    assert routine.purpose == "complaint"
    change_purpose(routine, purpose="routine", reason="Hanya bertanya", actor=None)
    assign(routine, assignee=None, team=None, actor=None)
    route_conversation(routine)
    routine.refresh_from_db()
    assert routine.purpose == "routine" and routine.team == complaints


def test_a_rule_that_only_says_why_lets_the_next_rule_route_the_complaint(complaints):
    """ "kecewa" gives the purpose and no team; the complaints team's rule (for complaints
    only) then takes it, whether the purpose was given on arrival or by routing."""
    RoutingRule.objects.create(
        name="Kata kecewa", position=1, keywords=["kecewa"], set_purpose="complaint"
    )
    RoutingRule.objects.filter(name="Keluhan kartu").update(keywords=[], purposes=["complaint"])
    sari = make_agent(complaints, "Sari", skills={("purpose", "complaint"): 4})
    arrived = write_in(text="Saya kecewa dengan layanannya")
    assert arrived.purpose == "complaint"  # on arrival
    result = route_conversation(arrived)
    arrived.refresh_from_db()
    assert result.rule_name == "Keluhan kartu" and arrived.assignee == sari

    RoutingRule.objects.filter(name="Kata kecewa").update(is_active=False)
    later = write_in(text="Kecewa sekali, kartu terblokir")
    assert later.purpose == "routine"
    RoutingRule.objects.filter(name="Kata kecewa").update(is_active=True)
    result = route_conversation(later)  # the purpose given by routing, then routed on it
    later.refresh_from_db()
    assert later.purpose == "complaint" and later.team == complaints
    assert result.purpose == "complaint" and result.rule_name == "Keluhan kartu"


def test_a_rule_with_a_purpose_no_longer_known_never_refuses_a_message(complaints):
    records: list[logging.LogRecord] = []
    handler = logging.Handler(logging.WARNING)
    handler.emit = records.append  # type: ignore[method-assign]
    logger = logging.getLogger("layani.routing.auto_assign")
    logger.addHandler(handler)
    try:
        RoutingRule.objects.filter(name="Keluhan kartu").update(set_purpose="angry")
        conversation = write_in(text="Kartu saya hilang")  # stored, routine
        assert conversation.purpose == "routine"
        route_conversation(conversation)
    finally:
        logger.removeHandler(handler)
    conversation.refresh_from_db()
    assert conversation.purpose == "routine" and conversation.team == complaints
    assert "unknown purpose 'angry'" in records[0].getMessage()


def test_a_rule_without_a_team_still_says_why_and_leaves_it_in_the_pool():
    RoutingRule.objects.create(
        name="Calon nasabah", keywords=["buka rekening"], set_purpose="prospect"
    )
    conversation = write_in(text="Saya mau buka rekening baru")
    result = route_conversation(conversation)
    conversation.refresh_from_db()
    assert result.outcome == POOL and conversation.team is None
    assert conversation.purpose == "prospect"


def test_no_matching_rule_leaves_it_in_the_shared_pool(complaints):
    make_agent(complaints, "Sari", skills={("purpose", "complaint"): 4})
    conversation = write_in(text="Mau tanya jam buka")
    result = route_conversation(conversation)
    conversation.refresh_from_db()
    assert result.outcome == POOL
    assert conversation.team is None and conversation.assignee is None
    assert routing_rows(conversation) == []


def test_a_conversation_that_has_a_team_is_assigned_within_it():
    team = make_team("Contact centre")
    ayu = make_agent(team, "Ayu")
    conversation = in_team(write_in(), team)
    assert route_conversation(conversation).assignee_id == ayu.pk
    conversation.refresh_from_db()
    assert conversation.assignee == ayu


def test_capacity_is_never_exceeded_and_the_rest_waits_with_the_team():
    team = make_team("Chat")
    ayu = make_agent(team, "Ayu", capacity={"chat": 2, "email": 1})
    dewi = make_agent(team, "Dewi", capacity={"chat": 1, "email": 0})
    chats = [in_team(write_in(), team) for _ in range(5)]
    outcomes = [route_conversation(c).outcome for c in chats]
    assert outcomes == ["assigned", "assigned", "assigned", QUEUED, QUEUED]
    assert open_work(ayu) == 2 and open_work(dewi) == 1
    waiting = Conversation.objects.get(pk=chats[3].pk)
    assert waiting.team == team and waiting.assignee is None
    # An email is another kind of work: Ayu has an email slot free (Dewi takes no email).
    email = in_team(write_in(channel="email"), team)
    assert route_conversation(email).assignee_id == ayu.pk
    # Resolving a chat frees a slot; the waiting ones are then assigned in order.
    change_status(chats[0], status="resolved", actor=None)
    assert assign_waiting(team.pk) == 1
    assert open_work(ayu) == 3  # two chats (one of them new) and the email


def test_round_robin_is_even_over_the_database():
    team = make_team("Email", mode="round_robin")
    agents = [make_agent(team, f"Agen {n}", capacity={"email": 50}) for n in range(3)]
    for _ in range(12):
        route_conversation(in_team(write_in(channel="email"), team))
    assert [open_work(a) for a in agents] == [4, 4, 4]
    first_three = Conversation.objects.filter(team=team).order_by("id")[:3]
    assert [c.assignee_id for c in first_three] == sorted(a.pk for a in agents)
    state = TeamAssignment.objects.get(pk=team.pk)
    assert state.pointer_staff_id == max(a.pk for a in agents)


def test_least_loaded_gives_work_to_the_lowest_load_ratio():
    team = make_team("Chat", mode="least_loaded")
    busy = make_agent(team, "Busy", capacity={"chat": 4})
    light = make_agent(team, "Light", capacity={"chat": 2})
    for _ in range(2):
        conversation = in_team(write_in(), team)
        Conversation.objects.filter(pk=conversation.pk).update(assignee=busy)
    # Busy 2/4 = 0.5, Light 0/2 = 0: Light, then 1/2 = 0.5 ties with Busy and Light was
    # given work last, so Busy (idle longer) is next.
    first = route_conversation(in_team(write_in(), team))
    second = route_conversation(in_team(write_in(), team))
    assert first.assignee_id == light.pk and "least loaded" in first.explanation
    assert second.assignee_id == busy.pk


def test_only_online_agents_within_working_hours_get_work():
    from layani.routing.agent_status import WeeklyInterval, set_working_hours

    team = make_team("Chat")
    make_agent(team, "Away", status="away")
    make_agent(team, "Offline", status="offline")
    night = make_agent(team, "Night")
    tomorrow = (timezone.localtime(timezone.now()).weekday() + 1) % 7
    set_working_hours(
        night, intervals=[WeeklyInterval(tomorrow, time(0), time(23, 59))], actor=None
    )
    result = route_conversation(in_team(write_in(), team))
    assert result.outcome == QUEUED
    assert "outside working hours" in result.explanation


def test_a_paused_team_assigns_nothing():
    team = make_team("Chat", is_paused=True)
    make_agent(team, "Ayu")
    conversation = in_team(write_in(), team)
    result = route_conversation(conversation)
    assert result.outcome == "paused"
    assert "paused" in result.explanation
    assert assign_waiting(team.pk) == 0
    assert Conversation.objects.get(pk=conversation.pk).assignee is None


def test_continuity_honoured_then_broken_with_a_recorded_reason():
    team = make_team("Chat", continuity_days=30)
    sari = make_agent(team, "Sari")
    budi = make_agent(team, "Budi")
    customer = make_customer()
    # First contact: Sari (round robin starts with the lowest id).
    first = in_team(write_in(customer, channel="whatsapp"), team)
    assert route_conversation(first).assignee_id == sari.pk
    # Next contact through another channel while she is online: Sari again, not round robin.
    again = in_team(write_in(customer, channel="email"), team)
    honoured = route_conversation(again)
    assert honoured.assignee_id == sari.pk
    assert "served this customer recently" in honoured.explanation
    [kept] = continuity_rows(again)
    assert kept.kind == EventKind.CONTINUITY_HONOURED
    assert kept.details["reason"] == "Sari again: served this customer recently."
    assert kept.details["staff"] == sari.pk and kept.details["source"] == "recent"
    # She goes on a break; the customer calls: Budi, and the break is recorded.
    from layani.routing.agent_status import set_agent_status

    set_agent_status(sari, status="on_break", actor=None)
    call = in_team(write_in(customer, channel="phone"), team)
    broken = route_conversation(call)
    assert broken.assignee_id == budi.pk
    assert "continuity broken: Sari on a break" in broken.explanation
    row = routing_rows(call)[-1]  # after the row of handing it to the team
    assert row.details["routing"]["continuity"] == "broken"
    assert row.details["routing"]["continuity_reason"] == "on_break"
    record = ContinuityRecord.objects.get(customer=customer)
    assert (record.honoured, record.broken, record.last_reason) == (1, 1, "on_break")
    [broke] = continuity_rows(call)
    assert broke.kind == EventKind.CONTINUITY_BROKEN
    assert broke.details["reason"] == (
        "Sari (served this customer recently) on a break: "
        "continuity broken for this customer 1 time."
    )
    assert (broke.details["why"], broke.details["broken_count"]) == ("on_break", 1)
    assert broke.details["assignee"] == budi.pk


def test_the_preferred_staff_member_comes_first():
    team = make_team("Chat")
    make_agent(team, "Ayu")
    preferred = make_agent(team, "Rina")
    customer = make_customer(preferred_staff=preferred)
    result = route_conversation(in_team(write_in(customer), team))
    assert result.assignee_id == preferred.pk
    assert "the customer's preferred staff member" in result.explanation


def test_continuity_waits_for_the_person_then_the_sweep_releases_it():
    team = make_team("Chat", continuity_wait_minutes=15)
    ayu = make_agent(team, "Ayu")
    rina = make_agent(team, "Rina", status="away")
    customer = make_customer(preferred_staff=rina)
    conversation = in_team(write_in(customer), team)
    held = route_conversation(conversation)
    assert held.outcome == "held"
    assert re.match(r"Held for Rina until \d\d\.\d\d WI[BTA] ", held.explanation), held.explanation
    hold = AssignmentHold.objects.get(conversation=conversation)
    assert hold.staff == rina and hold.source == "preferred"
    held_row = routing_rows(conversation)[-1]
    assert held_row.kind == EventKind.ASSIGNMENT_HELD
    assert held_row.details["routing"]["outcome"] == "held"
    # Other agents are free, but the conversation stays reserved until the deadline.
    assert assign_waiting(team.pk) == 0
    assert release_due_holds() == 0
    AssignmentHold.objects.filter(pk=hold.pk).update(until=timezone.now() - timedelta(seconds=1))
    assert release_due_holds() == 1
    conversation.refresh_from_db()
    assert conversation.assignee == ayu
    assert not AssignmentHold.objects.exists()
    assert ContinuityRecord.objects.get(customer=customer).broken == 1


def test_a_held_conversation_goes_to_its_person_when_they_come_back():
    from layani.routing.agent_status import set_agent_status

    team = make_team("Chat", continuity_wait_minutes=15)
    make_agent(team, "Ayu")
    rina = make_agent(team, "Rina", status="away")
    customer = make_customer(preferred_staff=rina)
    conversation = in_team(write_in(customer), team)
    assert route_conversation(conversation).outcome == "held"
    set_agent_status(rina, status="online", actor=None)
    assert assign_waiting(team.pk) == 1
    conversation.refresh_from_db()
    assert conversation.assignee == rina
    assert ContinuityRecord.objects.get(customer=customer).honoured == 1


def test_waiting_conversations_are_assigned_in_priority_order():
    team = make_team("Chat")
    PriorityPolicy.objects.create(purpose_weights={"complaint": 50}, kind_weights={})
    routine = in_team(write_in(text="tanya saldo"), team)
    complaint = in_team(write_in(text="kartu terblokir", purpose="complaint"), team)
    ayu = make_agent(team, "Ayu", capacity={"chat": 1})
    assert assign_waiting(team.pk) == 1
    assert Conversation.objects.get(pk=complaint.pk).assignee == ayu
    assert Conversation.objects.get(pk=routine.pk).assignee is None


def test_dry_run_explains_and_changes_nothing():
    team = make_team("Chat")
    make_agent(team, "Ayu")
    conversation = in_team(write_in(), team)
    before = TimelineEvent.objects.count()
    result = route_conversation(conversation, dry_run=True)
    assert result.outcome == "assigned" and result.explanation.startswith("Assigned to Ayu")
    assert Conversation.objects.get(pk=conversation.pk).assignee is None
    assert TimelineEvent.objects.count() == before


def test_an_assigned_or_closed_conversation_is_left_alone():
    team = make_team("Chat")
    make_agent(team, "Ayu")
    conversation = in_team(write_in(), team)
    route_conversation(conversation)
    assert route_conversation(conversation).outcome == "skipped"
    closed = in_team(write_in(), team)
    change_status(closed, status="closed", actor=None)
    assert route_conversation(closed).outcome == "skipped"


def test_a_customers_message_is_routed_after_it_is_stored(
    complaints, django_capture_on_commit_callbacks
):
    sari = make_agent(complaints, "Sari", skills={("purpose", "complaint"): 3})
    customer = make_customer()
    with django_capture_on_commit_callbacks(execute=True):
        conversation = write_in(customer, text="sy tdk bisa login ke aplikasi")
    conversation.refresh_from_db()
    assert conversation.team == complaints and conversation.assignee == sari


def test_the_decision_costs_the_same_number_of_queries_for_5_or_50_agents():
    def queries_for(agents: int) -> int:
        team = make_team(f"Team {agents}")
        for n in range(agents):
            make_agent(team, f"Agen {n}", skills={("purpose", "complaint"): 3})
        conversation = in_team(write_in(), team)
        with CaptureQueriesContext(connection) as captured:
            assert route_conversation(conversation).outcome == "assigned"
        return len(captured)

    assert queries_for(5) == queries_for(50)
