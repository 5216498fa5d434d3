"""The kiosk pages: services, taking a ticket, sending it, appointments, rating.

Pages speak Indonesian by default and the catalogue may not know every message yet, so these
tests assert on data and element ids, never on translated text.
"""

import threading
from datetime import time, timedelta

import pytest
from django.conf import settings
from django.db import connections
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from layani.branches.actions import check_in_visit
from layani.branches.models import (
    Appointment,
    AppointmentStatus,
    OpeningHours,
    Service,
    Visit,
    VisitSource,
)
from layani.branches.notifications import visit_status_url
from layani.branches.queue_queries import service_day
from layani.branches.tests.visitor_helpers import element_text, finish
from layani.conversations.models import OutboxMessage, TimelineEvent
from layani.core.choices import Purpose
from layani.customers.actions import CustomerDetails, create_customer
from layani.customers.models import Customer, CustomerStatus
from layani.feedback.models import SurveyResponse
from layani.staff.models import Role

pytestmark = pytest.mark.django_db

HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def kiosk_user(make_person, branch):
    return make_person(Role.KIOSK, branches=[branch])


@pytest.fixture
def kiosk(client, kiosk_user):
    client.force_login(kiosk_user)
    return client


@pytest.fixture
def prospect_service(branch):
    svc = Service.objects.create(
        purpose=Purpose.PROSPECT,
        code="kenalan",
        name_id="Buka rekening",
        name_en="Open an account",
        ticket_prefix="P",
    )
    branch.services.add(svc)
    return svc


def kiosk_url(branch, name="kiosk"):
    return reverse(f"queue:{name}", args=[branch.code])


def details_token(client, branch, service):
    response = client.get(kiosk_url(branch), {"step": "details", "service": service.pk})
    assert response.status_code == 200
    return response.context["form"]["form_token"].value()


def take_ticket(client, branch, service, token, **fields):
    data = {
        "form_token": token,
        "service": service.pk,
        "identifier": "",
        "name": "",
        "priority_category": "",
        "note": "",
        **fields,
    }
    return client.post(kiosk_url(branch, "kiosk_take"), data, **HX)


# --- Kiosk ----------------------------------------------------------------------------------


def test_kiosk_steps_are_fragments_for_htmx_and_pages_without_it(kiosk, branch, service):
    page = kiosk.get(kiosk_url(branch))
    html = page.content.decode()
    assert page.status_code == 200
    assert "<html" in html and 'id="kiosk-screen"' in html
    assert 'data-purpose="routine"' in html
    fragment = kiosk.get(kiosk_url(branch), {"step": "services", "purpose": "routine"}, **HX)
    assert "<html" not in fragment.content.decode()
    assert f'data-service="{service.code}"' in fragment.content.decode()


def test_kiosk_checks_in_a_known_customer_recognised_by_phone(kiosk, branch, service, kiosk_user):
    customer = create_customer(
        CustomerDetails.from_values({"full_name": "Ibu Ratna", "phone": "081234567890"}),
        actor=None,
    )
    token = details_token(kiosk, branch, service)
    response = take_ticket(
        kiosk,
        branch,
        service,
        token,
        identifier="0812-3456-7890",
        priority_category="elderly",
        note="Kartu ATM tertelan",
    )
    assert response.status_code == 200
    visit = Visit.objects.get()
    assert (visit.service, visit.customer, visit.source) == (service, customer, VisitSource.KIOSK)
    assert (visit.note, visit.priority_category) == ("Kartu ATM tertelan", "elderly")
    html = response.content.decode()
    assert element_text(html, "ticket-number") == visit.ticket_number == "B001"
    assert element_text(html, "ticket-position") == "1"
    assert "<html" not in html


