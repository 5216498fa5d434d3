"""Agent status and working hours: who may change them, the audit trail, handing on open
work when an agent goes offline, and waiting work assigned when someone comes online."""

from datetime import UTC, datetime, time

import pytest
from django.utils import translation

from layani.conversations.event_display import describe_event
from layani.conversations.models import Conversation, EventKind, TimelineEvent
from layani.core.errors import InvalidInput, PermissionDenied
from layani.routing.agent_status import (
    WeeklyInterval,
    set_agent_status,
    set_working_hours,
    within_working_hours,
)
from layani.routing.auto_assign import route_conversation
from layani.routing.models import AgentPresence, AgentStatusChange, WorkingHours
from layani.routing.tests.assignment_world import (
    in_team,
    make_agent,
    make_team,
    open_work,
    write_in,
)
from layani.staff.models import Role

# Monday 23 November 2026, 09:30 in Jakarta (02:30 UTC).
MONDAY_MORNING = datetime(2026, 11, 23, 2, 30, tzinfo=UTC)


@pytest.fixture(autouse=True)
def in_english():
    with translation.override("en"):
        yield


def test_working_hours_are_read_in_the_agents_time_zone():
    shift = [WeeklyInterval(0, time(8), time(12)), WeeklyInterval(0, time(13), time(17))]
    assert within_working_hours(shift, MONDAY_MORNING, "Asia/Jakarta")  # 09:30 WIB
    assert within_working_hours(shift, MONDAY_MORNING, "Asia/Jayapura")  # 11:30 WIT
    assert not within_working_hours(shift, MONDAY_MORNING, "Europe/London")  # 02:30
    assert within_working_hours([], MONDAY_MORNING, "Asia/Jakarta")  # no hours: no limit
    lunch = datetime(2026, 11, 23, 5, 30, tzinfo=UTC)  # 12:30 WIB
    assert not within_working_hours(shift, lunch, "Asia/Jakarta")
    tuesday = datetime(2026, 11, 24, 2, 30, tzinfo=UTC)
    assert not within_working_hours(shift, tuesday, "Asia/Jakarta")


@pytest.mark.django_db
def test_working_hours_are_replaced_and_checked():
    team = make_team("Chat")
    ayu = make_agent(team, "Ayu")
    set_working_hours(
        ayu,
        intervals=[WeeklyInterval(0, time(8), time(16)), WeeklyInterval(1, time(8), time(16))],
        timezone_name="Asia/Makassar",
        actor=ayu.user,
    )
    set_working_hours(ayu, intervals=[WeeklyInterval(2, time(9), time(17))], actor=ayu.user)
    assert list(WorkingHours.objects.filter(staff=ayu).values_list("weekday", flat=True)) == [2]
    assert AgentPresence.objects.get(staff=ayu).timezone == "Asia/Makassar"
    with pytest.raises(InvalidInput) as error:
        set_working_hours(ayu, intervals=[WeeklyInterval(3, time(22), time(6))], actor=ayu.user)
    assert error.value.field == "intervals"
    with pytest.raises(InvalidInput):
        set_working_hours(ayu, intervals=[], timezone_name="Mars/Olympus", actor=ayu.user)


@pytest.mark.django_db
def test_a_status_change_is_recorded_with_who_and_why():
    team = make_team("Chat")
    ayu = make_agent(team, "Ayu")
    set_agent_status(ayu, status="on_break", reason="Makan siang", actor=ayu.user)
    set_agent_status(ayu, status="on_break", actor=ayu.user)  # the same again: nothing new
    presence = AgentPresence.objects.get(staff=ayu)
    assert presence.status == "on_break" and presence.updated_by == ayu.user
    [change] = AgentStatusChange.objects.filter(staff=ayu)
    assert (change.before, change.after, change.reason, change.actor) == (
        "online",
        "on_break",
        "Makan siang",
        ayu.user,
    )
    with pytest.raises(InvalidInput):
        set_agent_status(ayu, status="asleep", actor=ayu.user)


