"""The index rows carry their conversation's scope and filter fields, and the search applies
scope and filters on them: same answers as the conversation table, after every change."""

import itertools

import pytest
from django.db import connection

from layani.conversations.actions import (
    add_message,
    assign,
    change_priority,
    change_purpose,
    change_status,
    merge_conversations,
    start_conversation,
)
from layani.conversations.actions._common import save
from layani.conversations.models import ConversationStatus, Direction, Priority
from layani.conversations.queries import ConversationScope, conversations_for, scope_of
from layani.core.choices import Channel, Purpose
from layani.customers.actions import CustomerDetails, create_customer
from layani.language.normalise import query_terms
from layani.search.candidates import conversation_candidates, fetch
from layani.search.facets import Facet, index_conditions, scope_conditions
from layani.search.filters import ConversationFilters, filter_conversations
from layani.search.indexing import conversation_facets
from layani.search.models import FACET_FIELDS, SearchDocument
from layani.search.queries import search_conversations
from layani.staff.models import Role, Team

pytestmark = pytest.mark.django_db


def candidates(text, scope, filters=None):
    """The conversations the index rows alone let through (no check on the conversation)."""
    conditions = index_conditions(scope, filters or ConversationFilters())
    if conditions.sees_nothing:
        return set()
    sql, params = conversation_candidates(query_terms(text), conditions)
    return {row[1] for row in fetch(sql, params)}


def found(text, scope, filters=None):
    return {
        h.conversation.pk for h in search_conversations(text, scope=scope, filters=filters).hits
    }


def assert_rows_follow(conversation):
    conversation.refresh_from_db()
    rows = SearchDocument.objects.filter(conversation=conversation)
    assert rows.exists()
    expected = conversation_facets(conversation)
    for row in rows:
        assert {name: getattr(row, name) for name in FACET_FIELDS} == expected


@pytest.fixture
def world(make_person, branch, other_branch):
    """Two teams, two branches, agents, a supervisor of one branch, and conversations in
    every combination of assignee, team and branch (or none), all saying "kartu"."""
    team_a = Team.objects.create(name="Contact centre")
    team_b = Team.objects.create(name="Keluhan")
    agent = make_person(Role.AGENT, name="Agen A")
    agent.staff.teams.add(team_a)
    teller = make_person(Role.BRANCH_STAFF, branches=[branch], name="Teller")
    outsider = make_person(Role.AGENT, branches=[other_branch], name="Agen Makassar")
    supervisor = make_person(Role.SUPERVISOR, branches=[branch], name="Supervisor")
    admin = make_person(Role.ADMIN, name="Admin")
    conversations = []
    for assignee, team, at in itertools.product(
        [None, agent.staff, teller.staff, outsider.staff],
        [None, team_a, team_b],
        [None, branch, other_branch],
    ):
        conversation = start_conversation(
            customer=None,
            channel=Channel.IN_PERSON if at else Channel.WHATSAPP,
            subject="Kartu hilang",
            branch=at,
            team=team if assignee is None else None,
            assignee=assignee,
            actor=None,
        )
        if assignee is not None and team is not None:
            # Held by someone who may since have left the team: the copies follow as well.
            conversation.team = team
            save(conversation, ["team_id"])
        conversations.append(conversation)
    people = {
        "agent": agent,
        "teller": teller,
        "outsider": outsider,
        "supervisor": supervisor,
        "admin": admin,
    }
    return people, conversations, (team_a, team_b)


def test_index_rows_alone_give_exactly_each_persons_scope(world):
    people, conversations, _teams = world
    assert len(conversations) == 36
    scopes = {name: scope_of(user) for name, user in people.items()}
    scopes["nobody"] = ConversationScope(sees_nothing=True)
    for name, scope in scopes.items():
        expected = set(conversations_for(None, scope).values_list("pk", flat=True))
        assert candidates("kartu", scope) == expected, name
    assert len(candidates("kartu", scopes["admin"])) == 36
    assert 0 < len(candidates("kartu", scopes["supervisor"])) < 36


@pytest.mark.parametrize(
    "filters",
    [
        ConversationFilters(channel=Channel.IN_PERSON),
        ConversationFilters(status=ConversationStatus.NEW),
        ConversationFilters(purpose=Purpose.ROUTINE, priority=Priority.NORMAL),
        ConversationFilters(status=ConversationStatus.CLOSED),
    ],
)
def test_index_rows_alone_give_exactly_the_filtered_conversations(world, branch, filters):
    people, _conversations, _teams = world
    for scope in (scope_of(people["admin"]), scope_of(people["supervisor"])):
        for with_branch in (
            filters,
            ConversationFilters(**{**vars(filters), "branch_id": branch.pk}),
        ):
            base = filter_conversations(conversations_for(None, scope), with_branch)
            expected = set(base.values_list("pk", flat=True))
            assert candidates("kartu", scope, with_branch) == expected


@pytest.fixture
def outside(world):
    """A conversation of the outsider's (other branch, no team): not the supervisor's."""
    people, _conversations, _teams = world
    conversation = start_conversation(
        customer=None,
        channel=Channel.WHATSAPP,
        subject="Saldo terpotong dua kali",
        assignee=people["outsider"].staff,
        actor=None,
    )
    add_message(conversation, direction=Direction.INBOUND, body_text="Saldo terpotong", actor=None)
    return conversation