def test_kiosk_records_a_new_visitor_as_a_prospect(kiosk, branch, prospect_service):
    token = details_token(kiosk, branch, prospect_service)
    response = take_ticket(
        kiosk, branch, prospect_service, token, identifier="081298765432", name="Budi Santoso"
    )
    assert response.status_code == 200
    visit = Visit.objects.select_related("customer").get()
    assert visit.ticket_number == "P001"
    assert visit.customer.full_name == "Budi Santoso"
    assert visit.customer.status == CustomerStatus.PROSPECT


def test_kiosk_without_identifier_issues_an_anonymous_ticket(kiosk, branch, service):
    take_ticket(kiosk, branch, service, details_token(kiosk, branch, service))
    assert Visit.objects.get().customer is None
    assert Customer.objects.count() == 0


def test_a_double_post_of_one_form_token_issues_one_ticket(kiosk, branch, service):
    token = details_token(kiosk, branch, service)
    first = take_ticket(kiosk, branch, service, token, note="sekali saja")
    second = take_ticket(kiosk, branch, service, token, note="sekali saja")
    assert Visit.objects.count() == 1
    assert element_text(first.content.decode(), "ticket-number") == "B001"
    assert element_text(second.content.decode(), "ticket-number") == "B001"
    # A new visitor gets a new form, and a new ticket.
    take_ticket(kiosk, branch, service, details_token(kiosk, branch, service))
    assert Visit.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_simultaneous_posts_of_one_form_token_issue_one_ticket(make_person, branch, service):
    user = make_person(Role.KIOSK, branches=[branch])
    device = Client()
    device.force_login(user)
    data = {
        "form_token": details_token(device, branch, service),
        "service": service.pk,
        "priority_category": "",
    }
    start = threading.Barrier(4)
    statuses: list[int] = []

    def tap() -> None:
        client = Client()
        client.cookies = device.cookies  # the same kiosk session
        start.wait()
        try:
            statuses.append(client.post(kiosk_url(branch, "kiosk_take"), data).status_code)
        finally:
            connections.close_all()

    taps = [threading.Thread(target=tap) for _ in range(4)]
    for thread in taps:
        thread.start()
    for thread in taps:
        thread.join()
    assert statuses == [200] * 4
    assert Visit.objects.count() == 1


def test_kiosk_speaks_indonesian_and_switches_to_english_by_link(kiosk, branch, service):
    html = kiosk.get(kiosk_url(branch)).content.decode()
    assert '<html lang="id">' in html
    assert f'href="{kiosk_url(branch)}?lang=en"' in html
    response = kiosk.get(kiosk_url(branch), {"lang": "en"})
    english = response.content.decode()
    assert '<html lang="en">' in english
    # A shared screen: nothing is remembered for the next visitor, and an idle kiosk
    # returns to the Indonesian start.
    assert settings.LANGUAGE_COOKIE_NAME not in response.cookies
    assert '<html lang="id">' in kiosk.get(kiosk_url(branch)).content.decode()
    assert f'data-home-url="{kiosk_url(branch)}"' in english
    # Every step keeps the visitor's language, and the form posts in it too.
    assert "purpose=routine&amp;lang=en" in english
    details = kiosk.get(
        kiosk_url(branch), {"step": "details", "service": service.pk, "lang": "en"}
    ).content.decode()
    assert f'action="{kiosk_url(branch, "kiosk_take")}?lang=en"' in details


def test_an_unknown_form_token_issues_nothing_and_keeps_what_was_typed(kiosk, branch, service):
    response = take_ticket(kiosk, branch, service, "forged-token", note="tolong dibantu")
    assert response.status_code == 409
    html = response.content.decode()
    assert 'id="form-errors"' in html and "tolong dibantu" in html
    assert Visit.objects.count() == 0
    # The re-shown form carries a fresh token that works.
    token = response.context["form"]["form_token"].value()
    assert token != "forged-token"
    take_ticket(kiosk, branch, service, token)
    assert Visit.objects.count() == 1


