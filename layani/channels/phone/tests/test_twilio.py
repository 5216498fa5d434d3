"""Twilio voice status callbacks: X-Twilio-Signature computed here as Twilio documents it
(full URL + each POST parameter name and value, sorted by name; HMAC-SHA1 with the auth
token; base64), and CallStatus mapped onto the call."""

import base64
import hashlib
import hmac
from typing import Any
from urllib.parse import urlencode

import pytest
from django.test import Client

from layani.channels.models import ChannelAccount, InboundRecord
from layani.channels.phone.models import Call, CallbackRequest, CallOutcome, CallState

pytestmark = pytest.mark.django_db(transaction=True)

AUTH_TOKEN = "12345678901234567890123456789012"
URL = "http://testserver/channels/twilio/tw-jkt/"


@pytest.fixture
def twilio(transactional_db: Any) -> ChannelAccount:
    return ChannelAccount.objects.create(
        kind="twilio", name="Twilio", key="tw-jkt", secrets={"auth_token": AUTH_TOKEN}
    )


def sign(params: dict[str, str], token: str = AUTH_TOKEN, url: str = URL) -> str:
    text = url + "".join(name + params[name] for name in sorted(params))
    return base64.b64encode(hmac.new(token.encode(), text.encode(), hashlib.sha1).digest()).decode()


def status(call_status: str, sequence: int, **extra: str) -> dict[str, str]:
    return {
        "AccountSid": "AC0000",
        "CallSid": "CA1111",
        "CallStatus": call_status,
        "Direction": "inbound",
        "From": "+6281234567890",
        "To": "client:201",
        "SequenceNumber": str(sequence),
        "Timestamp": f"Mon, 23 Nov 2026 02:00:0{sequence} +0000",
        **extra,
    }


def post(params: dict[str, str], signature: str | None = None) -> Any:
    return Client().post(
        "/channels/twilio/tw-jkt/",
        data=urlencode(params),
        content_type="application/x-www-form-urlencoded",
        headers={"X-Twilio-Signature": sign(params) if signature is None else signature},
    )


def test_a_good_signature_is_accepted_and_answered_with_empty_twiml(twilio):
    response = post(status("ringing", 0))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/xml")
    assert b"<Response/>" in response.content
    assert Call.objects.get().state == CallState.RINGING


@pytest.mark.parametrize(
    "signature",
    ["", "bm90IGEgc2lnbmF0dXJl", sign(status("ringing", 0), token="another-token")],
    ids=["missing", "garbage", "other-token"],
)
def test_a_bad_signature_is_refused_and_nothing_is_stored(twilio, signature):
    response = post(status("ringing", 0), signature=signature)
    assert response.status_code == 403
    assert not InboundRecord.objects.exists()


def test_a_tampered_body_is_refused(twilio):
    params = status("ringing", 0)
    signature = sign(params)
    params["From"] = "+6289999999999"
    assert post(params, signature=signature).status_code == 403


def test_the_address_an_admin_sets_is_what_is_signed(twilio):
    twilio.settings = {"webhook_url": "https://layani.example/channels/twilio/tw-jkt/"}
    twilio.save()
    params = status("ringing", 0)
    assert post(params).status_code == 403  # signed for Django's own view of the address
    signed = sign(params, url="https://layani.example/channels/twilio/tw-jkt/")
    assert post(params, signature=signed).status_code == 200


def test_a_call_from_ringing_to_completed(twilio, ringing_agent):
    post(status("ringing", 0))
    post(status("in-progress", 1))
    post(status("completed", 2, CallDuration="95"))
    call = Call.objects.get()
    assert call.outcome == CallOutcome.ANSWERED
    assert call.duration_seconds == 95
    assert call.agent == ringing_agent.staff
    assert call.agent_extension == "201"


def test_a_caller_who_hangs_up_while_ringing_abandoned_the_call(twilio):
    post(status("ringing", 0))
    post(status("canceled", 1))
    assert Call.objects.get().outcome == CallOutcome.ABANDONED
    assert CallbackRequest.objects.get().phone == "+6281234567890"


def test_a_retried_callback_is_stored_once(twilio):
    for _ in range(3):
        post(status("no-answer", 1))
    assert InboundRecord.objects.get().duplicates == 2
    assert Call.objects.get().outcome == CallOutcome.MISSED


def test_a_completed_call_with_talk_time_was_answered_even_without_in_progress(twilio):
    post(status("completed", 2, CallDuration="40"))
    call = Call.objects.get()
    assert call.outcome == CallOutcome.ANSWERED
    assert call.duration_seconds == 40
    assert not CallbackRequest.objects.exists()
