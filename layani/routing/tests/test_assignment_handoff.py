"""An agent hands a conversation to another team: it stays with that team, and the
background assignment gives it only to a member of that team (or leaves it waiting there),
never back to the customer's usual person from another team."""

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from layani.conversations.actions import assign, change_status
from layani.conversations.models import Conversation, EventKind, TimelineEvent
from layani.routing.assignment_tasks import assignment_sweep
from layani.routing.auto_assign import route_conversation
from layani.routing.models import ContinuityRecord, RoutingRule
from layani.routing.tests.assignment_world import make_agent, make_customer, make_team, write_in

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture(autouse=True)
def in_english():
    with translation.override("en"):
        yield


@pytest.fixture
def centre():
    return make_team("Contact Center")


@pytest.fixture
def complaints():
    team = make_team("Penanganan Keluhan")
    RoutingRule.objects.create(
        name="Keluhan ke tim Penanganan Keluhan",
        position=10,
        team=team,
        purposes=["complaint"],
    )
    return team


@pytest.fixture
def sari(centre):
    return make_agent(centre, "Sari Lestari")


def served_by_sari(customer, centre, sari) -> Conversation:
    """The customer's earlier conversation, which Sari served: she is their recent person."""
    earlier = write_in(customer, channel="email", text="Mau tanya saldo")
    assign(earlier, team=centre, actor=None)
    assert route_conversation(earlier).assignee_id == sari.pk
    change_status(earlier, status="resolved", actor=None)
    return earlier


def hand_to_team(agent, conversation: Conversation, team, reason: str = "Keluhan kartu"):
    """What the agent does in the conversation view: Tugaskan → a team, with a reason."""
    client = Client()
    client.force_login(agent.user)
    response = client.post(
        reverse("inbox:assign", args=[conversation.pk]),
        {"to": f"team-{team.pk}", "reason": reason},
        **HTMX,
    )
    assert response.status_code in (200, 204)  # 204: it left the agent's scope
    conversation.refresh_from_db()
    assert conversation.team == team and conversation.assignee is None


def background_sweep() -> None:
    """The worker's minute sweep (explained in English: the view's request may have left
    the language it was served in active)."""
    with translation.override("en"):
        assignment_sweep.call_local()


def test_a_conversation_handed_to_a_team_goes_to_a_member_not_back_to_the_usual_person(
    centre, complaints, sari
):
    budi = make_agent(complaints, "Budi Santoso")
    customer = make_customer("Wulan")
    earlier = served_by_sari(customer, centre, sari)
    conversation = write_in(customer, text="Kartu debit saya terblokir")
    assert conversation.pk != earlier.pk
    assign(conversation, team=centre, assignee=sari, actor=None)

    hand_to_team(sari, conversation, complaints)
    background_sweep()  # the background worker, a minute later

    conversation.refresh_from_db()
    assert conversation.team == complaints
    assert conversation.assignee == budi
    assert complaints.pk in set(conversation.assignee.teams.values_list("pk", flat=True))
    row = (
        TimelineEvent.objects.filter(conversation=conversation, kind=EventKind.AUTO_ASSIGNED)
        .order_by("-id")
        .first()
    )
    assert row is not None
    assert row.details["reason"].startswith("Assigned to Budi Santoso: ")
    assert "continuity broken: Sari Lestari is not in this team" in row.details["reason"]
    assert row.details["routing"]["continuity"] == "broken"
    assert row.details["routing"]["continuity_reason"] == "not_in_team"
    [broken] = TimelineEvent.objects.filter(
        conversation=conversation, kind=EventKind.CONTINUITY_BROKEN
    )
    assert broken.details["why"] == "not_in_team"
    assert not TimelineEvent.objects.filter(
        conversation=conversation, kind=EventKind.CONTINUITY_HONOURED
    ).exists()
    assert ContinuityRecord.objects.get(customer=customer).last_reason == "not_in_team"


def test_with_nobody_of_the_team_online_it_waits_in_that_teams_queue(centre, complaints, sari):
    make_agent(complaints, "Budi Santoso", status="offline")
    customer = make_customer("Wulan")
    earlier = served_by_sari(customer, centre, sari)
    conversation = write_in(customer, text="Kartu debit saya terblokir")
    assert conversation.pk != earlier.pk
    assign(conversation, team=centre, assignee=sari, actor=None)

    hand_to_team(sari, conversation, complaints)
    background_sweep()
    background_sweep()

    conversation.refresh_from_db()
    assert conversation.team == complaints
    assert conversation.assignee is None


def test_a_preferred_staff_member_outside_the_team_is_never_picked(centre, complaints, sari):
    budi = make_agent(complaints, "Budi Santoso")
    customer = make_customer("Wulan", preferred_staff=sari)
    conversation = write_in(customer, text="Saya kecewa", purpose="complaint")

    result = route_conversation(conversation)  # the rule sends it to the complaints team

    conversation.refresh_from_db()
    assert conversation.team == complaints
    assert result.assignee_id == budi.pk and conversation.assignee == budi
    assert result.decision is not None and result.decision.continuity == "broken"


def test_a_held_conversation_handed_to_another_team_is_not_kept_for_the_old_person(
    centre, complaints, sari
):
    """Held for Sari in her team (she was away), then handed to the complaints team: the
    hold does not pull it back to her when she returns."""
    from layani.routing.agent_status import set_agent_status
    from layani.routing.models import AssignmentHold, TeamAssignment

    TeamAssignment.objects.create(team=centre, continuity_wait_minutes=30)
    make_agent(centre, "Ayu")
    budi = make_agent(complaints, "Budi Santoso", status="offline")
    customer = make_customer("Wulan", preferred_staff=sari)
    set_agent_status(sari, status="away", actor=None)
    conversation = write_in(customer, text="Kartu debit saya terblokir")
    conversation.team = centre
    conversation.save(update_fields=["team"])
    assert route_conversation(conversation).outcome == "held"

    supervisor = make_agent(centre, "Dewi Supervisor", role="supervisor", status="offline")
    hand_to_team(supervisor, conversation, complaints)
    set_agent_status(sari, status="online", actor=None)
    background_sweep()

    conversation.refresh_from_db()
    assert conversation.team == complaints and conversation.assignee is None
    assert not AssignmentHold.objects.filter(conversation=conversation).exists()

    set_agent_status(budi, status="online", actor=None)
    background_sweep()
    conversation.refresh_from_db()
    assert conversation.assignee == budi


def test_the_reason_reads_in_indonesian():
    from layani.routing.assignment_explain import unavailable_label

    with translation.override("id"):
        assert unavailable_label("not_in_team") == "bukan anggota tim ini"
