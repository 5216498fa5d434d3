from datetime import timedelta
from unittest import mock

import pytest
from django.utils import timezone, translation

from layani.branches import actions
from layani.branches.models import (
    Appointment,
    QueuePolicy,
    Visit,
    VisitSource,
    VisitStatus,
    WaitEstimate,
)
from layani.branches.notifications import notify_visitors_near_front
from layani.branches.queue_queries import branch_queue
from layani.conversations.event_display import describe_event
from layani.conversations.models import EventKind, OutboxMessage, TimelineEvent
from layani.core.errors import Conflict, InvalidInput
from layani.customers.actions import CustomerDetails, create_customer
from layani.feedback.actions import record_visit_feedback
from layani.feedback.models import SurveyResponse
from layani.testing.realtime import GroupListener

pytestmark = pytest.mark.django_db(transaction=True)


def walk_in(branch, service, *, minutes_ago=0, customer=None, **kwargs):
    visit = actions.check_in_visit(
        branch=branch, service=service, customer=customer, actor=None, **kwargs
    )
    if minutes_ago:
        earlier = timezone.now() - timedelta(minutes=minutes_ago)
        Visit.objects.filter(pk=visit.pk).update(queue_since=earlier, checked_in_at=earlier)
        visit.refresh_from_db()
    return visit


def test_call_next_takes_the_longest_waiting_and_tells_the_display(branch, service, clerk_at):
    user, counter = clerk_at(1, [service])
    newer = walk_in(branch, service, minutes_ago=2)
    older = walk_in(branch, service, minutes_ago=5)
    display = GroupListener(f"display-{branch.pk}")
    called = actions.call_next(counter, actor=user)
    assert called.pk == older.pk
    assert (called.status, called.counter_id, called.served_by_id) == (
        VisitStatus.CALLED,
        counter.pk,
        user.staff.pk,
    )
    message = display.receive(timeout=2)
    assert message["event"] == "visit.called"
    assert message["payload"]["ticket"] == called.ticket_number
    assert message["payload"]["counter"] == "Loket 1"
    newer.refresh_from_db()
    assert newer.status == VisitStatus.WAITING


def test_one_counter_never_holds_two_visitors(branch, service, clerk_at):
    user, counter = clerk_at(1, [service])
    walk_in(branch, service)
    walk_in(branch, service)
    actions.call_next(counter, actor=user)
    with pytest.raises(Conflict) as excinfo:
        actions.call_next(counter, actor=user)
    assert excinfo.value.code == "counter_busy"
    assert Visit.objects.filter(status=VisitStatus.CALLED).count() == 1


def test_a_clerk_only_calls_services_they_are_skilled_for(
    branch, service, complaint_service, clerk_at
):
    user, counter = clerk_at(1, [complaint_service])
    walk_in(branch, service, minutes_ago=30)
    complaint = walk_in(branch, complaint_service)
    assert actions.call_next(counter, actor=user).pk == complaint.pk
    actions.finish_service(complaint, outcome_note="", actor=user)
    with pytest.raises(Conflict) as excinfo:
        actions.call_next(counter, actor=user)
    assert excinfo.value.code == "queue_empty"


def test_priority_categories_and_the_ratio_come_from_the_branch_policy(branch, service, clerk_at):
    QueuePolicy.objects.create(
        branch=branch,
        category_weights={"elderly": 50},
        aging_per_minute=1.0,
        ratio_normal=2,
        ratio_priority=1,
    )
    user, counter = clerk_at(1, [service])
    normals = [walk_in(branch, service, minutes_ago=20 - i) for i in range(4)]
    elders = [
        walk_in(branch, service, minutes_ago=3 - i, priority_category="elderly") for i in range(2)
    ]
    order = []
    for _ in range(6):
        visit = actions.call_next(counter, actor=user)
        order.append(visit.pk)
        actions.finish_service(visit, outcome_note="", actor=user)
    assert order == [
        elders[0].pk,
        normals[0].pk,
        normals[1].pk,
        elders[1].pk,
        normals[2].pk,
        normals[3].pk,
    ]