def test_an_unknown_member_number_is_a_field_error_and_nothing_is_lost(kiosk, branch, service):
    token = details_token(kiosk, branch, service)
    response = take_ticket(kiosk, branch, service, token, identifier="SN404", note="ganti kartu")
    assert response.status_code == 422
    html = response.content.decode()
    assert 'id="error-identifier"' in html
    assert "ganti kartu" in html and 'value="SN404"' in html
    assert Visit.objects.count() == 0
    # The same token still works once the visitor fixes the number.
    take_ticket(kiosk, branch, service, token, identifier="")
    assert Visit.objects.count() == 1


def test_a_closed_branch_says_so_on_the_form(kiosk, branch, service):
    closed_day = (service_day(branch).weekday() + 1) % 7
    OpeningHours.objects.create(
        branch=branch, weekday=closed_day, opens_at=time(8), closes_at=time(15)
    )
    response = take_ticket(kiosk, branch, service, details_token(kiosk, branch, service))
    assert response.status_code == 422
    assert 'id="form-errors"' in response.content.decode()
    assert Visit.objects.count() == 0


def test_kiosk_of_another_branch_is_not_found(client, make_person, branch, other_branch, service):
    client.force_login(make_person(Role.KIOSK, branches=[other_branch]))
    assert client.get(kiosk_url(branch)).status_code == 404
    assert take_ticket(client, branch, service, "x").status_code == 404


def test_an_agent_cannot_use_the_kiosk(client, agent, branch, service):
    client.force_login(agent)
    assert client.get(kiosk_url(branch)).status_code == 403
    assert take_ticket(client, branch, service, "x").status_code == 403
    assert Visit.objects.count() == 0


def test_the_kiosk_needs_a_signed_in_device(client, branch):
    response = client.get(kiosk_url(branch))
    assert response.status_code == 302
    assert reverse("staff:login") in response["Location"]
    htmx = client.get(kiosk_url(branch), **HX)
    assert htmx.status_code == 204 and reverse("staff:login") in htmx["HX-Redirect"]


def test_kiosk_sends_the_ticket_it_issued_by_sms(kiosk, branch, service):
    take_ticket(kiosk, branch, service, details_token(kiosk, branch, service))
    visit = Visit.objects.get()
    response = kiosk.post(
        kiosk_url(branch, "kiosk_send"),
        {"visit": visit.public_token, "channel": "sms", "phone": "0812 1111 2222"},
        **HX,
    )
    assert response.status_code == 200
    assert 'id="ticket-sent"' in response.content.decode()
    message = OutboxMessage.objects.get()
    assert (message.channel, message.recipient, message.visit) == ("sms", "+6281211112222", visit)
    assert message.link == visit_status_url(visit)
    # The anonymous visitor who gave a phone is now on file, as a new customer.
    visit.refresh_from_db()
    assert visit.customer is not None
    assert visit.customer.identities.filter(value="+6281211112222").exists()
    assert message.customer == visit.customer
    assert TimelineEvent.objects.filter(customer=visit.customer, visit=visit).exists()


def test_a_known_phone_given_for_the_ticket_puts_the_visit_on_that_customers_file(
    kiosk, branch, service
):
    known = create_customer(
        CustomerDetails.from_values({"full_name": "Sari Dewi", "phone": "081211112222"}),
        actor=None,
    )
    take_ticket(kiosk, branch, service, details_token(kiosk, branch, service))
    visit = Visit.objects.get()
    kiosk.post(
        kiosk_url(branch, "kiosk_send"),
        {"visit": visit.public_token, "channel": "whatsapp", "phone": "+62 812-1111-2222"},
        **HX,
    )
    visit.refresh_from_db()
    assert visit.customer_id == known.pk
    assert Customer.objects.count() == 1


def test_kiosk_send_without_a_phone_is_a_form_error(kiosk, branch, service):
    take_ticket(kiosk, branch, service, details_token(kiosk, branch, service))
    visit = Visit.objects.get()
    response = kiosk.post(
        kiosk_url(branch, "kiosk_send"), {"visit": visit.public_token, "channel": "whatsapp"}, **HX
    )
    assert response.status_code == 422
    assert OutboxMessage.objects.count() == 0


