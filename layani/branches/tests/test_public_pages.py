"""The public visitor pages: printed ticket, remote join, live status, booking, feedback.

Pages speak Indonesian by default and the catalogue may not know every message yet, so these
tests assert on data and element ids, never on translated text.
"""

import re
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from layani.branches.actions import book_appointment, check_in_visit
from layani.branches.models import (
    Appointment,
    Counter,
    OpeningHours,
    Visit,
    VisitSource,
    VisitStatus,
    WaitEstimate,
)
from layani.branches.notifications import visit_status_url
from layani.branches.queue_queries import service_day
from layani.branches.tests.visitor_helpers import element_text, finish
from layani.conversations.models import OutboxMessage
from layani.feedback.models import SurveyResponse

pytestmark = pytest.mark.django_db


# --- Printed ticket -------------------------------------------------------------------------


def test_printable_ticket_is_a_thermal_slip_with_a_qr_code(client, branch, service):
    visit = check_in_visit(branch=branch, service=service, customer=None, actor=None)
    response = client.get(reverse("queue:ticket", args=[visit.public_token]))
    html = response.content.decode()
    assert response.status_code == 200
    assert re.search(r"@page\s*\{\s*size:\s*58mm auto;\s*margin:\s*0", html)
    assert element_text(html, "ticket-number") == "B001"
    assert element_text(html, "ticket-position") == "1"
    assert "<svg" in html and 'class="qr"' in html
    assert visit_status_url(visit) in html
    assert "WIB" in html  # the time is in the branch's zone
    assert response["X-Frame-Options"] == "SAMEORIGIN"  # the kiosk prints it from a frame
    wide = client.get(reverse("queue:ticket", args=[visit.public_token]), {"width": "80"})
    assert "size: 80mm auto" in wide.content.decode()


# --- Remote join ----------------------------------------------------------------------------


def join(client, branch, service, phone, name=""):
    page = client.get(reverse("queue:join", args=[branch.code]))
    assert page.status_code == 200
    token = page.context["form"]["form_token"].value()
    return client.post(
        reverse("queue:join", args=[branch.code]),
        {"form_token": token, "service": service.pk, "phone": phone, "name": name},
    )


def test_remote_join_issues_a_remote_ticket_and_sends_its_link(client, branch, service):
    response = join(client, branch, service, "0813 5555 1234", name="Dewi")
    visit = Visit.objects.select_related("customer").get()
    assert response.status_code == 302
    assert response["Location"] == reverse("queue:visit_status", args=[visit.public_token])
    assert visit.source == VisitSource.REMOTE
    assert visit.customer.full_name == "Dewi"
    message = OutboxMessage.objects.get()
    assert (message.recipient, message.reason) == ("+6281355551234", "ticket")
    assert message.link == visit_status_url(visit)
    assert visit_status_url(visit) in message.body


def test_rejoining_with_the_same_phone_shows_the_same_ticket(client, branch, service):
    join(client, branch, service, "081355551234")
    again = join(client, branch, service, "+62 813-5555-1234")
    visit = Visit.objects.get()
    assert again.status_code == 302
    assert again["Location"].startswith(reverse("queue:visit_status", args=[visit.public_token]))
    assert "already=1" in again["Location"]
    assert OutboxMessage.objects.count() == 1


def test_a_double_post_of_the_join_form_issues_one_ticket(client, branch, service):
    page = client.get(reverse("queue:join", args=[branch.code]))
    data = {
        "form_token": page.context["form"]["form_token"].value(),
        "service": service.pk,
        "phone": "081355551234",
    }
    url = reverse("queue:join", args=[branch.code])
    first, second = client.post(url, data), client.post(url, data)
    assert first["Location"] == second["Location"]
    assert Visit.objects.count() == 1


def test_remote_join_needs_a_valid_phone(client, branch, service):
    response = join(client, branch, service, "12")
    assert response.status_code == 422
    assert 'id="error-phone"' in response.content.decode()
    assert Visit.objects.count() == 0


def test_join_qr_poster_has_the_join_link(client, branch):
    response = client.get(reverse("queue:join_qr", args=[branch.code]))
    html = response.content.decode()
    assert response.status_code == 200
    assert "<svg" in html
    assert element_text(html, "join-url").endswith(reverse("queue:join", args=[branch.code]))