def test_nobody_waits_past_the_maximum_whatever_their_category(branch, service, clerk_at):
    QueuePolicy.objects.create(
        branch=branch, category_weights={"elderly": 500}, max_wait_minutes=30
    )
    user, counter = clerk_at(1, [service])
    walk_in(branch, service, priority_category="elderly")
    overdue = walk_in(branch, service, minutes_ago=31)
    assert actions.call_next(counter, actor=user).pk == overdue.pk


def test_recall_up_to_the_limit_then_no_show(branch, service, clerk_at):
    QueuePolicy.objects.create(branch=branch, recall_limit=2)
    customer = create_customer(CustomerDetails.from_values({"full_name": "Joko"}), actor=None)
    user, counter = clerk_at(1, [service])
    walk_in(branch, service, customer=customer)
    visit = actions.call_next(counter, actor=user)
    display = GroupListener(f"display-{branch.pk}")
    actions.recall(visit, actor=user)
    actions.recall(visit, actor=user)
    assert [m for m in display.events()] == ["visit.called", "visit.called"]
    with pytest.raises(Conflict) as excinfo:
        actions.recall(visit, actor=user)
    assert excinfo.value.code == "recall_limit"
    visit = actions.mark_no_show(visit, actor=user)
    assert (visit.status, visit.recall_count) == (VisitStatus.NO_SHOW, 2)
    kinds = list(TimelineEvent.objects.filter(visit=visit).values_list("kind", flat=True))
    assert kinds.count(EventKind.VISIT_CALLED) == 3
    assert EventKind.VISIT_NO_SHOW in kinds
    # The counter is free again.
    walk_in(branch, service)
    assert actions.call_next(counter, actor=user).status == VisitStatus.CALLED


def test_transfer_keeps_the_original_arrival(branch, service, complaint_service, clerk_at):
    user, counter = clerk_at(1, [service])
    other_user, other_counter = clerk_at(2, [complaint_service])
    first = walk_in(branch, service, minutes_ago=15)
    walk_in(branch, complaint_service, minutes_ago=5)
    visit = actions.call_next(counter, actor=user)
    actions.transfer(visit, actor=user, to_service=complaint_service, reason="keluhan kartu")
    visit.refresh_from_db()
    assert visit.status == VisitStatus.WAITING
    assert visit.queue_since == first.queue_since
    assert visit.service == complaint_service and visit.transfer_count == 1
    # It keeps its place: it arrived before the complaint visitor who is still waiting.
    assert actions.call_next(other_counter, actor=other_user).pk == visit.pk


def test_transfer_to_a_counter_reserves_the_visitor_for_it(branch, service, clerk_at):
    user, counter = clerk_at(1, [service])
    other_user, other_counter = clerk_at(2, [service])
    third_user, third_counter = clerk_at(3, [service])
    walk_in(branch, service, minutes_ago=10)
    walk_in(branch, service, minutes_ago=1)
    visit = actions.call_next(counter, actor=user)
    actions.transfer(visit, actor=user, to_counter=other_counter)
    # The third counter does not take the reserved visitor, though they waited longest.
    assert actions.call_next(third_counter, actor=third_user).pk != visit.pk
    assert actions.call_next(other_counter, actor=other_user).pk == visit.pk


def test_call_specific_needs_a_reason_and_is_logged(branch, service, clerk_at):
    user, counter = clerk_at(1, [service])
    walk_in(branch, service, minutes_ago=10)
    chosen = walk_in(branch, service)
    with pytest.raises(InvalidInput):
        actions.call_specific(counter, chosen, reason="  ", actor=user)
    visit = actions.call_specific(counter, chosen, reason="dipanggil manajer", actor=user)
    assert visit.pk == chosen.pk
    event = TimelineEvent.objects.get(visit=visit, kind=EventKind.VISIT_CALLED)
    assert event.details["why"] == "dipanggil manajer"
    assert event.actor == user


