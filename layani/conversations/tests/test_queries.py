from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from layani.conversations.actions import (
    add_message,
    add_note,
    assign,
    change_status,
    change_tags,
    mark_read,
    receive_inbound_message,
    reply,
    start_conversation,
)
from layani.conversations.models import Conversation
from layani.conversations.queries import (
    InboxFilters,
    access_conversation,
    conversation_thread,
    conversations_for,
    inbox,
)
from layani.core.errors import InvalidInput, NotFound
from layani.customers.actions import CustomerDetails, create_customer
from layani.staff.models import Role

pytestmark = pytest.mark.django_db


def write(customer, text="Halo", channel="whatsapp", **kwargs):
    return receive_inbound_message(
        customer=customer, channel=channel, body_text=text, actor=None, **kwargs
    ).conversation


def due_in(conversation, hours):
    Conversation.objects.filter(pk=conversation.pk).update(
        due_at=timezone.now() + timedelta(hours=hours)
    )


def ids(page):
    return [row.conversation.pk for row in page.items]


@pytest.fixture
def people(make_person, branch, other_branch, agent_x, agent_y):
    clerk_a = make_person(Role.BRANCH_STAFF, branches=[branch], name="Teller A")
    return {
        "admin": make_person(Role.ADMIN),
        "agent_x": agent_x,
        "agent_y": agent_y,
        "supervisor_a": make_person(Role.SUPERVISOR, branches=[branch]),
        "supervisor_b": make_person(Role.SUPERVISOR, branches=[other_branch]),
        "clerk_a": clerk_a,
        "technician": make_person(Role.TECHNICIAN),
        "kiosk": make_person(Role.KIOSK, branches=[branch]),
    }


@pytest.fixture
def world(people, customer, team_x, team_y, branch, other_branch):
    conversations = {
        "pool": write(customer, channel="email"),
        "team_x": write(customer, channel="sms"),
        "team_y": write(customer, channel="telegram"),
        "mine_x": write(customer, channel="instagram"),
        "branch_a": write(customer, channel="in_person", branch=branch),
        "branch_b": write(customer, channel="webchat", branch=other_branch),
        "clerk_a": write(customer, channel="messenger"),
    }
    assign(conversations["team_x"], team=team_x, actor=None)
    assign(conversations["team_y"], team=team_y, actor=None)
    assign(conversations["mine_x"], assignee=people["agent_x"].staff, actor=None)
    assign(conversations["branch_a"], team=team_y, actor=None)
    assign(conversations["branch_b"], team=team_y, actor=None)
    assign(conversations["clerk_a"], assignee=people["clerk_a"].staff, actor=None)
    # Held by people outside the conversation's team (moved to team Y after they took it):
    # they still see it because they hold it, not through the team.
    Conversation.objects.filter(pk__in=[conversations[k].pk for k in ("mine_x", "clerk_a")]).update(
        team=team_y
    )
    return conversations


SEES = {
    "admin": {"pool", "team_x", "team_y", "mine_x", "branch_a", "branch_b", "clerk_a"},
    "agent_x": {"pool", "team_x", "mine_x"},
    "agent_y": {"pool", "team_y", "mine_x", "branch_a", "branch_b", "clerk_a"},
    "supervisor_a": {"branch_a", "clerk_a"},
    "supervisor_b": {"branch_b"},
    "clerk_a": {"branch_a", "clerk_a"},
    "technician": set(),
    "kiosk": set(),
}


@pytest.mark.parametrize("who", sorted(SEES))
def test_each_role_sees_exactly_its_conversations(people, world, who):
    user = people[who]
    seen = set(conversations_for(user).values_list("pk", flat=True))
    assert seen == {world[name].pk for name in SEES[who]}
    hidden = set(world) - SEES[who]
    for name in hidden:
        with pytest.raises(NotFound):
            access_conversation(user, world[name].pk)


