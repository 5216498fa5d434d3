"""Routing decisions in the conversation's thread, each with its own kind and its words:
assigned automatically (skill, load, priority customer, rule), continuity kept or broken
(with the customer's count), held for the customer's person, and the SLA escalation."""

import re
from html import unescape

import pytest
from django.urls import reverse
from django.utils import translation

from layani.conversations.models import EventKind
from layani.routing.agent_status import set_agent_status
from layani.routing.auto_assign import route_conversation
from layani.routing.tests.assignment_world import (
    in_team,
    make_agent,
    make_customer,
    make_team,
    write_in,
)
from layani.staff.models import Role

pytestmark = pytest.mark.django_db


def thread_events(client, conversation, language="en"):
    """[(kind, text)] of the thread's event rows, in order, read in `language`."""
    response = client.get(reverse("inbox:conversation", args=[conversation.pk]), {"lang": language})
    assert response.status_code == 200
    html = response.content.decode()
    rows = re.findall(
        r'<li class="ev ev-\w+" data-event="(\w+)">.*?(?:<span class="ev-text">(.*?)</span>)?\s*'
        r'<span class="ev-meta',
        html,
        re.S,
    )
    return [(kind, unescape(text)) for kind, text in rows]


@pytest.fixture
def admin_client(client):
    boss = make_agent(None, "Bu Dewi", role=Role.ADMIN)
    client.force_login(boss.user)
    return client


def test_the_thread_explains_assignment_and_continuity(admin_client):
    team = make_team("Keluhan")
    sari = make_agent(team, "Sari")
    make_agent(team, "Budi")
    customer = make_customer(preferred_staff=sari)
    with translation.override("en"):
        first = in_team(write_in(customer), team)
        route_conversation(first)
        set_agent_status(sari, status="on_break", actor=None)
        second = in_team(write_in(customer, channel="email"), team)
        route_conversation(second)

    shown = thread_events(admin_client, first)
    kinds = [kind for kind, _text in shown]
    # The assignment first, then what it meant for continuity.
    assert kinds[-2:] == [EventKind.AUTO_ASSIGNED, EventKind.CONTINUITY_HONOURED]
    assigned = dict(shown)[EventKind.AUTO_ASSIGNED]
    assert assigned.startswith("Assigned to Sari: the customer's preferred staff member")
    assert "load 1/3" in assigned
    assert dict(shown)[EventKind.CONTINUITY_HONOURED] == (
        "Sari again: the customer's preferred staff member."
    )

    shown = dict(thread_events(admin_client, second))
    assert shown[EventKind.AUTO_ASSIGNED].startswith("Assigned to Budi: continuity broken")
    assert shown[EventKind.CONTINUITY_BROKEN] == (
        "Sari (the customer's preferred staff member) on a break: "
        "continuity broken for this customer 1 time."
    )


def test_routing_rows_read_in_the_readers_language_whoever_wrote_them(admin_client):
    """Decided by a worker running in English, read on an Indonesian page, and the other
    way round: the words come from the row's facts, not from the worker's language."""
    team = make_team("Keluhan")
    sari = make_agent(team, "Sari")
    make_agent(team, "Budi")
    customer = make_customer(preferred_staff=sari)
    with translation.override("en"):
        first = in_team(write_in(customer), team)
        route_conversation(first)
    set_agent_status(sari, status="on_break", actor=None)
    with translation.override("id"):
        second = in_team(write_in(customer, channel="email"), team)
        route_conversation(second)

    shown = dict(thread_events(admin_client, first, "id"))
    assert shown[EventKind.AUTO_ASSIGNED].startswith(
        "Ditugaskan ke Sari: petugas pilihan pelanggan"
    )
    assert shown[EventKind.CONTINUITY_HONOURED] == "Kembali ke Sari: petugas pilihan pelanggan."
    shown = dict(thread_events(admin_client, second, "en"))
    assert shown[EventKind.AUTO_ASSIGNED].startswith("Assigned to Budi: continuity broken")
    assert "on a break" in shown[EventKind.CONTINUITY_BROKEN]