def test_reassigning_into_a_supervisors_scope_is_found_by_them(world, outside):
    people, _conversations, _teams = world
    supervisor = scope_of(people["supervisor"])
    assert found("terpotong", supervisor) == set()
    assign(outside, assignee=people["teller"].staff, actor=people["admin"])
    assert_rows_follow(outside)
    assert found("terpotong", supervisor) == {outside.pk}
    assign(outside, assignee=people["outsider"].staff, actor=people["admin"])
    assert found("terpotong", supervisor) == set()
    assert candidates("terpotong", supervisor) == set()


def test_unassigning_to_the_pool_and_a_team_change(world, outside):
    people, _conversations, (team_a, team_b) = world
    agent = scope_of(people["agent"])  # team A and the shared pool
    assert found("terpotong", agent) == set()
    assign(outside, assignee=None, actor=people["admin"])
    assert_rows_follow(outside)
    assert found("terpotong", agent) == {outside.pk}  # the pool
    assign(outside, team=team_b, actor=people["admin"])
    assert_rows_follow(outside)
    assert found("terpotong", agent) == set()
    assign(outside, team=team_a, actor=people["admin"])
    assert found("terpotong", agent) == {outside.pk}


def test_status_purpose_and_priority_changes_move_it_between_filters(world, outside):
    people, _conversations, _teams = world
    admin = scope_of(people["admin"])
    resolved = ConversationFilters(status=ConversationStatus.RESOLVED)
    complaints = ConversationFilters(purpose=Purpose.COMPLAINT, priority=Priority.HIGH)
    assert found("terpotong", admin, resolved) == set()
    change_status(outside, status=ConversationStatus.RESOLVED, actor=people["admin"])
    assert_rows_follow(outside)
    assert found("terpotong", admin, resolved) == {outside.pk}
    change_status(outside, status=ConversationStatus.OPEN, actor=people["admin"])
    assert_rows_follow(outside)
    assert found("terpotong", admin, resolved) == set()
    change_purpose(outside, purpose=Purpose.COMPLAINT, reason="Keluhan", actor=people["admin"])
    assert found("terpotong", admin, complaints) == set()
    change_priority(outside, priority=Priority.HIGH, reason="Dua kali", actor=people["admin"])
    assert_rows_follow(outside)
    assert found("terpotong", admin, complaints) == {outside.pk}


def test_a_branch_change_saved_by_an_action_moves_it_between_branches(
    world, outside, branch, other_branch
):
    people, _conversations, _teams = world
    admin = scope_of(people["admin"])
    supervisor = scope_of(people["supervisor"])
    here = ConversationFilters(branch_id=branch.pk)
    assert found("terpotong", admin, here) == set()
    outside.branch = branch
    save(outside, ["branch"])  # no action moves a conversation yet; any that does saves so
    assert_rows_follow(outside)
    assert found("terpotong", admin, here) == {outside.pk}
    assert found("terpotong", supervisor) == {outside.pk}
    outside.branch = other_branch
    save(outside, ["branch_id"])
    assert found("terpotong", supervisor) == set()


def test_a_merge_gives_the_moved_rows_the_targets_scope(world):
    people, _conversations, (team_a, _team_b) = world
    customer = create_customer(CustomerDetails.from_values({"full_name": "Wulan Sari"}), actor=None)
    agent = scope_of(people["agent"])
    source = start_conversation(
        customer=customer, channel=Channel.WHATSAPP, assignee=people["outsider"].staff, actor=None
    )
    add_message(source, direction=Direction.INBOUND, body_text="Kartu ATM tertelan", actor=None)
    target = start_conversation(
        customer=customer, channel=Channel.WHATSAPP, team=team_a, actor=None
    )
    add_message(target, direction=Direction.INBOUND, body_text="Halo", actor=None)
    assert found("tertelan", agent) == set()
    merge_conversations(source, into=target, actor=people["admin"])
    assert_rows_follow(target)
    assert not SearchDocument.objects.filter(conversation=source).exists()
    assert found("tertelan", agent) == {target.pk}


def test_a_stale_row_never_shows_a_conversation_outside_the_scope(world, outside):
    """The conversation table decides: rows changed behind the actions' back can hide a
    conversation, never show one to someone outside its scope."""
    people, _conversations, _teams = world
    supervisor = scope_of(people["supervisor"])
    SearchDocument.objects.filter(conversation=outside).update(
        assignee_id=people["teller"].staff.pk
    )
    assert candidates("terpotong", supervisor) == {outside.pk}
    assert found("terpotong", supervisor) == set()


def test_saving_fields_that_are_not_copied_writes_no_index_row(
    world, outside, django_assert_num_queries
):
    outside.subject = "Saldo terpotong"
    with django_assert_num_queries(1):
        save(outside, ["subject"])
    with django_assert_num_queries(2):  # copied fields saved: rows updated where they differ
        save(outside, ["status"])


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's facets column")
def test_the_generated_facet_terms_are_the_ones_queries_use(world):
    people, conversations, _teams = world

    with connection.cursor() as cursor:
        for conversation in conversations:
            cursor.execute(
                "SELECT DISTINCT facets FROM search_searchdocument WHERE conversation_id = %s",
                [conversation.pk],
            )
            ((terms,),) = cursor.fetchall()
            c = conversation
            expected = {
                Facet(name, getattr(c, name)).key
                for name in FACET_FIELDS
                if getattr(c, name) is not None
            }
            if c.assignee_id is None and c.team_id is None:
                expected.add(Facet("pool").key)
            assert set(terms) == expected
    assert scope_conditions(scope_of(people["admin"])) is None