def test_the_inbox_views(people, world):
    def names(user, view, **filters):
        page = inbox(people[user], view=view, filters=InboxFilters(**filters))
        return {n for n, c in world.items() if c.pk in ids(page)}

    assert names("agent_x", "mine") == {"mine_x"}
    assert names("agent_x", "unassigned") == {"pool", "team_x"}
    assert names("agent_x", "teams") == {"team_x"}
    assert names("agent_x", "all") == {"pool", "team_x", "mine_x"}
    assert names("agent_y", "teams") == {"team_y", "mine_x", "branch_a", "branch_b", "clerk_a"}
    assert names("admin", "unassigned") == {"pool", "team_x", "team_y", "branch_a", "branch_b"}
    assert names("admin", "mine") == set()
    assert names("clerk_a", "mine") == {"clerk_a"}
    assert names("admin", "all", channel="sms") == {"team_x"}
    assert names("admin", "all", branch_id=world["branch_a"].branch_id) == {"branch_a"}
    assert names("admin", "all", assignee_id=people["agent_x"].staff.pk) == {"mine_x"}


def test_the_inbox_shows_what_is_due_first_and_active_ones_unless_asked(people, world, agent):
    for hours, name in enumerate(["branch_b", "pool", "team_y", "mine_x", "team_x", "clerk_a"]):
        due_in(world[name], hours)
    change_status(world["branch_a"], status="resolved", actor=None)
    admin = people["admin"]
    assert ids(inbox(admin)) == [
        world[n].pk for n in ["branch_b", "pool", "team_y", "mine_x", "team_x", "clerk_a"]
    ]
    resolved = inbox(admin, filters=InboxFilters(status="resolved"))
    assert ids(resolved) == [world["branch_a"].pk]


def test_keyset_pages_cover_the_inbox_once_in_order(people, world):
    admin = people["admin"]
    for hours, conversation in enumerate(world.values()):
        due_in(conversation, hours % 3)  # ties on due_at are broken by id
    expected = list(Conversation.objects.order_by("due_at", "id").values_list("pk", flat=True))
    seen, cursor = [], None
    while True:
        page = inbox(admin, cursor=cursor, limit=2)
        seen += ids(page)
        cursor = page.next_cursor
        if cursor is None:
            break
    assert seen == expected
    with pytest.raises(InvalidInput):
        inbox(admin, cursor="bm90IGEgY3Vyc29y")


def test_pages_hold_the_active_conversations_when_finished_ones_are_due_before_them(people, world):
    """A page's rows are picked first and read with their joins after (`keyset_page`'s
    `rows_of`): the picking must test each conversation's own status and tags, not the row
    of the query around it."""
    admin = people["admin"]
    conversations = sorted(world.values(), key=lambda c: c.pk)
    for conversation in conversations[:3]:
        change_status(conversation, status="resolved", actor=None)
    for conversation in conversations[::2]:
        change_tags(conversation, add=["vip"], actor=None)
    for hours, conversation in enumerate(conversations):  # the finished ones due first
        due_in(conversation, hours)

    def every_page(filters: InboxFilters) -> list[int]:
        seen, cursor = [], None
        while True:
            page = inbox(admin, filters=filters, cursor=cursor, limit=2)
            assert len(page.items) == 2 or page.next_cursor is None
            seen += ids(page)
            cursor = page.next_cursor
            if cursor is None:
                return seen

    active = conversations[3:]
    assert every_page(InboxFilters()) == [c.pk for c in active]
    assert every_page(InboxFilters(tag="vip")) == [c.pk for c in active if c in conversations[::2]]


def test_a_view_that_holds_nothing_reads_no_conversation(people, world):
    with CaptureQueriesContext(connection) as queries:
        page = inbox(people["admin"], view="teams")  # the admin is in no team
    assert page.items == [] and page.next_cursor is None
    assert not any('"conversations_conversation"' in q["sql"] for q in queries.captured_queries)


