from datetime import timedelta

import pytest
from django.utils import translation

from layani.branches.actions import check_in_visit
from layani.conversations.actions import (
    add_message,
    assign,
    change_priority,
    change_purpose,
    change_tags,
    link_visit,
    merge_conversations,
    purpose_from_rule,
    receive_inbound_message,
    start_conversation,
)
from layani.conversations.event_display import describe_event
from layani.conversations.models import (
    Conversation,
    ConversationStatus,
    EventKind,
    Message,
    Priority,
    Tag,
    TimelineEvent,
)
from layani.core.errors import Conflict, InvalidInput, NotFound
from layani.feedback.models import SurveyResponse
from layani.staff.models import Role, Team

pytestmark = pytest.mark.django_db


@pytest.fixture
def conversation(customer):
    return receive_inbound_message(
        customer=customer, channel="whatsapp", body_text="Kartu saya hilang", actor=None
    ).conversation


def events(conversation, kind):
    return list(TimelineEvent.objects.filter(conversation=conversation, kind=kind).order_by("id"))


def test_assign_reassign_and_unassign_with_before_and_after(
    conversation, agent_x, agent_y, team_x, team_y, admin_user
):
    assign(conversation, assignee=agent_x.staff, team=team_x, actor=admin_user)
    assign(conversation, assignee=agent_y.staff, reason="Cuti", actor=admin_user)
    assign(conversation, assignee=None, team=None, actor=admin_user)
    conversation.refresh_from_db()
    assert conversation.assignee is None and conversation.team is None
    rows = events(conversation, EventKind.ASSIGNED)
    assert [r.details for r in rows] == [
        {
            "assignee": agent_x.staff.pk,
            "team": team_x.pk,
            "before": {"assignee": None, "team": None},
        },
        {
            # Yudi is not in the contact centre: the conversation follows him to his team.
            "assignee": agent_y.staff.pk,
            "team": team_y.pk,
            "before": {"assignee": agent_x.staff.pk, "team": team_x.pk},
            "reason": "Cuti",
        },
        {
            "assignee": None,
            "team": None,
            "before": {"assignee": agent_y.staff.pk, "team": team_y.pk},
        },
    ]
    assert [r.summary for r in rows][:2] == ["Sari Agen · Contact centre", "Yudi Agen · Keluhan"]


def test_a_person_outside_the_team_takes_the_conversation_into_their_team(
    conversation, agent_x, team_x, team_y, make_person, branch, other_branch, admin_user
):
    """Picked by hand from everyone, a person holds the conversation in a team they are
    in: of several, one that serves the conversation's branch; of none, no team (theirs
    alone, not left for the old team to pick up). Their own team is kept."""
    conversation.branch = branch
    conversation.save(update_fields=["branch"])
    assign(conversation, team=team_x, actor=admin_user)
    elsewhere = Team.objects.create(name="A Cabang Lain")
    elsewhere.branches.add(other_branch)
    here = Team.objects.create(name="B Cabang Ini")
    here.branches.add(branch)
    multi = make_person(Role.AGENT, name="Multi Tim")
    multi.staff.teams.add(elsewhere, here, team_y)
    assign(conversation, assignee=multi.staff, actor=admin_user)
    conversation.refresh_from_db()
    assert (conversation.assignee, conversation.team) == (multi.staff, here)

    loner = make_person(Role.SUPERVISOR, name="Tanpa Tim", branches=[branch])
    assign(conversation, assignee=loner.staff, actor=admin_user)
    conversation.refresh_from_db()
    assert (conversation.assignee, conversation.team) == (loner.staff, None)

    assign(conversation, team=team_x, assignee=None, actor=admin_user)
    assign(conversation, assignee=agent_x.staff, actor=admin_user)
    conversation.refresh_from_db()
    assert (conversation.assignee, conversation.team) == (agent_x.staff, team_x)