def test_a_closed_counter_or_someone_elses_counter_cannot_call(branch, service, clerk_at):
    user, counter = clerk_at(1, [service])
    other_user, _other = clerk_at(2, [service])
    walk_in(branch, service)
    with pytest.raises(Conflict) as excinfo:
        actions.call_next(counter, actor=other_user)
    assert excinfo.value.code == "not_at_counter"
    actions.close_counter(counter, actor=user)
    with pytest.raises(Conflict) as excinfo:
        actions.call_next(counter, actor=user)
    assert excinfo.value.code == "counter_closed"
    assert not Visit.objects.filter(status=VisitStatus.CALLED).exists()


def test_estimates_are_recorded_and_judged_against_the_real_wait(branch, service, clerk_at):
    user, counter = clerk_at(1, [service])
    visit = walk_in(branch, service)
    estimate = WaitEstimate.objects.get(visit=visit)
    assert estimate.position == 1
    later = timezone.now() + timedelta(minutes=7)
    with mock.patch.object(timezone, "now", return_value=later):
        actions.call_next(counter, actor=user)
    estimate.refresh_from_db()
    assert 7 * 60 - 5 <= estimate.actual_seconds <= 7 * 60 + 5
    queue = branch_queue(branch)
    line = next(line for line in queue.services if line.service == service)
    assert line.estimates_judged == 1
    assert line.estimate_error_seconds == abs(estimate.estimated_seconds - estimate.actual_seconds)


def test_finishing_asks_for_feedback_once_and_records_it(branch, service, clerk_at):
    customer = create_customer(
        CustomerDetails.from_values({"full_name": "Rina", "phone": "081234567890"}), actor=None
    )
    user, counter = clerk_at(1, [service])
    walk_in(branch, service, customer=customer)
    visit = actions.call_next(counter, actor=user)
    with pytest.raises(Conflict):
        record_visit_feedback(visit, rating=5, channel="kiosk", actor=None)
    actions.start_service(visit, actor=user)
    visit = actions.finish_service(visit, outcome_note="Kartu diganti", actor=user)
    ask = OutboxMessage.objects.get(reason="feedback")
    assert ask.recipient == "+6281234567890"
    assert visit.public_token in ask.link
    response = record_visit_feedback(visit, rating=4, comment="Cepat", channel="link", actor=None)
    assert (response.staff, response.service, response.branch) == (user.staff, service, branch)
    with pytest.raises(Conflict) as excinfo:
        record_visit_feedback(visit, rating=1, channel="link", actor=None)
    assert excinfo.value.code == "already_rated"
    assert SurveyResponse.objects.count() == 1
    assert TimelineEvent.objects.filter(customer=customer, kind=EventKind.FEEDBACK).count() == 1


def test_remote_visitors_near_the_front_are_told_to_come_once(branch, service, clerk_at):
    QueuePolicy.objects.create(branch=branch, near_front_position=2)
    user, counter = clerk_at(1, [service])
    walk_in(branch, service, minutes_ago=9)
    walk_in(branch, service, minutes_ago=8)
    walk_in(branch, service, minutes_ago=7)
    remote_customer = create_customer(
        CustomerDetails.from_values({"full_name": "Dimas", "phone": "085712345678"}), actor=None
    )
    remote = walk_in(
        branch, service, customer=remote_customer, source=VisitSource.REMOTE, minutes_ago=1
    )
    actions.call_next(counter, actor=user)  # the worker runs after_call after commit
    assert not OutboxMessage.objects.filter(reason="come_now").exists()  # 3rd in line
    visit = Visit.objects.get(status=VisitStatus.CALLED)
    actions.finish_service(visit, outcome_note="", actor=user)
    actions.call_next(counter, actor=user)
    message = OutboxMessage.objects.get(reason="come_now")
    assert message.recipient == "+6285712345678" and remote.ticket_number in message.body
    assert notify_visitors_near_front(branch.pk, service.pk) == 0  # never twice


