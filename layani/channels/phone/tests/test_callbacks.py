"""The callback service: the public form (Indonesian errors), the inbox conversation, the
confirmation, attempts up to the maximum, and the reminder when the window starts."""

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.utils import timezone

from layani.channels.phone.callback_views import REQUESTS_PER_ADDRESS
from layani.channels.phone.callbacks import (
    CallbackDetails,
    record_attempt,
    remind_due_callbacks,
    request_callback,
)
from layani.channels.phone.models import CallbackRequest, CallbackStatus
from layani.channels.phone.tests.conftest import call_event
from layani.conversations.models import Conversation, Direction, OutboxMessage
from layani.core.errors import InvalidInput

pytestmark = pytest.mark.django_db(transaction=True)

JAKARTA = ZoneInfo("Asia/Jakarta")


def local(moment):
    return timezone.localtime(moment, JAKARTA).strftime("%Y-%m-%dT%H:%M")


def form_data(**extra):
    start = timezone.now() + timedelta(hours=1)
    return {
        "name": "Dewi Lestari",
        "phone": "0812 1111 2222",
        "window_start": local(start),
        "window_end": local(start + timedelta(hours=2)),
        "topic": "Tanya cicilan KPR",
        **extra,
    }


def test_the_public_form_queues_a_callback_conversation_and_confirms_it(cti):
    client = Client()
    assert client.get("/channels/calls/callback/pbx-jkt/").status_code == 200
    response = client.post("/channels/calls/callback/pbx-jkt/", form_data())
    assert response.status_code == 201
    callback = CallbackRequest.objects.get()
    assert callback.phone == "+6281211112222"
    assert callback.source == "web"
    assert callback.status == CallbackStatus.REQUESTED
    assert callback.customer.full_name == "Dewi Lestari"
    conversation = Conversation.objects.get(channel="callback")
    assert callback.conversation == conversation
    assert conversation.waiting_since is not None
    assert "Tanya cicilan KPR" in conversation.messages.get(direction=Direction.INBOUND).body_text
    confirmation = OutboxMessage.objects.get()
    assert confirmation.recipient == "+6281211112222"
    assert conversation.reference in confirmation.body
    assert conversation.reference in response.content.decode()


