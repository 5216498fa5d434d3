"""Who reads and changes what through the workspace pages: one matrix per role.

Roles: admin, supervisor of branch A, agent of team X, agent of team Y, branch staff of
branch A, kiosk device, anonymous. A conversation outside someone's scope is a 404 for
every page and every form (ids cannot be probed); a role without the capability gets a
403; anonymous callers go to the sign-in page. A refused write changes nothing.
"""

import re

import pytest
from django.urls import reverse

from layani.conversations.actions import assign, receive_inbound_message
from layani.conversations.models import (
    CannedReply,
    Conversation,
    ConversationRead,
    Message,
    OutboxMessage,
    TimelineEvent,
)
from layani.customers.models import Customer
from layani.search.indexing import index_customer
from layani.staff.models import Role

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
ROLES = ("admin", "supervisor_a", "agent_x", "agent_y", "clerk_a", "kiosk", "anonymous")
CONVERSATIONS = ("team_x", "team_y", "branch_a", "pool")

# Which conversation each role may open (everything else: 404; kiosk 403, anonymous 302).
SEES = {
    "admin": {"team_x", "team_y", "branch_a", "pool"},
    "supervisor_a": {"branch_a"},
    "agent_x": {"team_x", "pool"},
    "agent_y": {"team_y", "branch_a", "pool"},
    "clerk_a": {"branch_a"},
    "kiosk": set(),
    "anonymous": set(),
}


def write(customer, text, channel, **kwargs):
    return receive_inbound_message(
        customer=customer, channel=channel, body_text=text, actor=None, **kwargs
    ).conversation


@pytest.fixture
def people(make_person, branch, agent_x, agent_y):
    return {
        "admin": make_person(Role.ADMIN),
        "supervisor_a": make_person(Role.SUPERVISOR, branches=[branch]),
        "agent_x": agent_x,
        "agent_y": agent_y,
        "clerk_a": make_person(Role.BRANCH_STAFF, branches=[branch]),
        "kiosk": make_person(Role.KIOSK, branches=[branch]),
        "anonymous": None,
    }


@pytest.fixture
def world(people, customer, other_customer, team_x, team_y, branch):
    conversations = {
        "team_x": write(customer, "tagihan kartu kredit ganda", "email"),
        "team_y": write(other_customer, "rahasia tim keluhan", "sms"),
        "branch_a": write(customer, "antrean di cabang lama", "whatsapp", branch=branch),
        "pool": write(other_customer, "mau buka rekening", "telegram"),
    }
    assign(conversations["team_x"], team=team_x, actor=None)
    assign(conversations["team_y"], team=team_y, actor=None)
    assign(conversations["branch_a"], team=team_y, actor=None)
    return conversations


def ids_in(response, before=""):
    pattern = before + r'data-conversation="(\d+)"'
    return {int(i) for i in re.findall(pattern, response.content.decode())}


def as_role(client, people, role):
    if people[role] is not None:
        client.force_login(people[role])
    return client


def expected_status(role, name):
    if role == "anonymous":
        return 302
    if role == "kiosk":
        return 403
    return 200 if name in SEES[role] else 404


def snapshot():
    """Everything a write through the pages could change."""
    return (
        list(Conversation.objects.order_by("pk").values()),
        Message.objects.count(),
        TimelineEvent.objects.count(),
        OutboxMessage.objects.count(),
        list(Customer.objects.order_by("pk").values("what_matters", "what_matters_tags")),
        list(Conversation.tags.through.objects.order_by("pk").values()),
    )


@pytest.mark.parametrize("role", ROLES)
def test_each_role_opens_only_the_conversations_in_its_scope(client, people, world, role):
    client = as_role(client, people, role)
    for name, conversation in world.items():
        for url in (
            reverse("inbox:conversation", args=[conversation.pk]),
            reverse("inbox:part", args=[conversation.pk, "thread"]),
            reverse("inbox:part", args=[conversation.pk, "side"]),
        ):
            response = client.get(url)
            assert response.status_code == expected_status(role, name), (role, name, url)
            if response.status_code == 302:
                assert response["Location"].startswith(reverse("staff:login"))
            if response.status_code != 200:
                assert conversation.subject not in response.content.decode()
    opened = {name for name in world if expected_status(role, name) == 200}
    read = set(
        ConversationRead.objects.filter(conversation__in=world.values()).values_list(
            "conversation_id", flat=True
        )
    )
    assert read == {world[name].pk for name in opened}