def test_appointments_on_time_keep_their_slot_and_late_ones_queue_normally(branch, service):
    from datetime import time

    from layani.branches.models import OpeningHours

    for weekday in range(7):
        OpeningHours.objects.create(
            branch=branch, weekday=weekday, opens_at=time(0, 0), closes_at=time(23, 59)
        )
    now = timezone.now()
    slot = now.replace(second=0, microsecond=0) - timedelta(minutes=2)
    on_time = Appointment.objects.create(branch=branch, service=service, name="A", starts_at=slot)
    late = Appointment.objects.create(
        branch=branch, service=service, name="B", starts_at=slot - timedelta(hours=2)
    )
    early = Appointment.objects.create(
        branch=branch, service=service, name="C", starts_at=slot + timedelta(hours=3)
    )
    visit = actions.check_in_visit(
        branch=branch, service=service, customer=None, actor=None, appointment=on_time
    )
    assert (visit.queue_since, visit.priority_category) == (slot, "appointment")
    visit = actions.check_in_visit(
        branch=branch, service=service, customer=None, actor=None, appointment=late
    )
    assert visit.priority_category == "" and visit.queue_since >= now
    with pytest.raises(InvalidInput) as excinfo:
        actions.check_in_visit(
            branch=branch, service=service, customer=None, actor=None, appointment=early
        )
    assert excinfo.value.code == "appointment_too_early"
    with pytest.raises(InvalidInput):  # used already
        actions.check_in_visit(
            branch=branch, service=service, customer=None, actor=None, appointment=on_time
        )


def test_a_full_slot_is_refused(branch, service):
    from datetime import time

    from layani.branches.models import OpeningHours

    QueuePolicy.objects.create(branch=branch, appointments_per_slot=1)
    for weekday in range(7):
        OpeningHours.objects.create(
            branch=branch, weekday=weekday, opens_at=time(0, 0), closes_at=time(23, 59)
        )
    day = (timezone.now() + timedelta(days=2)).date()
    start, left = actions.slots_on(branch, service, day)[10]
    assert left == 1
    actions.book_appointment(
        branch=branch,
        service=service,
        starts_at=start,
        name="Ani",
        phone="",
        customer=None,
        actor=None,
    )
    with pytest.raises(Conflict) as excinfo:
        actions.book_appointment(
            branch=branch,
            service=service,
            starts_at=start,
            name="Budi",
            phone="",
            customer=None,
            actor=None,
        )
    assert excinfo.value.code == "slot_full"
    assert Appointment.objects.count() == 1


def test_a_closed_branch_refuses_check_in_outside_opening_hours(branch, service):
    from datetime import time

    from layani.branches.models import OpeningHours

    # Open only on a day three days from now: closed today whatever the hour.
    other_day = (timezone.localdate() + timedelta(days=3)).weekday()
    OpeningHours.objects.create(
        branch=branch, weekday=other_day, opens_at=time(8), closes_at=time(15)
    )
    with pytest.raises(InvalidInput) as excinfo:
        walk_in(branch, service)
    assert excinfo.value.code == "branch_closed"


def test_estimates_count_everyone_ahead_in_the_branch(branch, service, complaint_service, clerk_at):
    """The policy ages everyone, so a complaint visitor waits behind earlier payments too."""
    from layani.branches.estimates import estimate_for

    clerk_at(1, [service, complaint_service])
    for minutes in (9, 8, 7):
        walk_in(branch, service, minutes_ago=minutes)
    visit = walk_in(branch, complaint_service)
    estimate = estimate_for(visit)
    assert estimate.position == 4
    assert estimate.counters == 1
    # 3 ahead x 10 minutes default handling (no history yet), nobody being served.
    assert estimate.seconds == 3 * service.default_handling_minutes * 60


def test_the_timeline_says_why_a_ticket_was_called_in_words(branch, service, clerk_at):
    """The queue policy's rule ("score", "ratio", "max_wait") is never shown as a code."""
    user, counter = clerk_at(1, [service])
    customer = create_customer(CustomerDetails.from_values({"full_name": "Joko"}), actor=None)
    walk_in(branch, service, minutes_ago=5, customer=customer)
    visit = actions.call_next(counter, actor=user)
    actions.recall(visit, actor=user)
    called = TimelineEvent.objects.filter(visit=visit, kind=EventKind.VISIT_CALLED).order_by("id")
    with translation.override("id"):
        reasons = [describe_event(event)[1] for event in called]
    assert reasons == ["giliran berikutnya menurut urutan antrean", "dipanggil ulang (1)"]