def test_resolved_and_closed_lists_show_the_latest_worked_on_first(people, world):
    admin = people["admin"]
    done = list(world.values())[:5]
    for n, conversation in enumerate(done):
        due_in(conversation, -100 + n)  # long overdue, the first most
        change_status(conversation, status="resolved", actor=None)
        Conversation.objects.filter(pk=conversation.pk).update(
            updated_at=timezone.now() - timedelta(hours=10 - n)
        )
    expected = [c.pk for c in reversed(done)]  # the last resolved first
    seen, cursor = [], None
    while True:
        page = inbox(admin, filters=InboxFilters(status="resolved"), cursor=cursor, limit=2)
        seen += ids(page)
        cursor = page.next_cursor
        if cursor is None:
            break
    assert seen == expected


def test_filters_by_purpose_priority_tag_and_bad_values(people, world):
    admin = people["admin"]
    change_tags(world["pool"], add=["Kartu Hilang"], actor=None)
    # Typed as when tagging: the same tag however it is spelled.
    assert ids(inbox(admin, filters=InboxFilters(tag=" Kartu  Hilang "))) == [world["pool"].pk]
    assert ids(inbox(admin, filters=InboxFilters(tag="KARTU-HILANG"))) == [world["pool"].pk]
    assert ids(inbox(admin, filters=InboxFilters(tag="kartu"))) == []
    assert ids(inbox(admin, filters=InboxFilters(tag="belum-ada"))) == []
    change_tags(world["pool"], remove=["kartu-hilang"], actor=None)
    assert ids(inbox(admin, filters=InboxFilters(tag="kartu-hilang"))) == []
    assert ids(inbox(admin, filters=InboxFilters(purpose="complaint"))) == []
    assert len(inbox(admin, filters=InboxFilters(priority=2)).items) == 7
    for bad in (
        InboxFilters(status="archived"),
        InboxFilters(channel="pigeon"),
        InboxFilters(priority=7),
    ):
        with pytest.raises(InvalidInput):
            inbox(admin, filters=bad)
    with pytest.raises(InvalidInput) as caught:
        inbox(admin, view="everything")
    assert caught.value.field == "view"


def test_unread_follows_the_customers_messages_and_the_agents_reading(customer, agent_x, team_x):
    conversation = write(customer, "Kartu saya tertelan")
    assign(conversation, team=team_x, actor=None)

    def row():
        [only] = inbox(agent_x).items
        return only

    assert row().unread
    assert row().last_message_preview == "Kartu saya tertelan"
    mark_read(conversation, actor=agent_x)
    assert not row().unread
    reply(conversation, body_text="Baik, kami blokir dulu", actor=agent_x)
    add_note(conversation, body_text="Catatan internal " * 20, actor=agent_x)
    assert not row().unread
    assert row().last_message_preview == "Baik, kami blokir dulu"  # notes are not previewed
    write(customer, "x" * 500)
    assert row().unread
    assert row().last_message_preview == "x" * 160
    # A message that arrives late (a channel's retry) changes neither the newest line
    # nor when the customer last wrote.
    newest = Conversation.objects.get(pk=conversation.pk).last_inbound_at
    receive_inbound_message(
        customer=customer,
        channel="whatsapp",
        body_text="Pesan lama yang tertunda",
        received_at=newest - timedelta(hours=1),
        actor=None,
    )
    assert row().last_message_preview == "x" * 160
    assert Conversation.objects.get(pk=conversation.pk).last_inbound_at == newest
    assert Conversation.objects.get(pk=conversation.pk).last_message_at == newest


def _populate(customers, team, agent, n):
    for i in range(n):
        conversation = start_conversation(
            customer=customers[i % len(customers)], channel="email", actor=None
        )
        add_message(conversation, direction="in", body_text=f"Pesan {i}", actor=None)
        assign(conversation, team=team, assignee=agent.staff if i % 2 else None, actor=None)
        change_tags(conversation, add=[f"tag{i % 3}", "umum"], actor=None)
        reply(conversation, body_text="Balasan", actor=agent)
        if i % 3 == 0:
            mark_read(conversation, actor=agent)


