"""The counter, supervisor and display pages through the Django test client, and the
display's websocket. Assertions use ids, data attributes and ticket numbers, never
translated text."""

import re
from datetime import timedelta

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from layani.branches.actions import call_next, check_in_visit, open_counter
from layani.branches.models import (
    Counter,
    QueuePolicy,
    Service,
    Visit,
    VisitStatus,
    WaitEstimate,
)
from layani.conversations.models import EventKind, TimelineEvent
from layani.core.choices import Purpose
from layani.core.realtime import websocket_urlpatterns
from layani.customers.actions import CustomerDetails, create_customer
from layani.staff.models import Role, StaffSkill

pytestmark = pytest.mark.django_db

WHAT_MATTERS = "Selalu minta struk tercetak; pendengaran kurang, bicara pelan dan jelas."


# --- Helpers -----------------------------------------------------------------------------------


def skilled(user, *services):
    for svc in services:
        StaffSkill.objects.create(staff=user.staff, kind="service", value=svc.code, level=3)
    return user


@pytest.fixture
def clerk(make_person, branch, service):
    return skilled(make_person(Role.BRANCH_STAFF, branches=[branch], name="Budi"), service)


@pytest.fixture
def supervisor(make_person, branch, service):
    return skilled(make_person(Role.SUPERVISOR, branches=[branch], name="Sinta"), service)


@pytest.fixture
def counter(branch):
    return Counter.objects.create(branch=branch, number=1, name="Loket 1")


@pytest.fixture
def complaint_service(branch):
    svc = Service.objects.create(
        purpose=Purpose.COMPLAINT,
        code="keluhan",
        name_id="Keluhan",
        name_en="Complaint",
        ticket_prefix="C",
    )
    branch.services.add(svc)
    return svc


@pytest.fixture
def customer():
    return create_customer(
        CustomerDetails.from_values(
            {"full_name": "Ibu Wulan", "phone": "081299990000", "what_matters": WHAT_MATTERS}
        ),
        actor=None,
    )


def url(name, branch, *args):
    return reverse(f"branch:{name}", args=[branch.pk, *args])


def check_in(branch, service, customer=None, **kwargs):
    return check_in_visit(branch=branch, service=service, customer=customer, actor=None, **kwargs)


def at_counter(client, user, branch, counter):
    client.force_login(user)
    response = client.post(url("counter_open", branch), {"counter": counter.pk})
    assert response.status_code == 302, response.content.decode()[:500]
    return client


def html_of(response):
    return response.content.decode()


def tag(pattern, html):
    """The first opening tag matching `pattern` (a regular expression)."""
    found = re.search(pattern, html)
    assert found is not None, f"no match for {pattern}"
    return found.group(0)


def current_ticket(html):
    found = re.search(r'id="current-visit"[^>]*data-ticket="([^"]+)"', html)
    return found.group(1) if found else None


# --- Counter -----------------------------------------------------------------------------------


def test_staff_picks_a_counter_calls_next_and_sees_the_customer_file_first(
    client, clerk, branch, service, counter, customer
):
    Counter.objects.create(branch=branch, number=2, name="Loket 2")
    oldest = check_in(branch, service, customer, note="Ganti kartu ATM yang tertelan")
    check_in(branch, service)
    check_in(branch, service)

    client.force_login(clerk)
    picker = html_of(client.get(url("counter", branch)))
    assert 'id="counter-picker"' in picker
    assert picker.count("data-counter=") == 2
    assert 'id="call-next"' not in picker

    at_counter(client, clerk, branch, counter)
    counter.refresh_from_db()
    assert counter.is_open and counter.staff == clerk.staff
    page = html_of(client.get(url("counter", branch)))
    assert 'data-waiting-total="3"' in page
    assert 'data-service="bayar" data-waiting="3"' in page

    assert client.post(url("call_next", branch)).status_code == 302
    oldest.refresh_from_db()
    assert (oldest.status, oldest.counter) == (VisitStatus.CALLED, counter)

    page = html_of(client.get(url("counter", branch)))
    assert current_ticket(page) == oldest.ticket_number == "B001"
    pinned = page.index('id="what-matters"')
    assert page.index('id="current-visit"') < pinned < page.index('id="visit-actions"')
    assert WHAT_MATTERS in page[pinned:]
    assert 'data-standing="new"' in page and "badge-new" in page
    assert "Ganti kartu ATM yang tertelan" in page
    assert reverse("customers:detail", args=[customer.pk]) in page
    assert 'data-waiting-total="2"' in page
    assert re.search(r'id="call-next"[^>]*disabled', page)