@pytest.mark.django_db
def test_who_may_change_whose_status(branch, other_branch, make_person):
    team = make_team("Chat")
    ayu = make_agent(team, "Ayu")
    ayu.branches.add(branch)
    colleague = make_agent(team, "Budi")
    supervisor = make_person(Role.SUPERVISOR, branches=[branch])
    far_supervisor = make_person(Role.SUPERVISOR, branches=[other_branch])
    admin = make_person(Role.ADMIN)

    set_agent_status(ayu, status="away", actor=supervisor)
    set_agent_status(ayu, status="online", actor=admin)
    for outsider in (colleague.user, far_supervisor):
        with pytest.raises(PermissionDenied):
            set_agent_status(ayu, status="offline", actor=outsider)
    assert AgentPresence.objects.get(staff=ayu).status == "online"
    assert AgentStatusChange.objects.filter(staff=ayu).count() == 2


@pytest.mark.django_db
def test_going_offline_hands_open_work_on_to_the_team():
    team = make_team("Chat", reassign_on_offline=True)
    ayu = make_agent(team, "Ayu")
    conversations = [in_team(write_in(), team) for _ in range(2)]
    for conversation in conversations:
        assert route_conversation(conversation).assignee_id == ayu.pk
    budi = make_agent(team, "Budi")

    set_agent_status(ayu, status="offline", reason="Pulang", actor=ayu.user)

    assert open_work(ayu) == 0 and open_work(budi) == 2
    change = AgentStatusChange.objects.get(staff=ayu, after="offline")
    assert change.reassigned == 2
    rows = list(
        TimelineEvent.objects.filter(
            conversation=conversations[0],
            kind__in=(EventKind.ASSIGNED, EventKind.AUTO_ASSIGNED),
        ).order_by("id")
    )
    assert rows[-2].details["reason"] == "Ayu went offline."
    # Written in English, read in Indonesian: the thread says the reason in its language.
    with translation.override("id"):
        assert describe_event(rows[-2])[1] == "Ayu kini offline."
    assert describe_event(rows[-2])[1] == "Ayu went offline."
    assert rows[-1].details["reason"].startswith("Assigned to Budi: ")
    # Ayu handed it on by going offline; routing, not she, chose Budi.
    assert rows[-2].actor_id == ayu.user.pk and rows[-1].actor_id is None
    assert (rows[-2].kind, rows[-1].kind) == (EventKind.ASSIGNED, EventKind.AUTO_ASSIGNED)


@pytest.mark.django_db
def test_a_team_can_keep_work_with_an_agent_who_goes_offline():
    team = make_team("Field", reassign_on_offline=False)
    ayu = make_agent(team, "Ayu")
    make_agent(team, "Budi")
    conversation = in_team(write_in(), team)
    route_conversation(conversation)
    set_agent_status(ayu, status="offline", actor=ayu.user)
    assert Conversation.objects.get(pk=conversation.pk).assignee == ayu


@pytest.mark.django_db
def test_nobody_left_online_the_work_waits_with_the_team():
    team = make_team("Chat")
    ayu = make_agent(team, "Ayu")
    conversation = in_team(write_in(), team)
    route_conversation(conversation)
    set_agent_status(ayu, status="offline", actor=ayu.user)
    conversation.refresh_from_db()
    assert conversation.assignee is None and conversation.team == team


@pytest.mark.django_db
def test_coming_online_assigns_what_waits(django_capture_on_commit_callbacks):
    team = make_team("Chat")
    ayu = make_agent(team, "Ayu", status="offline")
    waiting = [in_team(write_in(), team) for _ in range(2)]
    with django_capture_on_commit_callbacks(execute=True):
        set_agent_status(ayu, status="online", actor=ayu.user)
    assert all(Conversation.objects.get(pk=c.pk).assignee == ayu for c in waiting)