def test_the_inbox_costs_the_same_number_of_queries_at_any_size(agent_x, team_x):
    customers = [
        create_customer(
            CustomerDetails.from_values(
                {"full_name": f"Nasabah {i}", "email": f"nasabah{i}@contoh.co.id"}
            ),
            actor=None,
        )
        for i in range(5)
    ]
    _populate(customers, team_x, agent_x, 3)
    counts = {}
    for size in ("small", "large"):
        if size == "large":
            _populate(customers, team_x, agent_x, 30)
        fresh = type(agent_x).objects.get(pk=agent_x.pk)  # nothing cached on the user
        with CaptureQueriesContext(connection) as queries:
            page = inbox(fresh, view="all", limit=20)
            [
                (row.conversation.customer.full_name, row.conversation.team.name, row.tags)
                for row in page.items
            ]
        counts[size] = len(queries)
    assert len(page.items) == 20
    # The user's staff profile, their teams, their branches, the page, the page's tags.
    assert counts["small"] == counts["large"] == 5


def test_the_thread_merges_messages_notes_and_events_in_time_order(
    customer, agent_x, team_x, django_assert_num_queries
):
    conversation = write(customer, "Kartu saya tertelan")
    assign(conversation, team=team_x, assignee=agent_x.staff, actor=agent_x)
    add_note(conversation, body_text="Cek ATM Sudirman", actor=agent_x)
    reply(conversation, body_text="Kami bantu blokir", actor=agent_x)
    change_status(conversation, status="pending", actor=agent_x)
    write(customer, "Terima kasih", channel="whatsapp")

    thread = conversation_thread(agent_x, conversation.pk)
    lines = [e.message.body_text if e.message else e.event.kind for e in thread.entries]
    assert lines == [
        "conversation_created",
        "Kartu saya tertelan",
        "assigned",
        "Cek ATM Sudirman",
        "Kami bantu blokir",
        "status_changed",  # new → open by the reply
        "status_changed",  # open → pending
        "Terima kasih",
        "status_changed",  # pending → open: the customer wrote again
    ]
    assert thread.customer.customer == customer
    assert thread.reply_channels[:2] == ["whatsapp", "email"]
    assert "sms" in thread.reply_channels  # the WhatsApp number can take an SMS


def test_the_thread_starts_before_a_first_message_sent_before_it_reached_us(customer, agent_x):
    """A provider delivers a message minutes after the customer sent it: the conversation
    still starts with it, not after it."""
    sent = timezone.now() - timedelta(minutes=7)
    conversation = write(customer, "Kartu saya tertelan", received_at=sent)
    thread = conversation_thread(agent_x, conversation.pk)
    lines = [e.message.body_text if e.message else e.event.kind for e in thread.entries]
    assert lines[:2] == ["conversation_created", "Kartu saya tertelan"]


def test_the_thread_costs_the_same_number_of_queries_at_any_length(customer, agent_x, team_x):
    conversation = write(customer, "Halo")
    assign(conversation, team=team_x, actor=None)
    counts = []
    for extra in (1, 25):
        for i in range(extra):
            add_note(conversation, body_text=f"catatan {i}", actor=agent_x)
            reply(conversation, body_text=f"balasan {i}", actor=agent_x)
            change_tags(conversation, add=[f"t{i % 5}"], actor=agent_x)
        fresh = type(agent_x).objects.get(pk=agent_x.pk)
        with CaptureQueriesContext(connection) as queries:
            thread = conversation_thread(fresh, conversation.pk)
            names = [
                entry.message.author.display_name
                if entry.message and entry.message.author
                else entry.event.actor.staff.display_name
                if entry.event and entry.event.actor
                else ""
                for entry in thread.entries
            ]
        counts.append(len(queries))
    assert "Sari Agen" in names
    assert counts[0] == counts[1]