def test_an_anonymous_visitor_shows_just_the_ticket(client, clerk, branch, service, counter):
    check_in(branch, service)
    at_counter(client, clerk, branch, counter)
    client.post(url("call_next", branch))
    page = html_of(client.get(url("counter", branch)))
    assert current_ticket(page) == "B001"
    assert 'id="anonymous-visitor"' in page
    assert 'id="what-matters"' not in page


def test_start_and_finish_record_the_outcome(client, clerk, branch, service, counter, customer):
    visit = check_in(branch, service, customer)
    at_counter(client, clerk, branch, counter)
    client.post(url("call_next", branch))

    assert client.post(url("visit_start", branch, visit.pk)).status_code == 302
    visit.refresh_from_db()
    assert visit.status == VisitStatus.SERVING and visit.serving_started_at is not None
    assert 'data-status="serving"' in html_of(client.get(url("counter", branch)))

    response = client.post(
        url("visit_finish", branch, visit.pk), {"outcome_note": "Kartu baru dicetak."}
    )
    assert response.status_code == 302
    visit.refresh_from_db()
    assert visit.status == VisitStatus.DONE
    assert visit.outcome_note == "Kartu baru dicetak."
    assert TimelineEvent.objects.filter(kind=EventKind.VISIT_FINISHED, visit=visit).exists()
    page = html_of(client.get(url("counter", branch)))
    assert 'id="no-visitor"' in page
    assert "Kartu baru dicetak." not in page.split('id="visitor"')[1]


def test_recall_past_the_limit_shows_the_error_and_changes_nothing(
    client, clerk, branch, service, counter
):
    QueuePolicy.objects.create(branch=branch, recall_limit=2)
    visit = check_in(branch, service)
    at_counter(client, clerk, branch, counter)
    client.post(url("call_next", branch))
    for _ in range(2):
        assert client.post(url("visit_recall", branch, visit.pk)).status_code == 302
    visit.refresh_from_db()
    assert visit.recall_count == 2
    assert 'data-recalls-left="0"' in html_of(client.get(url("counter", branch)))

    response = client.post(url("visit_recall", branch, visit.pk))
    assert response.status_code == 409
    page = html_of(response)
    assert 'id="page-error" data-code="recall_limit"' in page
    assert current_ticket(page) == "B001"
    assert 'id="no-show"' in page  # the way out the message points to
    visit.refresh_from_db()
    assert (visit.status, visit.recall_count) == (VisitStatus.CALLED, 2)

    assert client.post(url("visit_no_show", branch, visit.pk)).status_code == 302
    visit.refresh_from_db()
    assert visit.status == VisitStatus.NO_SHOW


def test_transfer_to_another_service_keeps_the_arrival_time(
    client, clerk, branch, service, counter, complaint_service
):
    visit = check_in(branch, service)
    arrived = visit.queue_since
    at_counter(client, clerk, branch, counter)
    client.post(url("call_next", branch))

    response = client.post(
        url("visit_transfer", branch, visit.pk),
        {"to_service": complaint_service.pk, "reason": "Mau komplain biaya admin"},
    )
    assert response.status_code == 302
    visit.refresh_from_db()
    assert visit.status == VisitStatus.WAITING
    assert visit.service == complaint_service
    assert visit.queue_since == arrived
    assert visit.transfer_count == 1 and visit.counter is None


def test_transfer_needs_a_service_or_a_counter(client, clerk, branch, service, counter):
    visit = check_in(branch, service)
    at_counter(client, clerk, branch, counter)
    client.post(url("call_next", branch))
    response = client.post(url("visit_transfer", branch, visit.pk), {"reason": "x"})
    assert response.status_code == 422
    assert re.search(r'<details class="transfer" id="transfer" open', html_of(response))
    visit.refresh_from_db()
    assert visit.status == VisitStatus.CALLED