def test_a_person_cannot_be_given_a_team_they_are_not_in(
    conversation, agent_x, team_x, team_y, admin_user
):
    assign(conversation, team=team_x, actor=admin_user)
    with pytest.raises(InvalidInput) as caught:
        assign(conversation, assignee=agent_x.staff, team=team_y, actor=admin_user)
    assert caught.value.field == "assignee_id"
    assert caught.value.code == "not_in_team"
    conversation.refresh_from_db()
    assert (conversation.assignee, conversation.team) == (None, team_x)
    # Nor keep it while it moves to a team they are not in; handing it over unassigns.
    assign(conversation, assignee=agent_x.staff, actor=admin_user)
    with pytest.raises(InvalidInput) as caught:
        assign(conversation, team=team_y, actor=admin_user)
    assert (caught.value.field, caught.value.code) == ("team_id", "not_in_team")
    assign(conversation, team=team_y, assignee=None, actor=admin_user)
    conversation.refresh_from_db()
    assert (conversation.assignee, conversation.team) == (None, team_y)


def test_a_conversation_cannot_start_held_by_someone_outside_its_team(
    customer, agent_x, team_y, admin_user
):
    with pytest.raises(InvalidInput) as caught:
        start_conversation(
            customer=customer, channel="phone", team=team_y, assignee=agent_x.staff, actor=None
        )
    assert caught.value.code == "not_in_team"
    assert not Conversation.objects.exists()


def test_taken_from_the_shared_pool_it_joins_the_takers_team(conversation, agent_x, team_x):
    assert conversation.team is None and agent_x.staff.teams.filter(pk=team_x.pk).exists()
    assign(conversation, assignee=agent_x.staff, actor=agent_x)
    conversation.refresh_from_db()
    assert conversation.assignee == agent_x.staff and conversation.team == team_x
    assign(conversation, assignee=None, actor=agent_x)  # handed back: to the team
    conversation.refresh_from_db()
    assert conversation.assignee is None and conversation.team == team_x


def test_unassigned_reads_in_the_readers_language(conversation, agent_x, admin_user):
    """Unassigned by someone working in English, read in Indonesian, and the other way."""
    assign(conversation, assignee=agent_x.staff, team=None, actor=admin_user)
    with translation.override("en"):
        assign(conversation, assignee=None, actor=admin_user)
    row = events(conversation, EventKind.ASSIGNED)[-1]
    with translation.override("id"):
        assert describe_event(row)[0] == "kembali ke antrean bersama"
    with translation.override("en"):
        assert describe_event(row)[0] == "back to the shared pool"
    # A row written before, with the writer's word stored.
    TimelineEvent.objects.filter(pk=row.pk).update(summary="Unassigned")
    row.refresh_from_db()
    with translation.override("id"):
        assert describe_event(row)[0] == "kembali ke antrean bersama"


def test_assigning_what_is_assigned_changes_nothing(conversation, agent_x, admin_user):
    assign(conversation, assignee=agent_x.staff, actor=admin_user)
    assign(conversation, assignee=agent_x.staff, actor=admin_user)
    assert len(events(conversation, EventKind.ASSIGNED)) == 1


def test_a_kiosk_cannot_be_assigned(conversation, make_person, branch, admin_user):
    kiosk = make_person(Role.KIOSK, branches=[branch])
    with pytest.raises(InvalidInput) as caught:
        assign(conversation, assignee=kiosk.staff, actor=admin_user)
    assert caught.value.field == "assignee_id"
    assert Conversation.objects.get(pk=conversation.pk).assignee is None


def test_purpose_and_priority_change_with_a_reason(conversation, agent, settings):
    settings.LAYANI_RESPONSE_TARGET_HOURS = {"urgent": 1, "normal": 24}
    with pytest.raises(InvalidInput) as caught:
        change_purpose(conversation, purpose="complaint", reason="  ", actor=agent)
    assert caught.value.field == "reason"
    assert not events(conversation, EventKind.PURPOSE_CHANGED)

    change_purpose(conversation, purpose="complaint", reason="Nasabah marah", actor=agent)
    change_priority(
        conversation, priority=Priority.URGENT, reason="Kartu dipakai orang", actor=agent
    )
    conversation.refresh_from_db()
    assert conversation.purpose == "complaint"
    assert conversation.priority == Priority.URGENT
    assert conversation.due_at == conversation.waiting_since + timedelta(hours=1)
    [purpose] = events(conversation, EventKind.PURPOSE_CHANGED)
    assert purpose.details == {"before": "routine", "after": "complaint", "reason": "Nasabah marah"}
    [priority] = events(conversation, EventKind.PRIORITY_CHANGED)
    assert priority.details == {"before": 2, "after": 4, "reason": "Kartu dipakai orang"}
    with pytest.raises(InvalidInput) as caught:
        change_purpose(conversation, purpose="complaint", reason="lagi", actor=agent)
    assert caught.value.code == "unchanged"
    with pytest.raises(InvalidInput):
        change_priority(conversation, priority=9, reason="x", actor=agent)


