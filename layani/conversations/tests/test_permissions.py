"""Who may read and change which conversation, through the API: every role by every endpoint.

The world: branch A and branch B; team X and team Y; one customer. Two conversations:

- `team_x`: the contact centre's (team X), nobody assigned yet, no branch;
- `branch_a`: a walk-in at branch A, assigned to a teller of branch A, no team.

Each has a sibling of the same customer in the same place, to merge into. A denied call
answers 401 (anonymous), 403 (no right to conversations at all) or 404 (outside the caller's
scope: it does not exist for them), and leaves the database exactly as it was.
"""

import json

import pytest

from layani.branches.actions import check_in_visit
from layani.conversations.actions import assign, receive_inbound_message, start_conversation
from layani.conversations.models import (
    CannedReply,
    Conversation,
    ConversationRead,
    Mention,
    Message,
    OutboxMessage,
    TimelineEvent,
)
from layani.staff.models import Role

pytestmark = pytest.mark.django_db

URL = "/api/v1/conversations/"

ROLES = [
    "admin",
    "supervisor_a",
    "supervisor_b",
    "agent_x",
    "agent_y",
    "branch_staff_a",
    "kiosk",
    "anonymous",
]

# Which conversations each role sees (and so may change: every serving role may work what
# it sees).
SEES = {
    "admin": {"team_x", "branch_a"},
    "supervisor_a": {"branch_a"},
    "supervisor_b": set(),
    "agent_x": {"team_x"},
    "agent_y": set(),
    "branch_staff_a": {"branch_a"},
    "kiosk": set(),
    "anonymous": set(),
}
DENIED_STATUS = {"anonymous": 401, "kiosk": 403}


@pytest.fixture
def world(make_person, branch, other_branch, service, customer, team_x, team_y, agent_in):
    other_branch.services.add(service)
    people = {
        "admin": make_person(Role.ADMIN),
        "supervisor_a": make_person(Role.SUPERVISOR, branches=[branch]),
        "supervisor_b": make_person(Role.SUPERVISOR, branches=[other_branch]),
        "agent_x": agent_in(team_x, name="Agen X"),
        "agent_y": agent_in(team_y, name="Agen Y"),
        "branch_staff_a": make_person(Role.BRANCH_STAFF, branches=[branch]),
        "kiosk": make_person(Role.KIOSK, branches=[branch]),
        "anonymous": None,
    }
    helper_x = agent_in(team_x, name="Rekan X")
    teller_a = make_person(Role.BRANCH_STAFF, branches=[branch], name="Teller A")

    def conversation(place: str, channel: str) -> Conversation:
        if place == "team_x":
            c = receive_inbound_message(
                customer=customer, channel=channel, body_text="Saldo terpotong", actor=None
            ).conversation
            assign(c, team=team_x, actor=None)
        else:
            c = start_conversation(customer=customer, channel=channel, branch=branch, actor=None)
            assign(c, assignee=teller_a.staff, actor=None)
        return c

    conversations = {
        "team_x": conversation("team_x", "whatsapp"),
        "team_x_sibling": conversation("team_x", "email"),
        "branch_a": conversation("branch_a", "whatsapp"),
        "branch_a_sibling": conversation("branch_a", "email"),
    }
    visit = check_in_visit(branch=branch, service=service, customer=customer, actor=None)
    return {
        "people": people,
        "conversations": conversations,
        "helper_x": helper_x,
        "teller_a": teller_a,
        "visit": visit,
    }


def snapshot():
    return (
        list(
            Conversation.objects.order_by("pk").values_list(
                "status",
                "assignee_id",
                "team_id",
                "purpose",
                "priority",
                "merged_into_id",
                "visit_id",
                "due_at",
                "updated_at",
            )
        ),
        list(Message.objects.order_by("pk").values_list("pk", "conversation_id")),
        list(TimelineEvent.objects.order_by("pk").values_list("pk", "conversation_id")),
        OutboxMessage.objects.count(),
        ConversationRead.objects.count(),
        Mention.objects.count(),
        list(Conversation.tags.through.objects.values_list("conversation_id", "tag_id")),
        CannedReply.objects.count(),
    )


def call(client, user, method, url, body=None):
    client.logout()
    if user is not None:
        client.force_login(user)
    kwargs = {}
    if body is not None:
        kwargs = {"data": json.dumps(body), "content_type": "application/json"}
    return getattr(client, method)(url, **kwargs)