def test_calling_a_specific_ticket_needs_a_reason(client, clerk, branch, service, counter):
    check_in(branch, service)
    later = check_in(branch, service)
    at_counter(client, clerk, branch, counter)

    response = client.post(url("call_specific", branch), {"visit": later.pk, "reason": " "})
    assert response.status_code == 422
    page = html_of(response)
    assert 'id="reason-error"' in page
    assert re.search(r'id="call-specific" open', page)
    later.refresh_from_db()
    assert later.status == VisitStatus.WAITING

    response = client.post(
        url("call_specific", branch), {"visit": later.pk, "reason": "Lansia, kursi roda"}
    )
    assert response.status_code == 302
    later.refresh_from_db()
    assert (later.status, later.counter) == (VisitStatus.CALLED, counter)
    event = TimelineEvent.objects.get(kind=EventKind.VISIT_CALLED, visit=later)
    assert event.details["why"] == "Lansia, kursi roda"


def test_domain_errors_are_messages_on_the_page_not_500(client, clerk, branch, service, counter):
    at_counter(client, clerk, branch, counter)
    response = client.post(url("call_next", branch))  # nobody waiting
    assert response.status_code == 409
    assert 'data-code="queue_empty"' in html_of(response)

    client.post(url("counter_close", branch))
    response = client.post(url("call_next", branch))  # no longer at a counter
    assert response.status_code == 409
    assert 'data-code="not_at_counter"' in html_of(response)


def test_another_branchs_counter_is_not_found(client, clerk, branch, other_branch, counter):
    theirs = Counter.objects.create(branch=other_branch, number=1, name="Loket 1")
    client.force_login(clerk)
    assert client.post(url("counter_open", branch), {"counter": theirs.pk}).status_code == 404
    assert client.get(url("counter", other_branch)).status_code == 404
    assert client.post(url("counter_open", other_branch), {"counter": theirs.pk}).status_code == 404
    theirs.refresh_from_db()
    assert not theirs.is_open and theirs.staff is None


def test_an_agent_may_not_serve_at_a_counter(client, agent, branch, counter):
    client.force_login(agent)
    assert client.get(url("counter", branch)).status_code == 403
    assert client.post(url("counter_open", branch), {"counter": counter.pk}).status_code == 403
    assert client.get(url("supervisor", branch)).status_code == 403
    counter.refresh_from_db()
    assert not counter.is_open


def test_signed_out_people_are_sent_to_sign_in(client, branch):
    for name in ("counter", "supervisor", "display"):
        response = client.get(url(name, branch))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("staff:login"))


def test_the_waiting_fragment_counts_the_counters_services(
    client, clerk, branch, service, counter, complaint_service
):
    check_in(branch, service)
    check_in(branch, complaint_service)  # the clerk is not skilled for complaints
    at_counter(client, clerk, branch, counter)
    fragment = html_of(client.get(url("counter_waiting", branch)))
    assert 'data-waiting-total="1"' in fragment
    assert 'data-service="bayar" data-waiting="1"' in fragment
    assert "keluhan" not in fragment
    assert "<html" not in fragment


def _counter_page_queries(client, branch, service, n):
    for _ in range(n):
        check_in(branch, service)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url("counter", branch))
    assert response.status_code == 200
    return len(queries)


def test_counter_page_queries_do_not_grow_with_the_queue(
    client, clerk, branch, service, counter, customer
):
    check_in(branch, service, customer)
    at_counter(client, clerk, branch, counter)
    client.post(url("call_next", branch))  # a visitor with a customer file at the counter
    small = _counter_page_queries(client, branch, service, 3)
    large = _counter_page_queries(client, branch, service, 27)
    assert small == large, (small, large)


# --- Supervisor --------------------------------------------------------------------------------