def test_tags_are_normalised_added_and_removed_by_name(conversation, agent):
    assert change_tags(conversation, add=["  Kartu Hilang ", "VIP", "vip"], actor=agent) == [
        "kartu-hilang",
        "vip",
    ]
    assert change_tags(conversation, add=["blokir"], remove=["VIP"], actor=agent) == [
        "blokir",
        "kartu-hilang",
    ]
    assert change_tags(conversation, remove=["tidak-ada"], actor=agent) == [
        "blokir",
        "kartu-hilang",
    ]
    rows = events(conversation, EventKind.TAGS_CHANGED)
    assert [r.details for r in rows] == [
        {"added": ["kartu-hilang", "vip"], "removed": []},
        {"added": ["blokir"], "removed": ["vip"]},
    ]
    assert set(Tag.objects.values_list("name", flat=True)) == {"kartu-hilang", "vip", "blokir"}
    with pytest.raises(InvalidInput):
        change_tags(conversation, add=["x" * 41], actor=agent)


def tag_ids_of(conversation):
    return sorted(conversation.tags.values_list("pk", flat=True))


def test_the_row_keeps_its_tag_ids_in_step_with_its_tags(conversation, agent):
    change_tags(conversation, add=["vip", "blokir", "kartu-hilang"], actor=agent)
    conversation.refresh_from_db()
    assert len(conversation.tag_ids) == 3
    assert conversation.tag_ids == tag_ids_of(conversation)
    change_tags(conversation, remove=["blokir"], actor=agent)
    conversation.refresh_from_db()
    assert conversation.tag_ids == tag_ids_of(conversation)
    assert Tag.objects.get(name="blokir").pk not in conversation.tag_ids
    change_tags(conversation, remove=["vip", "kartu-hilang"], actor=agent)
    conversation.refresh_from_db()
    assert conversation.tag_ids == []


def test_link_a_visit_of_the_same_customer(
    conversation, customer, other_customer, branch, service, agent
):
    visit = check_in_visit(branch=branch, service=service, customer=customer, actor=None)
    link_visit(conversation, visit=visit, actor=agent)
    conversation.refresh_from_db()
    assert conversation.visit == visit
    [linked] = events(conversation, EventKind.VISIT_LINKED)
    assert linked.visit == visit and linked.summary == visit.ticket_number

    stranger = check_in_visit(branch=branch, service=service, customer=other_customer, actor=None)
    with pytest.raises(Conflict) as caught:
        link_visit(conversation, visit=stranger, actor=agent)
    assert caught.value.code == "different_customers"
    assert Conversation.objects.get(pk=conversation.pk).visit == visit


def test_a_supervisor_cannot_link_another_branchs_visit(
    conversation, customer, branch, other_branch, service, make_person
):
    other_branch.services.add(service)
    supervisor = make_person(Role.SUPERVISOR, branches=[branch])
    Conversation.objects.filter(pk=conversation.pk).update(branch=branch)
    conversation.refresh_from_db()
    there = check_in_visit(branch=other_branch, service=service, customer=customer, actor=None)
    with pytest.raises(NotFound) as caught:
        link_visit(conversation, visit=there, actor=supervisor)
    assert caught.value.code == "visit_not_found"
    assert Conversation.objects.get(pk=conversation.pk).visit is None


