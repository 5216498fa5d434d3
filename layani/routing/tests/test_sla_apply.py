"""SLA policies applied by the conversation actions: which policy, which calendar, the due
instants, and the inbox's due time following them."""

from datetime import datetime

import pytest

from layani.branches.models import Branch
from layani.conversations.actions import (
    change_priority,
    change_purpose,
    change_status,
    receive_inbound_message,
    reply,
    start_conversation,
)
from layani.conversations.due import response_target
from layani.customers.models import Customer
from layani.routing.models import BusinessCalendar, ClosedDay, ConversationSla
from layani.routing.sla import apply_sla, expected_answer_at, policy_for
from layani.routing.tests.conftest import OFFICE_HOURS, wib

pytestmark = pytest.mark.django_db


def write(customer, text="Halo, kartu saya terblokir", channel="whatsapp", **kwargs):
    return receive_inbound_message(
        customer=customer, channel=channel, body_text=text, actor=None, **kwargs
    ).conversation


def sla_of(conversation) -> ConversationSla:
    return ConversationSla.objects.get(pk=conversation.pk)


def test_without_a_policy_conversations_keep_the_default_due_time(sla_customer, clock):
    conversation = write(sla_customer)
    conversation.refresh_from_db()
    assert conversation.due_at == clock.now + response_target(conversation.priority)
    assert not ConversationSla.objects.exists()


def test_a_message_on_friday_evening_is_due_on_monday_morning(
    sla_customer, clock, office_calendar, make_policy
):
    make_policy()
    clock.set(wib(2025, 3, 7, 19, 0))
    conversation = write(sla_customer)
    conversation.refresh_from_db()
    sla = sla_of(conversation)
    assert sla.first_contact_at == wib(2025, 3, 7, 19, 0)
    assert sla.first_response_due_at == wib(2025, 3, 10, 9, 0)
    assert sla.resolution_due_at == wib(2025, 3, 10, 17, 0)
    assert sla.next_response_due_at is None
    # The inbox's "due first" follows the nearest SLA due instant.
    assert conversation.due_at == wib(2025, 3, 10, 9, 0)
    # The sweep looks again when the warning is due (15 business minutes before).
    assert sla.next_check_at == wib(2025, 3, 10, 8, 45)


def test_the_first_reply_meets_the_target_and_the_inbox_follows_the_resolution(
    sla_customer, clock, office_calendar, make_policy, agent
):
    make_policy()
    conversation = write(sla_customer)
    clock.advance(minutes=20)
    reply(conversation, body_text="Baik, kami bantu", actor=agent)
    conversation.refresh_from_db()
    sla = sla_of(conversation)
    assert conversation.first_response_at == wib(2025, 3, 10, 9, 20)
    assert sla.first_response_breached_at is None
    assert conversation.due_at == sla.resolution_due_at == wib(2025, 3, 11, 9, 0)


def test_a_late_reply_is_recorded_as_a_breach(
    sla_customer, clock, office_calendar, make_policy, agent
):
    make_policy()
    conversation = write(sla_customer)
    clock.advance(minutes=90)
    reply(conversation, body_text="Maaf menunggu", actor=agent)
    sla = sla_of(conversation)
    assert sla.first_response_breached_at == wib(2025, 3, 10, 10, 0)


def test_waiting_on_the_customer_pauses_and_their_reply_restarts_the_clock(
    sla_customer, clock, office_calendar, make_policy, agent
):
    make_policy()
    conversation = write(sla_customer)
    clock.advance(minutes=30)
    reply(conversation, body_text="Mohon kirim foto kartu", actor=agent)
    clock.advance(minutes=30)  # 10:00: one hour of the resolution target has run
    change_status(conversation, status="pending", actor=agent)
    sla = sla_of(conversation)
    assert sla.paused_since == wib(2025, 3, 10, 10, 0)
    assert sla.next_check_at is None  # nothing ticks while paused
    conversation.refresh_from_db()
    assert conversation.due_at > clock.now  # the default "look again" time

    clock.set(wib(2025, 3, 12, 10, 0))  # two days later, the customer answers
    write(sla_customer, "Ini fotonya")
    conversation.refresh_from_db()
    sla = sla_of(conversation)
    assert conversation.status == "open"
    assert sla.paused_since is None
    paused = [[datetime.fromisoformat(moment) for moment in pause] for pause in sla.pauses]
    assert paused == [[wib(2025, 3, 10, 10, 0), wib(2025, 3, 12, 10, 0)]]
    # Seven business hours were left: Wednesday 10-12 and 13-17, Thursday 08-09.
    assert sla.resolution_due_at == wib(2025, 3, 13, 9, 0)
    assert sla.next_response_due_at == wib(2025, 3, 12, 12, 0)
    assert conversation.due_at == sla.next_response_due_at