def test_supervisor_sees_per_service_numbers_and_the_estimate_error(
    client, clerk, supervisor, branch, service, counter, complaint_service
):
    served = check_in(branch, service)
    check_in(branch, service)
    check_in(branch, complaint_service)
    open_counter(counter, actor=clerk)
    call_next(counter, actor=clerk)
    # The estimate given at check-in is settled at the call: pin it to known numbers.
    WaitEstimate.objects.filter(visit=served).update(estimated_seconds=600, actual_seconds=300)
    served.refresh_from_db()

    client.force_login(supervisor)
    page = html_of(client.get(url("supervisor", branch)))
    row = tag(r'<tr data-service="bayar"[^>]*>', page)
    assert 'data-waiting="1"' in row
    assert 'data-estimate-error-seconds="300"' in row and 'data-estimates-judged="1"' in row
    assert re.search(r'<tr data-service="keluhan" data-waiting="1"', page)
    totals = tag(r'<dl class="stats totals" id="totals"[^>]*>', page)
    assert 'data-waiting="2"' in totals and 'data-estimate-error-seconds="300"' in totals
    counter_row = tag(rf'<tr data-counter="{counter.pk}"[^>]*>', page)
    assert 'data-open="true"' in counter_row and 'data-ticket="B001"' in counter_row
    assert "Budi" in page

    fragment = html_of(client.get(url("supervisor_stats", branch)))
    assert 'id="service-table"' in fragment and "<html" not in fragment


def test_supervisor_opens_moves_and_closes_counters_and_sets_services(
    client, clerk, supervisor, branch, counter, complaint_service
):
    second = Counter.objects.create(branch=branch, number=2, name="Loket 2")
    client.force_login(supervisor)

    response = client.post(
        url("supervisor_place_staff", branch, counter.pk), {"staff": clerk.staff.pk}
    )
    assert response.status_code == 302
    counter.refresh_from_db()
    assert counter.is_open and counter.staff == clerk.staff

    client.post(url("supervisor_place_staff", branch, second.pk), {"staff": clerk.staff.pk})
    counter.refresh_from_db()
    second.refresh_from_db()
    assert (counter.is_open, counter.staff) == (False, None)
    assert (second.is_open, second.staff) == (True, clerk.staff)

    response = client.post(
        url("supervisor_services", branch, second.pk), {"services": [complaint_service.pk]}
    )
    assert response.status_code == 302
    assert list(second.services.all()) == [complaint_service]

    assert client.post(url("supervisor_close", branch, second.pk)).status_code == 302
    second.refresh_from_db()
    assert (second.is_open, second.staff) == (False, None)


def test_supervisor_errors_show_on_the_page(
    client, clerk, supervisor, make_person, branch, other_branch, service, counter
):
    stranger = make_person(Role.BRANCH_STAFF, branches=[other_branch])
    client.force_login(supervisor)
    response = client.post(
        url("supervisor_place_staff", branch, counter.pk), {"staff": stranger.staff.pk}
    )
    assert response.status_code == 422  # not a choice: works elsewhere
    check_in(branch, service)
    open_counter(counter, actor=clerk)
    call_next(counter, actor=clerk)
    response = client.post(url("supervisor_close", branch, counter.pk))
    assert response.status_code == 409
    assert 'data-code="counter_busy"' in html_of(response)
    theirs = Counter.objects.create(branch=other_branch, number=1, name="Loket 1")
    assert client.post(url("supervisor_close", branch, theirs.pk)).status_code == 404


def _supervisor_page_queries(client, branch, services, n):
    for i in range(n):
        check_in(branch, services[i % len(services)])
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url("supervisor", branch))
    assert response.status_code == 200
    return len(queries)


def test_supervisor_page_queries_do_not_grow_with_the_queue(
    client, clerk, supervisor, branch, service, counter, complaint_service
):
    check_in(branch, service)
    open_counter(counter, actor=clerk)
    call_next(counter, actor=clerk)
    client.force_login(supervisor)
    services = [service, complaint_service]
    small = _supervisor_page_queries(client, branch, services, 3)
    large = _supervisor_page_queries(client, branch, services, 27)
    assert small == large, (small, large)


# --- Display -----------------------------------------------------------------------------------