def test_unknown_branch_pages_are_not_found(client):
    assert client.get(reverse("queue:join", args=["nope"])).status_code == 404
    assert client.get(reverse("queue:book", args=["nope"])).status_code == 404


# --- Live status ----------------------------------------------------------------------------


def fragment_url(visit):
    return reverse("queue:visit_status_fragment", args=[visit.public_token])


def test_status_fragment_shows_the_position_and_polls(client, branch, service):
    check_in_visit(branch=branch, service=service, customer=None, actor=None)
    second = check_in_visit(branch=branch, service=service, customer=None, actor=None)
    response = client.get(fragment_url(second))
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html
    assert element_text(html, "status-ticket") == "B002"
    assert element_text(html, "status-position") == "2"
    assert 'hx-trigger="every 10s"' in html
    page = client.get(reverse("queue:visit_status", args=[second.public_token]))
    assert element_text(page.content.decode(), "status-position") == "2"


def test_status_records_the_estimate_it_shows_at_most_every_five_minutes(client, branch, service):
    visit = check_in_visit(branch=branch, service=service, customer=None, actor=None)
    client.get(fragment_url(visit))
    assert WaitEstimate.objects.filter(visit=visit).count() == 1  # the check-in's, just given
    WaitEstimate.objects.filter(visit=visit).update(given_at=timezone.now() - timedelta(minutes=6))
    for _ in range(3):
        client.get(fragment_url(visit))
    assert WaitEstimate.objects.filter(visit=visit, shown_on="remote").count() == 1
    assert WaitEstimate.objects.filter(visit=visit).count() == 2


def test_a_called_visitor_sees_the_counter_and_polling_stops_when_done(client, branch, service):
    visit = check_in_visit(branch=branch, service=service, customer=None, actor=None)
    counter = Counter.objects.create(branch=branch, number=3, name="Loket 3")
    Visit.objects.filter(pk=visit.pk).update(status=VisitStatus.CALLED, counter=counter)
    html = client.get(fragment_url(visit)).content.decode()
    assert element_text(html, "status-counter") == "Loket 3"
    assert 'data-status="called"' in html
    finish(visit)
    html = client.get(fragment_url(visit)).content.decode()
    assert "hx-trigger" not in html
    assert reverse("queue:visit_feedback", args=[visit.public_token]) in html


def test_unknown_visit_tokens_are_not_found(client):
    for name in ("visit_status", "visit_status_fragment", "ticket", "visit_feedback"):
        assert client.get(reverse(f"queue:{name}", args=["no-such-token"])).status_code == 404


def test_status_fragment_queries_do_not_grow_with_the_queue(client, branch, service):
    def fill(n):
        for _ in range(n):
            check_in_visit(branch=branch, service=service, customer=None, actor=None)

    fill(2)
    mine = check_in_visit(branch=branch, service=service, customer=None, actor=None)
    client.get(fragment_url(mine))  # records the estimate shown once
    with CaptureQueriesContext(connection) as small:
        assert client.get(fragment_url(mine)).status_code == 200
    fill(27)
    Visit.objects.filter(pk=mine.pk).update(queue_since=timezone.now())  # now 30th in line
    with CaptureQueriesContext(connection) as large:
        response = client.get(fragment_url(mine))
    assert element_text(response.content.decode(), "status-position") == "30"
    assert len(large) == len(small)


# --- Booking --------------------------------------------------------------------------------


@pytest.fixture
def open_all_week(branch):
    for weekday in range(7):
        OpeningHours.objects.create(
            branch=branch, weekday=weekday, opens_at=time(8), closes_at=time(16)
        )


def tomorrow_at(branch, hour):
    day = service_day(branch) + timedelta(days=1)
    return day, datetime.combine(day, time(hour), tzinfo=ZoneInfo(branch.timezone))


def booking_form(client, branch, service, day):
    page = client.get(
        reverse("queue:book", args=[branch.code]), {"service": service.pk, "day": day.isoformat()}
    )
    assert page.status_code == 200
    return page