def test_merge_moves_everything_and_closes_the_source(
    conversation, customer, agent, branch, service
):
    other = receive_inbound_message(
        customer=customer, channel="email", body_text="Kartu hilang, mohon blokir", actor=None
    ).conversation
    add_message(other, direction="note", body_text="Sudah diblokir", actor=agent)
    change_tags(other, add=["blokir"], actor=agent)
    visit = check_in_visit(branch=branch, service=service, customer=customer, actor=None)
    link_visit(other, visit=visit, actor=agent)
    SurveyResponse.objects.create(rating=4, channel="email", conversation=other, customer=customer)
    moved_messages = set(other.messages.values_list("pk", flat=True))
    moved_events = set(other.timeline.values_list("pk", flat=True))

    merge_conversations(other, into=conversation, actor=agent)

    conversation.refresh_from_db()
    other.refresh_from_db()
    assert moved_messages <= set(conversation.messages.values_list("pk", flat=True))
    assert moved_events <= set(conversation.timeline.values_list("pk", flat=True))
    assert not other.messages.exists()
    assert set(conversation.tags.values_list("name", flat=True)) == {"blokir"}
    assert conversation.tag_ids == [Tag.objects.get(name="blokir").pk]
    assert conversation.visit == visit
    assert SurveyResponse.objects.get().conversation == conversation
    assert other.status == ConversationStatus.CLOSED and other.merged_into == conversation
    assert other.closed_at is not None and other.waiting_since is None
    assert conversation.status == ConversationStatus.NEW
    [on_source] = events(other, EventKind.MERGED)
    assert on_source.details["target"] == conversation.pk
    [on_target] = events(conversation, EventKind.MERGED)
    assert on_target.details["messages"] == 2
    assert Message.objects.count() == 3  # nothing lost
    # The inbox row says the newest of both threads (not the note), and when she last wrote.
    assert conversation.last_preview == "Kartu hilang, mohon blokir"
    assert (
        conversation.last_inbound_at
        == Message.objects.filter(direction="in").latest("created_at").created_at
    )


def test_merge_reopens_a_resolved_target_when_the_source_still_waits(customer, agent):
    done = receive_inbound_message(customer=customer, channel="email", body_text="a", actor=None)
    from layani.conversations.actions import change_status

    change_status(done.conversation, status="resolved", actor=agent)
    waiting = receive_inbound_message(
        customer=customer, channel="whatsapp", body_text="b", actor=None
    )
    merge_conversations(waiting.conversation, into=done.conversation, actor=agent)
    target = Conversation.objects.get(pk=done.conversation.pk)
    assert target.status == ConversationStatus.OPEN
    assert target.waiting_since == waiting.message.created_at
    assert target.resolved_at is None


def test_merge_refuses_different_customers_and_itself(conversation, other_customer, agent):
    stranger = receive_inbound_message(
        customer=other_customer, channel="whatsapp", body_text="Halo", actor=None
    ).conversation
    before = (Message.objects.filter(conversation=stranger).count(), TimelineEvent.objects.count())
    with pytest.raises(Conflict) as caught:
        merge_conversations(stranger, into=conversation, actor=agent)
    assert caught.value.code == "different_customers"
    with pytest.raises(InvalidInput):
        merge_conversations(conversation, into=conversation, actor=agent)
    stranger.refresh_from_db()
    assert stranger.merged_into is None and stranger.status == ConversationStatus.NEW
    assert (
        Message.objects.filter(conversation=stranger).count(),
        TimelineEvent.objects.count(),
    ) == before


def test_a_routing_rule_sets_only_a_purpose_nobody_chose(
    conversation, customer, branch, service, agent
):
    walk_in = receive_inbound_message(
        customer=customer, channel="whatsapp", body_text="Halo", join_latest=False
    ).conversation
    assert walk_in.pk != conversation.pk
    visit = check_in_visit(branch=branch, service=service, customer=customer, actor=None)
    link_visit(walk_in, visit=visit, actor=agent)
    assert walk_in.purpose == "routine"
    stale = Conversation.objects.get(pk=walk_in.pk)
    stale.visit_id = None  # a copy read before the visit was linked: the row decides
    assert not purpose_from_rule(stale, purpose="complaint", rule_name="Kata keluhan")
    walk_in.refresh_from_db()
    assert walk_in.purpose == "routine"  # the walk-in chose at the kiosk

    opened = start_conversation(customer=customer, channel="phone", actor=agent)
    assert not purpose_from_rule(opened, purpose="complaint", rule_name="Kata keluhan")
    opened.refresh_from_db()
    assert opened.purpose == "routine"  # the agent who opened it chose it

    assert conversation.purpose == "routine"
    assert purpose_from_rule(conversation, purpose="complaint", rule_name="Kata keluhan")
    conversation.refresh_from_db()
    assert conversation.purpose == "complaint"
    [changed] = events(conversation, EventKind.PURPOSE_CHANGED)
    assert changed.actor is None and changed.details["routing_rule"] == "Kata keluhan"
    assert not purpose_from_rule(conversation, purpose="prospect", rule_name="Calon")
    with pytest.raises(InvalidInput):
        purpose_from_rule(conversation, purpose="routine", rule_name="Rutin")