def test_a_next_response_answered_late_is_counted(
    sla_customer, clock, office_calendar, make_policy, agent
):
    make_policy()
    conversation = write(sla_customer)
    reply(conversation, body_text="Halo", actor=agent)
    clock.advance(minutes=10)
    write(sla_customer, "Masih belum bisa")
    clock.advance(hours=3)
    reply(conversation, body_text="Sudah kami perbaiki", actor=agent)
    sla = sla_of(conversation)
    assert (sla.next_responses, sla.next_response_breaches) == (1, 1)
    assert sla.next_response_due_at is None
    assert sla.next_response_since is None


def test_raising_the_priority_moves_to_the_urgent_policy(
    sla_customer, clock, office_calendar, make_policy, agent
):
    make_policy("Mendesak", order=1, priorities=[4], first_response_minutes=15)
    make_policy("Standar", order=2)
    conversation = write(sla_customer)
    assert sla_of(conversation).first_response_due_at == wib(2025, 3, 10, 10, 0)
    change_priority(conversation, priority=4, reason="Kartu ditelan ATM", actor=agent)
    conversation.refresh_from_db()
    sla = sla_of(conversation)
    assert sla.policy.name == "Mendesak"
    assert sla.first_response_due_at == wib(2025, 3, 10, 9, 15)
    assert conversation.due_at == wib(2025, 3, 10, 9, 15)


def test_correcting_the_purpose_moves_to_the_complaint_policy(
    sla_customer, clock, office_calendar, make_policy, agent
):
    make_policy("Keluhan", order=1, purposes=["complaint"], resolution_minutes=4 * 60)
    make_policy("Standar", order=2)
    conversation = write(sla_customer)
    change_purpose(conversation, purpose="complaint", reason="Nasabah mengeluh", actor=agent)
    sla = sla_of(conversation)
    assert sla.policy.name == "Keluhan"
    assert sla.resolution_due_at == wib(2025, 3, 10, 14, 0)


def test_a_conversation_staff_open_themselves_has_a_resolution_target_only(
    sla_customer, clock, office_calendar, make_policy, agent
):
    make_policy()
    conversation = start_conversation(
        customer=sla_customer, channel="phone", purpose="complaint", actor=agent
    )
    conversation.refresh_from_db()
    sla = sla_of(conversation)
    assert sla.first_response_due_at is None
    assert sla.resolution_due_at == wib(2025, 3, 11, 9, 0)
    assert conversation.due_at == sla.resolution_due_at


def test_resolving_stops_the_clock_and_a_late_resolution_is_a_breach(
    sla_customer, clock, office_calendar, make_policy, agent
):
    make_policy()
    conversation = write(sla_customer)
    reply(conversation, body_text="Halo", actor=agent)
    clock.set(wib(2025, 3, 12, 9, 0))
    change_status(conversation, status="resolved", actor=agent)
    sla = sla_of(conversation)
    assert sla.resolution_breached_at == wib(2025, 3, 11, 9, 0)
    assert sla.next_check_at is None


def test_policies_match_by_channel_purpose_priority_segment_and_branch_in_order(
    sla_customer, clock, make_policy
):
    jakarta = Branch.objects.create(code="jkt", name="Jakarta")
    surabaya = Branch.objects.create(code="sby", name="Surabaya")
    inactive = make_policy("Nonaktif", order=0, is_active=False)
    gold = make_policy("Emas", order=1, tiers=["gold", "platinum"])
    prospect = make_policy("Calon", order=2, customer_statuses=["prospect"])
    email = make_policy("Email Surabaya", order=3, channels=["email"], branches=(surabaya,))
    anything = make_policy("Lainnya", order=9)
    conversation = write(sla_customer, channel="email", branch=jakarta)
    assert policy_for(conversation).id == anything.id
    conversation.branch = surabaya
    assert policy_for(conversation).id == email.id
    Customer.objects.filter(pk=sla_customer.pk).update(status="prospect")
    conversation.customer = Customer.objects.get(pk=sla_customer.pk)
    assert policy_for(conversation).id == prospect.id
    Customer.objects.filter(pk=sla_customer.pk).update(tier="gold")
    conversation.customer = Customer.objects.get(pk=sla_customer.pk)
    assert policy_for(conversation).id == gold.id
    assert inactive.id not in {policy_for(conversation).id}


