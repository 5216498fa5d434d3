"""The generic CTI webhook: token check, call lifecycle, out-of-order and repeated events,
the timeline, and missed calls turning into callback requests."""

from typing import Any

import pytest

from layani.channels.models import InboundRecord, InboundStatus
from layani.channels.phone.models import Call, CallbackRequest, CallOutcome, CallState
from layani.channels.phone.tests.conftest import call_event
from layani.conversations.models import (
    Conversation,
    DeliveryStatus,
    Direction,
    EventKind,
    OutboxMessage,
    TimelineEvent,
)

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_wrong_or_missing_token_is_refused_and_nothing_is_stored(cti, post_cti):
    assert post_cti(call_event("ringing"), token="wrong").status_code == 403
    response = post_cti(call_event("ringing"), token="")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "rejected"
    assert not InboundRecord.objects.exists()
    assert not Call.objects.exists()


def test_both_token_headers_are_accepted(cti, post_cti):
    assert post_cti(call_event("ringing")).json() == {"status": "received"}
    assert post_cti(call_event("answered"), header="x-layani-token").status_code == 200
    assert Call.objects.get().state == CallState.ANSWERED


def test_an_answered_call_lands_on_the_customers_phone_conversation_and_timeline(
    cti, post_cti, ringing_agent, known_customer
):
    post_cti(call_event("new", timestamp="2026-11-23T02:00:00Z"))
    post_cti(call_event("ringing", timestamp="2026-11-23T02:00:02Z"))
    post_cti(call_event("answered", timestamp="2026-11-23T02:00:10Z"))
    post_cti(call_event("hangup", timestamp="2026-11-23T02:03:10Z"))

    call = Call.objects.get()
    assert call.state == CallState.ENDED
    assert call.outcome == CallOutcome.ANSWERED
    assert call.duration_seconds == 180
    assert call.customer == known_customer
    assert call.agent == ringing_agent.staff
    assert not call.is_documented
    conversation = Conversation.objects.get(channel="phone")
    assert call.conversation == conversation
    assert conversation.customer == known_customer
    assert conversation.waiting_since is None  # answered on the phone
    inbound, answer = conversation.messages.order_by("created_at", "id")
    assert inbound.body_text == "Panggilan masuk, 3 mnt"  # as the agent reads it
    assert answer.direction == Direction.OUTBOUND
    assert answer.delivery_status == DeliveryStatus.DELIVERED
    event = TimelineEvent.objects.get(kind=EventKind.CALL)
    assert event.customer == known_customer
    assert event.details["outcome"] == "answered"
    assert event.details["duration_seconds"] == 180
    assert event.details["agent"] == "Sari Agen"
    assert not CallbackRequest.objects.exists()
    assert not OutboxMessage.objects.exists()  # nothing is texted for a phone call


def test_events_out_of_order_never_move_the_call_back(cti, post_cti, ringing_agent):
    post_cti(call_event("answered", timestamp="2026-11-23T02:00:10Z"))
    post_cti(call_event("hangup", timestamp="2026-11-23T02:01:10Z"))
    post_cti(call_event("ringing", timestamp="2026-11-23T02:00:02Z"))  # late
    post_cti(call_event("new", timestamp="2026-11-23T02:00:00Z"))  # later still
    call = Call.objects.get()
    assert call.state == CallState.ENDED
    assert call.outcome == CallOutcome.ANSWERED
    assert call.started_at.isoformat() == "2026-11-23T02:00:00+00:00"
    assert TimelineEvent.objects.filter(kind=EventKind.CALL).count() == 1
    assert set(InboundRecord.objects.values_list("status", flat=True)) == {InboundStatus.PROCESSED}


def test_the_same_event_three_times_is_stored_once(cti, post_cti):
    answers = [post_cti(call_event("hangup")).json()["status"] for _ in range(3)]
    assert answers == ["received", "duplicate", "duplicate"]
    assert InboundRecord.objects.get().duplicates == 2
    assert Call.objects.count() == 1
    assert CallbackRequest.objects.count() == 1


def test_a_missed_call_from_an_unknown_number_asks_for_a_callback(cti, post_cti):
    post_cti(call_event("ringing", caller="0813-9999-0000"))
    post_cti(call_event("hangup", caller="0813-9999-0000"))
    call = Call.objects.get()
    assert call.outcome == CallOutcome.MISSED
    callback = CallbackRequest.objects.get()
    assert callback.source == "missed_call"
    assert callback.phone == "+6281399990000"
    assert callback.call == call
    assert call.customer == callback.customer  # the number is now a customer's
    conversation = callback.conversation
    assert conversation.channel == "callback"
    assert conversation.waiting_since is not None  # queued in the inbox
    confirmation = OutboxMessage.objects.get()
    assert confirmation.channel == "sms"
    assert confirmation.recipient == "+6281399990000"
    assert "+6281399990000" in confirmation.body
    assert conversation.reference in confirmation.body


@pytest.mark.parametrize("outcome", ["abandoned", "voicemail"])
def test_abandoned_and_voicemail_calls_ask_for_a_callback(cti, post_cti, outcome):
    post_cti(call_event("hangup", outcome=outcome))
    assert Call.objects.get().outcome == outcome
    assert CallbackRequest.objects.get().source == "missed_call"


def test_a_withheld_number_is_recorded_without_customer_or_callback(cti, post_cti):
    post_cti(call_event("hangup", caller="anonymous"))
    call = Call.objects.get()
    assert call.customer is None
    assert call.outcome == CallOutcome.MISSED
    assert not CallbackRequest.objects.exists()
    assert TimelineEvent.objects.get(kind=EventKind.CALL).customer is None


def test_a_body_without_call_id_is_kept_as_failed(cti, post_cti):
    assert post_cti({"event": "ringing"}).status_code == 200
    record = InboundRecord.objects.get()
    assert record.status == InboundStatus.FAILED
    assert "call_id" in record.reason


def test_unknown_event_is_ignored_with_reason(cti, post_cti):
    post_cti(call_event("transfer"))
    record: Any = InboundRecord.objects.get()
    assert record.status == InboundStatus.PROCESSED
    assert "ignored" in record.reason
    assert not Call.objects.exists()