def test_display_page_and_its_list_show_the_last_calls(
    client, make_person, clerk, branch, service, counter
):
    for _ in range(3):
        check_in(branch, service)
    open_counter(counter, actor=clerk)
    first = call_next(counter, actor=clerk)
    Visit.objects.filter(pk=first.pk).update(
        status=VisitStatus.DONE, called_at=timezone.now() - timedelta(minutes=2)
    )
    call_next(counter, actor=clerk)

    kiosk = make_person(Role.KIOSK, branches=[branch])
    client.force_login(kiosk)
    page = html_of(client.get(url("display", branch)))
    assert 'data-last-ticket="B002"' in page
    assert 'id="now-ticket">B002<' in page
    assert '<li data-ticket="B001">' in page
    assert 'id="enable-sound"' in page and 'id="display-config"' in page
    calls = client.get(url("display_calls", branch)).json()["calls"]
    assert [(c["ticket"], c["counter"], c["counter_number"]) for c in calls] == [
        ("B002", "Loket 1", 1),
        ("B001", "Loket 1", 1),
    ]


def test_display_of_another_branch_is_not_found(client, make_person, branch, other_branch):
    kiosk = make_person(Role.KIOSK, branches=[other_branch])
    client.force_login(kiosk)
    assert client.get(url("display", branch)).status_code == 404
    assert client.get(url("display_calls", branch)).status_code == 404


def _display_socket(user, branch_id):
    communicator = WebsocketCommunicator(
        URLRouter(websocket_urlpatterns), f"/ws/display/{branch_id}/"
    )
    communicator.scope["user"] = user
    return communicator


@pytest.mark.django_db(transaction=True)
def test_a_display_in_scope_hears_the_call(make_person, clerk, branch, service, counter):
    kiosk = make_person(Role.KIOSK, branches=[branch])
    visit = check_in(branch, service)
    open_counter(counter, actor=clerk)

    async def scenario():
        communicator = _display_socket(kiosk, branch.pk)
        connected, _ = await communicator.connect()
        assert connected
        await database_sync_to_async(call_next)(counter, actor=clerk)
        message = await communicator.receive_json_from(timeout=3)
        nothing_else = await communicator.receive_nothing(timeout=0.2)
        await communicator.disconnect()
        return message, nothing_else

    message, nothing_else = async_to_sync(scenario)()
    visit.refresh_from_db()
    assert message["event"] == "visit.called"
    assert message["payload"] == {
        "ticket": "B001",
        "counter": "Loket 1",
        "counter_number": 1,
        "recall": False,
        "called_at": visit.called_at.isoformat(),
    }
    assert nothing_else  # nothing personal, and no staff-only events


@pytest.mark.django_db(transaction=True)
def test_a_display_of_another_branch_or_signed_out_is_refused(make_person, branch, other_branch):
    from django.contrib.auth.models import AnonymousUser

    stranger = make_person(Role.KIOSK, branches=[other_branch])

    async def attempt(user):
        communicator = _display_socket(user, branch.pk)
        connected, code = await communicator.connect()
        return connected, code

    assert async_to_sync(attempt)(stranger) == (False, 4403)
    assert async_to_sync(attempt)(AnonymousUser()) == (False, 4401)


def test_supervisor_counter_list_is_reread_after_a_counter_changes(client, branch, make_person):
    from layani.branches.actions import open_counter
    from layani.branches.models import Counter
    from layani.staff.models import Role

    supervisor = make_person(Role.SUPERVISOR, branches=[branch])
    clerk = make_person(Role.BRANCH_STAFF, branches=[branch], name="Dian Teller")
    counter = Counter.objects.create(branch=branch, number=7, name="Loket 7")
    client.force_login(supervisor)
    page = client.get(f"/branch/{branch.pk}/supervisor/").content.decode()
    assert 'data-live-events="counter.changed"' in page
    open_counter(counter, actor=clerk)  # the clerk opens it from their own counter page
    fragment = client.get(f"/branch/{branch.pk}/supervisor/counters/").content.decode()
    assert "<html" not in fragment
    row = fragment[fragment.index(f'data-counter="{counter.pk}"') :]
    assert "badge-open" in row.split("</li>")[0]
