"""The SLA sweep: a warning before the breach and an escalation at it, each exactly once,
reading only what is due."""

import threading

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from layani.branches.models import Branch
from layani.conversations.actions import assign, change_status, receive_inbound_message, reply
from layani.conversations.event_display import describe_event
from layani.conversations.models import Conversation, EventKind, TimelineEvent
from layani.conversations.notify import staff_group, user_group
from layani.routing.models import ConversationSla
from layani.routing.sla_sweep import SLA_BREACHED, SLA_WARNING, run_sla_sweep, sweep_batch
from layani.routing.tests.conftest import wib
from layani.staff.models import Role, Team
from layani.testing.realtime import GroupListener


def write(customer, text="Halo, kartu saya terblokir", **kwargs):
    return receive_inbound_message(
        customer=customer, channel="whatsapp", body_text=text, actor=None, **kwargs
    ).conversation


def kinds(conversation) -> list[str]:
    return list(
        TimelineEvent.objects.filter(conversation=conversation)
        .order_by("id")
        .values_list("kind", flat=True)
    )


def sla_of(conversation) -> ConversationSla:
    return ConversationSla.objects.get(pk=conversation.pk)


@pytest.fixture
def branch_setup(make_person):
    branch = Branch.objects.create(code="jkt", name="Jakarta Pusat")
    agent = make_person(Role.AGENT, name="Sari Agen", branches=[branch])
    supervisor = make_person(Role.SUPERVISOR, name="Budi Supervisor", branches=[branch])
    desk = Team.objects.create(name="Meja supervisor")
    return branch, agent, supervisor, desk


@pytest.mark.django_db(transaction=True)
def test_a_warning_before_and_an_escalation_at_the_breach_happen_once_each(
    sla_customer, clock, office_calendar, make_policy, branch_setup
):
    branch, agent, supervisor, desk = branch_setup
    make_policy(escalate_to_team=desk, raise_priority=True, notify_supervisors=True)
    conversation = write(sla_customer, branch=branch)
    assign(conversation, assignee=agent.staff, actor=None)
    agent_inbox = GroupListener(staff_group(agent.staff.pk))
    supervisor_feed = GroupListener(user_group(supervisor.pk))

    clock.set(wib(2025, 3, 10, 9, 40))
    assert run_sla_sweep(now=clock.now).checked == 0  # nothing due yet

    clock.set(wib(2025, 3, 10, 9, 46))  # 14 minutes left: the warning is due
    result = run_sla_sweep(now=clock.now)
    assert (result.warnings, result.breaches) == (1, 0)
    assert sla_of(conversation).first_response_warned_at == clock.now
    assert kinds(conversation)[-1] == SLA_WARNING
    assert agent_inbox.events() == ["sla.warning"]
    assert supervisor_feed.events() == []

    again = run_sla_sweep(now=clock.advance(minutes=1))
    assert (again.checked, again.warnings, again.breaches) == (0, 0, 0)

    # A listener is read once, to the end (on Redis one that timed out cannot read again).
    agent_inbox = GroupListener(staff_group(agent.staff.pk))
    supervisor_feed = GroupListener(user_group(supervisor.pk))
    clock.set(wib(2025, 3, 10, 10, 1))  # the first response is a minute late
    result = run_sla_sweep(now=clock.now)
    assert (result.warnings, result.breaches, result.escalations) == (0, 1, 2)
    sla = sla_of(conversation)
    assert sla.first_response_breached_at == wib(2025, 3, 10, 10, 0)
    conversation.refresh_from_db()
    assert conversation.team == desk
    assert conversation.assignee is None
    assert conversation.priority == 3
    assert kinds(conversation)[-4:] == [
        SLA_BREACHED,
        EventKind.ASSIGNED,
        EventKind.PRIORITY_CHANGED,
        EventKind.SLA_ESCALATED,
    ]
    escalation = TimelineEvent.objects.get(conversation=conversation, kind=EventKind.SLA_ESCALATED)
    assert escalation.details["team"] == desk.name
    assert escalation.details["priority"] == 3
    reason = TimelineEvent.objects.get(conversation=conversation, kind=EventKind.PRIORITY_CHANGED)
    assert "SLA" in reason.details["reason"]
    # Written by the worker once, read in each reader's language.
    breach = TimelineEvent.objects.get(conversation=conversation, kind=SLA_BREACHED)
    for language, breached, escalated in (
        ("en", "SLA first response breached", "first response breached: handed to"),
        ("id", "SLA respons pertama terlampaui", "respons pertama terlampaui: diserahkan ke"),
    ):
        with translation.override(language):
            assert describe_event(breach)[0] == breached
            assert escalated in describe_event(escalation)[0]
            # The hand-off and the raised priority give the breach as their reason.
            policy = escalation.details["policy"]
            why = {
                "en": f"SLA breached ({policy}): first response",
                "id": f"SLA terlampaui ({policy}): respons pertama",
            }[language]
            handed = TimelineEvent.objects.filter(
                conversation=conversation, kind=EventKind.ASSIGNED
            ).latest("id")
            assert describe_event(handed)[1] == describe_event(reason)[1] == why
    assert "sla.breached" in agent_inbox.events()
    assert supervisor_feed.events() == ["sla.breached"]

    events_before = TimelineEvent.objects.count()
    for minutes in (1, 30, 600):
        done = run_sla_sweep(now=clock.advance(minutes=minutes))
        assert (done.warnings, done.breaches, done.escalations) == (0, 0, 0)
    assert TimelineEvent.objects.count() == events_before
    conversation.refresh_from_db()
    assert conversation.priority == 3