def test_the_calendar_is_the_policy_s_then_the_branch_s_then_the_default_then_24_7(
    sla_customer, clock, make_policy
):
    makassar = Branch.objects.create(code="mks", name="Makassar", timezone="Asia/Makassar")
    policy = make_policy(first_response_minutes=60)
    clock.set(wib(2025, 3, 8, 10, 0))  # Saturday
    # No calendar at all: around the clock.
    assert expected_answer_at(
        channel="whatsapp", purpose="routine", priority=2, now=clock.now
    ) == wib(2025, 3, 8, 11, 0)
    BusinessCalendar.objects.create(name="Default", weekly_hours=OFFICE_HOURS, is_default=True)
    assert expected_answer_at(
        channel="whatsapp", purpose="routine", priority=2, now=clock.now
    ) == wib(2025, 3, 10, 9, 0)
    # The branch's own calendar, in its own time zone (WITA: 08:00 there is 07:00 WIB).
    BusinessCalendar.objects.create(
        name="Makassar", timezone="Asia/Makassar", weekly_hours=OFFICE_HOURS, branch=makassar
    )
    assert expected_answer_at(
        channel="whatsapp", purpose="routine", priority=2, branch=makassar, now=clock.now
    ) == wib(2025, 3, 10, 8, 0)
    # The policy's calendar comes first: open on Saturdays.
    weekend = BusinessCalendar.objects.create(
        name="Sabtu", weekly_hours={"saturday": [["09:00", "15:00"]]}
    )
    policy.calendar = weekend
    policy.save()
    assert expected_answer_at(
        channel="whatsapp", purpose="routine", priority=2, branch=makassar, now=clock.now
    ) == wib(2025, 3, 8, 11, 0)


def test_the_answer_expected_at_intake_skips_the_business_closed_days(
    clock, office_calendar, make_policy
):
    make_policy(first_response_minutes=120)
    ClosedDay.objects.create(calendar=office_calendar, date=wib(2025, 3, 10).date(), reason="Rapat")
    clock.set(wib(2025, 3, 7, 16, 0))  # Friday
    expected = expected_answer_at(channel="email", purpose="routine", priority=2, now=clock.now)
    assert expected == wib(2025, 3, 11, 9, 0)


def test_without_a_policy_the_expected_answer_is_the_default_target(clock):
    expected = expected_answer_at(channel="email", purpose="routine", priority=2, now=clock.now)
    assert expected == clock.now + response_target(2)


def test_applying_the_sla_costs_a_fixed_number_of_queries(
    sla_customer, clock, office_calendar, make_policy, django_assert_num_queries
):
    for i in range(5):
        make_policy(f"Kebijakan {i}", order=i, channels=["email"])
    make_policy("Standar", order=10, tiers=[""])
    conversation = write(sla_customer)
    conversation.refresh_from_db()
    fresh = type(conversation).objects.get(pk=conversation.pk)
    apply_sla(fresh, now=clock.now)  # the configuration is in memory now
    fresh = type(conversation).objects.get(pk=conversation.pk)
    # The configuration version, the customer (a tier condition), the SLA row, its update.
    with django_assert_num_queries(4):
        apply_sla(fresh, now=clock.advance(minutes=1))


def test_a_policy_edit_applies_at_the_next_change(
    sla_customer, clock, office_calendar, make_policy, agent
):
    policy = make_policy()
    conversation = write(sla_customer)
    policy.first_response_minutes = 30
    policy.save()
    change_priority(conversation, priority=3, reason="Nasabah prioritas", actor=agent)
    assert sla_of(conversation).first_response_due_at == wib(2025, 3, 10, 9, 30)
