"""What the inbox and the back office show of SLAs: a badge per row (time left, colour) in a
fixed number of queries, and the admin pages."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test.utils import CaptureQueriesContext

from layani.conversations.actions import change_status, receive_inbound_message, reply
from layani.conversations.models import Conversation
from layani.customers.actions import CustomerDetails, create_customer
from layani.routing.models import SlaPolicy
from layani.routing.sla_queries import sla_badges
from layani.routing.sla_sweep import run_sla_sweep

pytestmark = pytest.mark.django_db


def customers(n: int, start: int = 0):
    return [
        create_customer(
            CustomerDetails.from_values(
                {"full_name": f"Nasabah {i}", "whatsapp": f"0812345{i:05d}"}
            ),
            actor=None,
        )
        for i in range(start, start + n)
    ]


def write(customer):
    return receive_inbound_message(
        customer=customer, channel="whatsapp", body_text="Halo", actor=None
    ).conversation


def test_badges_show_time_left_and_turn_amber_then_red(clock, office_calendar, make_policy, agent):
    make_policy(warn_before_minutes=15)
    calm, close, late, paused = (write(c) for c in customers(4))
    reply(paused, body_text="Mohon kirim foto", actor=agent)
    change_status(paused, status="pending", actor=agent)
    clock.advance(minutes=10)
    reply(calm, body_text="Siap", actor=agent)
    clock.advance(minutes=40)  # 09:50
    run_sla_sweep(now=clock.now)
    badges = sla_badges(list(Conversation.objects.order_by("pk")), now=clock.now)
    assert badges[calm.pk].target == "resolution"
    assert badges[calm.pk].colour == "ok"
    assert badges[close.pk].colour == "warning"
    assert badges[close.pk].time_left == timedelta(minutes=10)
    assert badges[paused.pk].status == "paused"
    assert badges[paused.pk].colour == "ok"

    clock.advance(minutes=15)  # 10:05: five minutes late
    run_sla_sweep(now=clock.now)
    badges = sla_badges(list(Conversation.objects.order_by("pk")), now=clock.now)
    assert badges[late.pk].colour == "breached"
    assert badges[late.pk].late_by == timedelta(minutes=5)
    assert badges[late.pk].time_left == timedelta(0)


def test_badges_cost_two_queries_for_any_page(clock, office_calendar, make_policy):
    make_policy()
    people = customers(15)
    for customer in people[:3]:
        write(customer)
    counts = []
    for size in (3, 15):
        for customer in people[3:size]:
            write(customer)
        page = list(Conversation.objects.order_by("pk")[:size])
        assert len(page) == size
        with CaptureQueriesContext(connection) as queries:
            badges = sla_badges(page, now=clock.now)
        assert len(badges) == size
        counts.append(len(queries))
    assert counts == [2, 2]


@pytest.fixture
def back_office(client):
    user = User.objects.create_superuser("boss", password="rahasia-uji-123")
    client.force_login(user)
    return client


def test_the_back_office_edits_calendars_and_policies(back_office, office_calendar):
    assert back_office.get("/admin/routing/businesscalendar/").status_code == 200
    assert (
        back_office.get(f"/admin/routing/businesscalendar/{office_calendar.pk}/change/").status_code
        == 200
    )
    assert back_office.get("/admin/routing/slapolicy/add/").status_code == 200
    assert back_office.get("/admin/routing/conversationsla/").status_code == 200
    refused = back_office.post(
        "/admin/routing/slapolicy/add/",
        {
            "name": "Salah",
            "order": "1",
            "channels": '["merpati"]',
            "purposes": "[]",
            "priorities": "[]",
            "customer_statuses": "[]",
            "tiers": "[]",
            "first_response_minutes": "60",
            "warn_before_minutes": "30",
        },
    )
    assert refused.status_code == 200  # the form again, with the error
    assert not SlaPolicy.objects.exists()
    saved = back_office.post(
        "/admin/routing/slapolicy/add/",
        {
            "name": "Standar",
            "order": "1",
            "is_active": "on",
            "channels": '["email"]',
            "purposes": "[]",
            "priorities": "[]",
            "customer_statuses": "[]",
            "tiers": "[]",
            "first_response_minutes": "60",
            "warn_before_minutes": "30",
            "calendar": str(office_calendar.pk),
        },
    )
    assert saved.status_code == 302, saved.content.decode()[:2000]
    assert SlaPolicy.objects.get().channels == ["email"]