@pytest.mark.parametrize("role", ROLES)
def test_the_inbox_lists_only_what_the_role_may_see(client, people, world, role):
    client = as_role(client, people, role)
    listed: set[int] = set()
    for view in ("mine", "unassigned", "teams", "all"):
        response = client.get(reverse("inbox:inbox") + f"?view={view}")
        if role == "anonymous":
            assert response.status_code == 302
            continue
        if role == "kiosk" or (view == "all" and role in ("agent_x", "agent_y", "clerk_a")):
            assert response.status_code == 403, (role, view)
            continue
        assert response.status_code == 200, (role, view)
        listed |= {
            int(i) for i in re.findall(r'data-conversation="(\d+)"', response.content.decode())
        }
        rows = client.get(reverse("inbox:rows") + f"?view={view}&pages=2")
        assert rows.status_code == 200
        listed |= ids_in(rows)
    allowed = {world[name].pk for name in SEES[role]}
    assert listed <= allowed, (role, listed - allowed)
    if role in ("admin", "supervisor_a"):
        assert listed == allowed  # "Semua" shows everything they oversee


@pytest.mark.parametrize("role", ROLES)
def test_search_finds_only_what_the_role_may_see(client, people, world, customer, role):
    index_customer(customer)
    client = as_role(client, people, role)
    response = client.get(reverse("inbox:search") + "?q=rahasia+tim+keluhan")
    if role == "anonymous":
        assert response.status_code == 302
        return
    if role == "kiosk":
        assert response.status_code == 403
        return
    found = {
        int(i)
        for i in re.findall(
            r'class="search-hit" data-conversation="(\d+)"', response.content.decode()
        )
    }
    assert found == ({world["team_y"].pk} if "team_y" in SEES[role] else set())


def _writes(world, customer):
    """Every form of the conversation page, with valid input."""
    reply = CannedReply.objects.create(title="Salam", body="Halo {nama_pelanggan}")
    return [
        ("compose", {"mode": "reply", "channel": "", "body_text": "Halo dari kami"}),
        ("compose", {"mode": "note", "body_text": "catatan internal"}),
        ("assign", {"to": "me"}),
        ("status", {"status": "resolved"}),
        ("purpose", {"purpose": "complaint", "reason": "Nasabah kecewa"}),
        ("priority", {"priority": "4", "reason": "Nominal besar"}),
        ("tags", {"add": "rahasia"}),
        ("visit", {"visit": ""}),
        ("what_matters", {"what_matters": "Diubah orang luar", "tags": ""}),
        ("canned", reply),
    ]


@pytest.mark.parametrize("role", ROLES)
def test_no_role_changes_a_conversation_outside_its_scope(client, people, world, customer, role):
    client = as_role(client, people, role)
    for name, conversation in world.items():
        if expected_status(role, name) == 200:
            continue
        for form, data in _writes(world, customer):
            before = snapshot()
            if form == "canned":
                response = client.get(reverse("inbox:canned", args=[conversation.pk, data.pk]))
            else:
                url = reverse(f"inbox:{form}", args=[conversation.pk])
                response = client.post(url, data, **HTMX)
            assert response.status_code == expected_status(role, name), (role, name, form)
            assert snapshot() == before, (role, name, form)


def test_merging_pulls_in_nothing_from_outside_the_scope(client, people, world, customer):
    """Agent X may see team X's conversation, not the branch A one of the same customer."""
    client.force_login(people["agent_x"])
    before = snapshot()
    response = client.post(
        reverse("inbox:merge", args=[world["team_x"].pk]), {"other": world["branch_a"].pk}, **HTMX
    )
    assert response.status_code == 422  # "not found", on the form's field
    assert 'data-form="merge" data-field="other"' in response.content.decode()
    assert snapshot() == before
    page = client.get(reverse("inbox:conversation", args=[world["team_x"].pk])).content.decode()
    assert f"L-{world['branch_a'].pk}" not in page  # not offered, not listed as open


def test_agents_in_scope_may_change_it(client, people, world):
    """The matrix's other side: a permitted write goes through."""
    client.force_login(people["agent_y"])
    response = client.post(
        reverse("inbox:status", args=[world["branch_a"].pk]), {"status": "pending"}, **HTMX
    )
    assert response.status_code == 200
    world["branch_a"].refresh_from_db()
    assert world["branch_a"].status == "pending"