# (name, method, path after the conversation id, body builder, status when allowed)
ENDPOINTS = [
    ("read thread", "get", "", None, 200),
    ("reply", "post", "/replies", lambda w, n: {"body_text": "Kami bantu"}, 201),
    ("note", "post", "/notes", lambda w, n: {"body_text": "Catatan"}, 201),
    (
        "assign",
        "post",
        "/assignment",
        lambda w, n: {"assignee_id": w["helper_x"].staff.pk},
        200,
    ),
    ("status", "post", "/status", lambda w, n: {"status": "open"}, 200),
    ("purpose", "post", "/purpose", lambda w, n: {"purpose": "complaint", "reason": "r"}, 200),
    ("priority", "post", "/priority", lambda w, n: {"priority": 3, "reason": "r"}, 200),
    ("tags", "post", "/tags", lambda w, n: {"add": ["matriks"]}, 200),
    (
        "merge",
        "post",
        "/merge",
        lambda w, n: {"into": w["conversations"][f"{n}_sibling"].pk},
        200,
    ),
    ("link visit", "post", "/visit", lambda w, n: {"visit_id": w["visit"].pk}, 200),
    ("mark read", "post", "/read", None, 204),
]


@pytest.mark.parametrize("role", ROLES)
def test_the_inbox_lists_only_what_the_role_sees(client, world, role):
    response = call(client, world["people"][role], "get", f"{URL}?view=all")
    if role in DENIED_STATUS:
        assert response.status_code == DENIED_STATUS[role]
        return
    assert response.status_code == 200
    listed = {i["id"] for i in response.json()["items"]}
    conversations = world["conversations"]
    expected = {
        conversations[name].pk
        for name in ("team_x", "team_x_sibling", "branch_a", "branch_a_sibling")
        if name.removesuffix("_sibling") in SEES[role]
    }
    assert listed == expected


@pytest.mark.parametrize(
    ("endpoint", "method", "path", "body", "allowed_status"),
    ENDPOINTS,
    ids=[e[0] for e in ENDPOINTS],
)
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", ["team_x", "branch_a"])
def test_each_role_reads_and_changes_only_what_it_sees(
    client, world, role, name, endpoint, method, path, body, allowed_status
):
    conversation = world["conversations"][name]
    before = snapshot()
    response = call(
        client,
        world["people"][role],
        method,
        f"{URL}{conversation.pk}{path}",
        body(world, name) if body else None,
    )
    if name in SEES[role]:
        assert response.status_code == allowed_status, response.content
        if method == "post" and endpoint != "mark read":
            assert snapshot() != before
        return
    assert response.status_code == DENIED_STATUS.get(role, 404), response.content
    assert snapshot() == before


MANAGE_CANNED = {"admin", "supervisor_a", "supervisor_b"}


@pytest.mark.parametrize("role", ROLES)
def test_only_supervisors_and_admins_manage_canned_replies(client, world, role):
    before = snapshot()
    response = call(
        client,
        world["people"][role],
        "post",
        f"{URL}canned-replies",
        {"title": "Salam", "body": "Halo {nama_pelanggan}"},
    )
    if role in MANAGE_CANNED:
        assert response.status_code == 201
        assert CannedReply.objects.count() == 1
        return
    assert response.status_code == DENIED_STATUS.get(role, 403)
    assert snapshot() == before


@pytest.mark.parametrize("role", ROLES)
def test_merging_into_a_conversation_outside_the_scope_is_refused(client, world, role):
    """Seeing the source is not enough: the target must be in scope too."""
    conversations = world["conversations"]
    source, target = conversations["team_x"], conversations["branch_a"]
    before = snapshot()
    response = call(
        client, world["people"][role], "post", f"{URL}{source.pk}/merge", {"into": target.pk}
    )
    if role == "admin":
        assert response.status_code == 200  # same customer, both in scope
        return
    assert response.status_code in {401, 403, 404, 422}
    if "team_x" in SEES[role]:
        assert response.status_code == 422  # the target does not exist for them
    assert snapshot() == before


def test_scopes_of_many_people_agree_with_each_persons_own_scope(
    world, customer, django_assert_num_queries
):
    """The note box's "who can see this" (`scopes_of` + `covers`, for everyone at once) says
    exactly what each person's own scope query says, for every role and conversation."""
    from layani.conversations.queries import conversations_for, scope_of, scopes_of
    from layani.staff.models import Staff

    pool = receive_inbound_message(
        customer=customer, channel="telegram", body_text="Halo", actor=None
    ).conversation
    # A branch teller's conversation outside the branch: their supervisor oversees it.
    teller_elsewhere = start_conversation(customer=customer, channel="phone", actor=None)
    assign(teller_elsewhere, assignee=world["teller_a"].staff, actor=None)
    users = [u for u in world["people"].values() if u is not None]
    users += [world["helper_x"], world["teller_a"]]
    people = list(Staff.objects.filter(user__in=users).select_related("user").order_by("pk"))
    with django_assert_num_queries(2):
        scopes = scopes_of(people)
    conversations = [*world["conversations"].values(), pool, teller_elsewhere]
    for person in people:
        assert scopes[person.pk] == scope_of(person.user), person.user.username
        for c in conversations:
            visible = conversations_for(person.user).filter(pk=c.pk).exists()
            assert scopes[person.pk].covers(c) is visible, (person.user.username, c.pk)
