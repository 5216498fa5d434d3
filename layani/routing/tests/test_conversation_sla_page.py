"""The SLA block of the conversation page: the policy, each target's time left or lateness
coloured like the inbox, paused while the customer is awaited, "met at" once met; refreshed
with the controls part; a fixed number of queries."""

import re

import pytest
from django.urls import reverse
from django.utils import translation

from layani.conversations.actions import change_status, receive_inbound_message, reply
from layani.conversations.tests.pages import count_queries, html_of
from layani.customers.actions import CustomerDetails, create_customer

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def in_english():
    with translation.override("en"):
        yield


@pytest.fixture
def signed_in(client, agent):
    client.force_login(agent)
    return client


def customer(n=0):
    return create_customer(
        CustomerDetails.from_values({"full_name": f"Nasabah {n}", "whatsapp": f"08123450{n:04d}"}),
        actor=None,
    )


def write(person, text="Halo"):
    return receive_inbound_message(
        customer=person, channel="whatsapp", body_text=text, actor=None
    ).conversation


def page(client, conversation):
    response = client.get(reverse("inbox:conversation", args=[conversation.pk]))
    assert response.status_code == 200
    return html_of(response)


def controls(client, conversation):
    url = reverse("inbox:part", args=[conversation.pk, "controls"])
    response = client.get(url, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    return html_of(response)


def targets(html):
    """{target: (status, due class, minutes left or late)} of the SLA block."""
    block = re.search(r'<div class="conv-sla".*?</div>', html, re.S)
    assert block is not None, "no SLA block"
    found = re.findall(
        r'<li class="conv-sla-target due-(\w+)" data-sla-target="(\w+)" '
        r'data-sla-status="(\w+)" data-sla-colour="\w+" data-minutes="(\d+)"',
        block.group(0),
    )
    return {target: (status, due, int(minutes)) for due, target, status, minutes in found}


def test_the_page_shows_the_policy_and_time_left_then_amber_then_red(
    clock, office_calendar, make_policy, signed_in
):
    make_policy("Keluhan 1 jam", warn_before_minutes=15)
    conversation = write(customer())  # Monday 09:00 WIB
    clock.advance(minutes=20)
    html = page(signed_in, conversation)
    assert re.search(r'id="sla-policy">Keluhan 1 jam<', html)
    assert targets(html) == {
        "first_response": ("running", "later", 40),
        "resolution": ("running", "later", 460),
    }
    # Working time, which the header's wall-clock time left is not, and the instant both
    # count to (after the lunch break and the night: Tuesday 09.00).
    line = re.search(r'data-sla-target="resolution".*?<time[^>]*>([^<]*)<', html, re.S)
    assert line is not None
    assert line.group(1) == "sisa waktu kerja 7 jam 40 mnt, paling lambat 11/03/2025 09.00 WIB"

    clock.advance(minutes=30)  # 09:50: ten minutes left, inside the warning
    assert targets(controls(signed_in, conversation))["first_response"] == (
        "running",
        "soon",
        10,
    )

    clock.advance(minutes=15)  # 10:05: five minutes late
    assert targets(controls(signed_in, conversation))["first_response"] == (
        "breached",
        "overdue",
        5,
    )


def test_met_targets_say_when_and_pending_pauses_the_clock(
    clock, office_calendar, make_policy, signed_in, agent
):
    make_policy("Standar")
    conversation = write(customer())
    clock.advance(minutes=12)
    reply(conversation, body_text="Baik, kami cek", actor=agent)  # 09:12
    change_status(conversation, status="pending", actor=agent)
    clock.advance(minutes=60)  # the customer is awaited: the resolution clock stands still
    html = controls(signed_in, conversation)
    assert 'data-paused="true"' in html
    assert targets(html) == {
        "first_response": ("met", "later", 0),
        "resolution": ("paused", "later", 468),
    }
    assert re.search(
        r'data-met-at="2025-03-10T09:12:00\+07:00"[^>]*>.*?<time[^>]*>[^<]*09\.12 WIB<', html, re.S
    )

    write(conversation.customer, "Ini fotonya")  # the customer answers: the clock runs again
    clock.advance(minutes=10)
    html = controls(signed_in, conversation)
    assert 'data-paused="true"' not in html
    shown = targets(html)
    assert shown["resolution"] == ("running", "later", 458)
    assert shown["next_response"] == ("running", "later", 110)


def test_a_resolved_conversation_is_not_said_to_wait_on_the_customer(
    clock, office_calendar, make_policy, signed_in, agent
):
    make_policy("Standar")
    conversation = write(customer())
    change_status(conversation, status="pending", actor=agent)
    assert 'id="sla-paused"' in controls(signed_in, conversation)
    change_status(conversation, status="resolved", actor=agent)
    html = controls(signed_in, conversation)
    assert 'id="sla-policy">Standar<' in html
    assert 'id="sla-paused"' not in html and "waiting on the customer" not in html


def test_no_policy_no_block(clock, signed_in):
    conversation = write(customer())
    assert 'id="conversation-sla"' not in page(signed_in, conversation)


def test_the_block_costs_the_same_queries_however_many_conversations(
    clock, office_calendar, make_policy, signed_in, agent
):
    make_policy("Standar")
    first = write(customer(0))
    small = count_queries(signed_in, reverse("inbox:conversation", args=[first.pk]))
    for n in range(1, 8):
        other = write(customer(n))
        reply(other, body_text="Siap", actor=agent)
    reply(first, body_text="Siap", actor=agent)
    write(first.customer, "Terima kasih")
    assert count_queries(signed_in, reverse("inbox:conversation", args=[first.pk])) == small