def test_kiosk_cannot_send_a_ticket_it_did_not_issue(kiosk, branch, service):
    visit = check_in_visit(branch=branch, service=service, customer=None, actor=None)
    response = kiosk.post(
        kiosk_url(branch, "kiosk_send"),
        {"visit": visit.public_token, "channel": "sms", "phone": "081211112222"},
    )
    assert response.status_code == 404
    assert OutboxMessage.objects.count() == 0


def test_appointment_checks_in_at_the_kiosk_with_its_booking_code(kiosk, branch, service):
    appointment = Appointment.objects.create(
        branch=branch,
        service=service,
        name="Siti",
        starts_at=timezone.now() + timedelta(minutes=10),
    )
    token = kiosk.get(kiosk_url(branch), {"step": "appointment"}).context["form"]
    response = kiosk.post(
        kiosk_url(branch, "kiosk_appointment"),
        {"form_token": token["form_token"].value(), "reference": appointment.reference.lower()},
        **HX,
    )
    assert response.status_code == 200
    visit = Visit.objects.get()
    assert (visit.appointment, visit.source) == (appointment, VisitSource.APPOINTMENT)
    assert element_text(response.content.decode(), "ticket-number") == visit.ticket_number
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.CHECKED_IN


def test_an_appointment_too_early_is_refused_clearly(kiosk, branch, service):
    appointment = Appointment.objects.create(
        branch=branch, service=service, name="Siti", starts_at=timezone.now() + timedelta(hours=3)
    )
    form = kiosk.get(kiosk_url(branch), {"step": "appointment"}).context["form"]
    response = kiosk.post(
        kiosk_url(branch, "kiosk_appointment"),
        {"form_token": form["form_token"].value(), "reference": appointment.reference},
    )
    assert response.status_code == 422
    assert 'id="error-reference"' in response.content.decode()
    assert Visit.objects.count() == 0


def test_an_unknown_booking_code_is_a_field_error(kiosk, branch, service):
    form = kiosk.get(kiosk_url(branch), {"step": "appointment"}).context["form"]
    response = kiosk.post(
        kiosk_url(branch, "kiosk_appointment"),
        {"form_token": form["form_token"].value(), "reference": "ZZZZZZ"},
    )
    assert response.status_code == 422
    assert 'id="error-reference"' in response.content.decode()


def test_rating_at_the_kiosk_by_todays_ticket_number(kiosk, branch, service, kiosk_user):
    visit = finish(check_in_visit(branch=branch, service=service, customer=None, actor=None))
    found = kiosk.get(kiosk_url(branch), {"step": "rate", "ticket_number": "b001"}, **HX)
    assert found.status_code == 200
    assert f'value="{visit.public_token}"' in found.content.decode()
    assert found.content.decode().count('name="rating"') == 5
    response = kiosk.post(
        kiosk_url(branch, "kiosk_rate"),
        {"visit": visit.public_token, "rating": "5", "comment": "Ramah"},
        **HX,
    )
    assert response.status_code == 200
    assert 'data-already="0"' in response.content.decode()
    rated = SurveyResponse.objects.get()
    assert (rated.visit, rated.rating, rated.channel, rated.comment) == (visit, 5, "kiosk", "Ramah")
    again = kiosk.get(kiosk_url(branch), {"step": "rate", "ticket_number": "B001"}, **HX)
    assert 'data-already="1"' in again.content.decode()


def test_rating_at_the_kiosk_needs_a_finished_visit_of_today(kiosk, branch, service):
    check_in_visit(branch=branch, service=service, customer=None, actor=None)  # still waiting
    response = kiosk.get(kiosk_url(branch), {"step": "rate", "ticket_number": "B001"})
    assert response.status_code == 422
    assert 'id="error-ticket_number"' in response.content.decode()