def test_form_errors_are_in_indonesian_and_nothing_is_stored(cti):
    client = Client()
    response = client.post(
        "/channels/calls/callback/pbx-jkt/", form_data(name="", phone="12", window_end="kemarin")
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert 'data-field="name">Kolom ini wajib diisi.' in html
    assert 'data-field="window_end">Masukkan tanggal/waktu yang valid.' in html
    response = client.post("/channels/calls/callback/pbx-jkt/", form_data(phone="12"))
    assert 'data-field="phone">Nomor telepon tidak valid: 12' in response.content.decode()
    assert not CallbackRequest.objects.exists()
    assert not Conversation.objects.exists()


def test_a_window_that_ends_before_it_starts_is_refused(cti):
    data = form_data()
    data["window_start"], data["window_end"] = data["window_end"], data["window_start"]
    response = Client().post("/channels/calls/callback/pbx-jkt/", data)
    assert response.status_code == 422
    assert 'data-field="window_end"' in response.content.decode()
    assert not CallbackRequest.objects.exists()


def test_refused_corrections_do_not_use_up_the_numbers_requests(cti):
    client = Client()
    url = "/channels/calls/callback/pbx-jkt/"
    for _ in range(3):  # a window the wrong way round, three times: refused, nothing taken
        data = form_data()
        data["window_start"], data["window_end"] = data["window_end"], data["window_start"]
        assert client.post(url, data).status_code == 422
    assert client.post(url, form_data()).status_code == 201
    assert CallbackRequest.objects.count() == 1


def test_the_form_speaks_for_the_business_not_the_accounts_internal_name(cti):
    page = Client().get("/channels/calls/callback/pbx-jkt/").content.decode()
    assert "kapan sebaiknya kami menelepon Anda" in page
    assert cti.name not in page


def test_an_unknown_form_address_is_404(cti):
    assert Client().get("/channels/calls/callback/nope/").status_code == 404


def details(**extra):
    now = timezone.now()
    values = {
        "phone": "081211112222",
        "window_start": now + timedelta(minutes=30),
        "window_end": now + timedelta(hours=2),
        "source": "portal",
    }
    return CallbackDetails(**{**values, **extra})


def test_attempts_until_the_maximum_then_not_reached(cti, agent):
    cti.settings = {"callback_max_attempts": 2}
    cti.save()
    callback = request_callback(details(), account=cti)
    assert callback.max_attempts == 2
    record_attempt(callback, outcome="not_reached", actor=agent)
    assert callback.status == CallbackStatus.ATTEMPTING
    record_attempt(callback, outcome="not_reached", note="Kotak suara", actor=agent)
    assert callback.status == CallbackStatus.NOT_REACHED
    with pytest.raises(InvalidInput):
        record_attempt(callback, outcome="reached", actor=agent)
    assert callback.attempts.count() == 2
    notes = callback.conversation.messages.filter(direction=Direction.NOTE)
    assert [n.body_text.splitlines()[0] for n in notes.order_by("id")] == [
        "Percobaan telepon balik ke-1 dari 2: Tidak berhasil dihubungi",
        "Percobaan telepon balik ke-2 dari 2: Tidak berhasil dihubungi",
    ]


def test_a_reached_attempt_closes_the_request(cti, agent):
    callback = request_callback(details(), account=cti)
    record_attempt(callback, outcome="reached", actor=agent)
    callback.refresh_from_db()
    assert callback.status == CallbackStatus.REACHED
    assert callback.assigned_to == agent.staff


def test_the_reminder_goes_once_when_the_window_starts(cti):
    callback = request_callback(details(), account=cti)
    assert remind_due_callbacks() == 0  # the window has not started
    later = callback.window_start + timedelta(minutes=1)
    assert remind_due_callbacks(now=later) == 1
    assert remind_due_callbacks(now=later) == 0
    bodies = list(OutboxMessage.objects.order_by("id").values_list("body", flat=True))
    assert len(bodies) == 2  # confirmation, reminder
    assert "+6281211112222" in bodies[1]
    reminder = callback.conversation.messages.order_by("id").last()
    assert reminder.meta == {"automatic": "callback_reminder"}


def test_a_window_starting_now_gets_the_confirmation_and_no_second_message(cti):
    now = timezone.now()
    callback = request_callback(
        details(window_start=now, window_end=now + timedelta(hours=2)), account=cti
    )
    assert remind_due_callbacks(now=now + timedelta(minutes=1)) == 0
    bodies = list(OutboxMessage.objects.filter(message__conversation=callback.conversation))
    assert len(bodies) == 1  # the confirmation says we will call in the window: enough


def test_an_outgoing_call_to_the_number_counts_as_an_attempt(cti, post_cti, ringing_agent):
    callback = request_callback(details(), account=cti)
    outgoing = {"direction": "outbound", "caller": "201", "callee": "0812-1111-2222"}
    post_cti(call_event("hangup", call_id="out-1", **outgoing))
    callback.refresh_from_db()
    assert callback.status == CallbackStatus.ATTEMPTING
    post_cti(call_event("answered", call_id="out-2", **outgoing))
    post_cti(call_event("hangup", call_id="out-2", **outgoing))
    callback.refresh_from_db()
    assert callback.status == CallbackStatus.REACHED
    assert [a.outcome for a in callback.attempts.all()] == ["not_reached", "reached"]
    assert callback.attempts.last().by == ringing_agent.staff


def test_the_public_form_refuses_a_flood_for_one_number_and_keeps_what_it_had(cti):
    client = Client()
    for written in ("0812 1111 2222", "+62 812-1111-2222", "6281211112222"):
        answer = client.post("/channels/calls/callback/pbx-jkt/", form_data(phone=written))
        assert answer.status_code == 201
    response = client.post("/channels/calls/callback/pbx-jkt/", form_data(phone="08121111 2222"))
    assert response.status_code == 429
    assert "Silakan coba lagi dalam satu jam" in response.content.decode()
    assert CallbackRequest.objects.count() == 3
    # Another number from the same address is still taken.
    other = client.post("/channels/calls/callback/pbx-jkt/", form_data(phone="0813 3333 4444"))
    assert other.status_code == 201
    assert CallbackRequest.objects.count() == 4


def test_behind_a_proxy_the_address_limit_counts_each_visitor(cti, settings):
    settings.LAYANI_TRUSTED_PROXIES = 1
    client = Client(REMOTE_ADDR="10.0.0.5")
    url = "/channels/calls/callback/pbx-jkt/"
    limit = int(REQUESTS_PER_ADDRESS.split("/")[0])
    for n in range(limit):
        answer = client.post(
            url, form_data(phone=f"0813 3333 {n:04d}"), HTTP_X_FORWARDED_FOR="203.0.113.66"
        )
        assert answer.status_code == 201
    flood = client.post(url, form_data(phone="0813 3333 9999"), HTTP_X_FORWARDED_FOR="203.0.113.66")
    assert flood.status_code == 429
    neighbour = client.post(
        url, form_data(phone="0813 4444 0000"), HTTP_X_FORWARDED_FOR="198.51.100.20"
    )
    assert neighbour.status_code == 201
    assert CallbackRequest.objects.count() == limit + 1


def test_the_customer_waits_from_the_start_of_the_window_they_chose(cti):
    """Asked now to be called tomorrow morning: the inbox's due order and the SLA clock
    count from tomorrow morning, so the request neither jumps the queue today nor breaches
    its first-response target before the window even opens."""
    from layani.routing.models import ConversationSla, SlaPolicy

    SlaPolicy.objects.create(name="Telepon balik", first_response_minutes=60)
    start = timezone.now() + timedelta(hours=20)
    callback = request_callback(
        details(window_start=start, window_end=start + timedelta(hours=2)), account=cti
    )
    conversation = Conversation.objects.get(pk=callback.conversation_id)
    assert conversation.waiting_since == start
    assert conversation.due_at == start + timedelta(minutes=60)
    sla = ConversationSla.objects.get(pk=conversation.pk)
    assert sla.first_response_due_at == start + timedelta(minutes=60)


def test_a_reached_attempt_is_the_first_response_and_ends_the_wait(cti, agent):
    callback = request_callback(details(), account=cti)
    record_attempt(callback, outcome="not_reached", actor=agent)
    conversation = Conversation.objects.get(pk=callback.conversation_id)
    assert conversation.waiting_since is not None and conversation.first_response_at is None
    record_attempt(callback, outcome="reached", note="Sudah dijelaskan", actor=agent)
    conversation.refresh_from_db()
    assert conversation.waiting_since is None
    assert conversation.first_response_at is not None
    spoken = conversation.messages.get(direction=Direction.OUTBOUND, author=agent.staff)
    assert spoken.body_text.splitlines() == [
        "Percobaan telepon balik ke-2 dari 3: Berhasil dihubungi",
        "Sudah dijelaskan",
    ]
    assert spoken.delivery_status == "delivered"