@pytest.mark.django_db
def test_a_reply_before_the_warning_leaves_the_sweep_nothing_to_do(
    sla_customer, clock, office_calendar, make_policy, agent
):
    make_policy()
    conversation = write(sla_customer)
    clock.advance(minutes=10)
    reply(conversation, body_text="Baik, kami cek", actor=agent)
    clock.set(wib(2025, 3, 10, 10, 30))
    result = run_sla_sweep(now=clock.now)
    assert (result.warnings, result.breaches) == (0, 0)
    assert SLA_WARNING not in kinds(conversation)


@pytest.mark.django_db
def test_each_customer_wait_can_breach_its_next_response_once(
    sla_customer, clock, office_calendar, make_policy, agent
):
    make_policy(warn_before_minutes=0)
    conversation = write(sla_customer)
    reply(conversation, body_text="Halo", actor=agent)
    write(sla_customer, "Masih belum bisa")
    clock.set(wib(2025, 3, 10, 11, 5))
    assert run_sla_sweep(now=clock.now).breaches == 1
    assert run_sla_sweep(now=clock.advance(minutes=5)).breaches == 0
    reply(conversation, body_text="Sudah", actor=agent)
    clock.advance(minutes=5)
    write(sla_customer, "Sekarang error lagi")  # 11:15: due 14:15, after lunch
    clock.advance(hours=3, minutes=5)
    assert run_sla_sweep(now=clock.now).breaches == 1
    sla = sla_of(conversation)
    assert (sla.next_responses, sla.next_response_breaches) == (1, 2)
    assert kinds(conversation).count(SLA_BREACHED) == 2


@pytest.mark.django_db
def test_a_paused_conversation_is_not_swept(
    sla_customer, clock, office_calendar, make_policy, agent
):
    make_policy(first_response_minutes=None)
    conversation = write(sla_customer)
    reply(conversation, body_text="Mohon kirim fotonya", actor=agent)
    change_status(conversation, status="pending", actor=agent)
    clock.set(wib(2025, 3, 20, 9, 0))
    assert run_sla_sweep(now=clock.now).checked == 0
    assert sla_of(conversation).resolution_breached_at is None


@pytest.mark.django_db
def test_the_sweep_costs_the_same_queries_for_two_due_conversations_as_for_twenty(
    clock, office_calendar, make_policy
):
    from layani.customers.actions import CustomerDetails, create_customer

    make_policy(warn_before_minutes=0, notify_supervisors=True)
    customers = [
        create_customer(CustomerDetails.from_values({"full_name": f"Nasabah {i}"}), actor=None)
        for i in range(40)
    ]
    counts = []
    for due in (2, 20):
        clock.set(wib(2025, 3, 10, 9, 0))
        for customer in customers[:due]:
            write(customer)
        clock.set(wib(2025, 3, 12, 9, 0))
        for customer in customers[20:]:  # not due: written later, they wait in the index
            write(customer)
        clock.set(wib(2025, 3, 10, 10, 5))
        with CaptureQueriesContext(connection) as queries:
            result = sweep_batch(now=clock.now)
        assert result.breaches == due
        counts.append(len(queries))
        Conversation.objects.all().delete()
    assert counts[0] == counts[1]


@pytest.mark.django_db
def test_rows_whose_policy_disappeared_are_left_alone(
    sla_customer, clock, office_calendar, make_policy
):
    policy = make_policy()
    conversation = write(sla_customer)
    policy.delete()
    clock.set(wib(2025, 3, 11, 9, 0))
    result = run_sla_sweep(now=clock.now)
    assert result.breaches == 0
    assert sla_of(conversation).next_check_at is None


@pytest.mark.django_db(transaction=True)
def test_a_conversation_another_worker_holds_is_skipped_not_waited_for(
    sla_customer, clock, office_calendar, make_policy
):
    if connection.vendor != "postgresql":
        pytest.skip("row locks with SKIP LOCKED are PostgreSQL's; SQLite serialises writers")
    make_policy(warn_before_minutes=0, escalate_to_team=None, notify_supervisors=False)
    held = write(sla_customer, "Satu")
    other = write(type(sla_customer).objects.create(full_name="Joko", search_name="joko"), "Dua")
    clock.set(wib(2025, 3, 10, 10, 5))
    locked, release = threading.Event(), threading.Event()

    def other_worker() -> None:
        with transaction.atomic():
            list(Conversation.objects.select_for_update().filter(pk=held.pk))
            locked.set()
            release.wait(10)
        connection.close()

    worker = threading.Thread(target=other_worker)
    worker.start()
    assert locked.wait(10)
    try:
        first = sweep_batch(now=clock.now)
    finally:
        release.set()
        worker.join()
    assert first.breaches == 1
    assert sla_of(other).first_response_breached_at is not None
    assert sla_of(held).first_response_breached_at is None
    assert sweep_batch(now=clock.now).breaches == 1
    assert sweep_batch(now=clock.now).breaches == 0