def test_booking_creates_an_appointment_with_a_code(client, branch, service, open_all_week):
    day, ten = tomorrow_at(branch, 10)
    page = booking_form(client, branch, service, day)
    assert f'value="{ten.isoformat()}"' in page.content.decode()
    response = client.post(
        reverse("queue:book", args=[branch.code]),
        {
            "form_token": page.context["form"]["form_token"].value(),
            "service": service.pk,
            "day": day.isoformat(),
            "starts_at": ten.isoformat(),
            "name": "Rina",
            "phone": "0812 7777 8888",
        },
    )
    assert response.status_code == 200
    appointment = Appointment.objects.select_related("customer").get()
    assert appointment.starts_at == ten
    assert (appointment.phone, appointment.customer.full_name) == ("+6281277778888", "Rina")
    html = response.content.decode()
    assert element_text(html, "booking-code") == appointment.reference
    assert "10.00 WIB" in element_text(html, "booking-time")


def test_a_full_slot_is_refused_with_a_clear_error(client, branch, service, open_all_week):
    day, ten = tomorrow_at(branch, 10)
    for name in ("A", "B"):  # the default policy takes two bookings per slot
        book_appointment(
            branch=branch,
            service=service,
            starts_at=ten,
            name=name,
            phone="",
            customer=None,
            actor=None,
        )
    page = booking_form(client, branch, service, day)
    assert f'value="{ten.isoformat()}"' not in page.content.decode()  # full: not offered
    response = client.post(
        reverse("queue:book", args=[branch.code]),
        {
            "form_token": page.context["form"]["form_token"].value(),
            "service": service.pk,
            "day": day.isoformat(),
            "starts_at": ten.isoformat(),
            "name": "Rina",
            "phone": "081277778888",
        },
    )
    assert response.status_code == 409
    html = response.content.decode()
    assert 'id="error-starts_at"' in html and 'value="Rina"' in html
    assert Appointment.objects.count() == 2


def test_booking_slots_fragment_lists_the_free_times(client, branch, service, open_all_week):
    day, _ten = tomorrow_at(branch, 10)
    response = client.get(
        reverse("queue:book_slots", args=[branch.code]),
        {"service": service.pk, "day": day.isoformat()},
    )
    html = response.content.decode()
    assert "<html" not in html
    assert html.count('name="starts_at"') == 32  # 08.00 to 15.45 every 15 minutes
    assert ">08.00<" in html and ">15.45<" in html


# --- Exit feedback --------------------------------------------------------------------------


def feedback_url(visit):
    return reverse("queue:visit_feedback", args=[visit.public_token])


def state_of(response):
    return re.search(r'data-state="([a-z_]+)"', response.content.decode()).group(1)


def test_feedback_by_link_is_recorded_once(client, branch, service):
    visit = finish(check_in_visit(branch=branch, service=service, customer=None, actor=None))
    page = client.get(feedback_url(visit))
    assert state_of(page) == "form"
    assert page.content.decode().count('name="rating"') == 5
    response = client.post(feedback_url(visit), {"rating": "4", "comment": "Cepat"})
    assert state_of(response) == "thanks"
    rated = SurveyResponse.objects.get()
    assert (rated.visit, rated.rating, rated.comment, rated.channel) == (visit, 4, "Cepat", "link")
    again = client.post(feedback_url(visit), {"rating": "1"})
    assert state_of(again) == "already"
    assert SurveyResponse.objects.count() == 1


def test_feedback_with_an_invalid_rating_is_a_form_error(client, branch, service):
    visit = finish(check_in_visit(branch=branch, service=service, customer=None, actor=None))
    response = client.post(feedback_url(visit), {"rating": "9", "comment": "simpan ini"})
    assert response.status_code == 422
    html = response.content.decode()
    assert 'id="error-rating"' in html and "simpan ini" in html
    assert SurveyResponse.objects.count() == 0


def test_feedback_waits_until_the_visit_is_finished(client, branch, service):
    visit = check_in_visit(branch=branch, service=service, customer=None, actor=None)
    assert state_of(client.get(feedback_url(visit))) == "not_finished"
    assert state_of(client.post(feedback_url(visit), {"rating": "5"})) == "not_finished"
    assert SurveyResponse.objects.count() == 0
