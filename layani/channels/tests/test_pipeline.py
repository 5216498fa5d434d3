"""The channel pipeline with a minimal adapter of a fictional vendor ("sample"): a signed
JSON webhook. Real vendors have their own tests; these check what every channel shares:
durable before 2xx, once only, kept when unreadable, recovered after a dead worker."""

import hashlib
import hmac
import json
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from huey.contrib.djhuey import HUEY

from layani.channels import processing, registry
from layani.channels.base import RawRequest, Rejected, Unparseable
from layani.channels.events import DeliveryUpdate, IncomingMessage, Sender
from layani.channels.models import ChannelAccount, InboundRecord, InboundStatus
from layani.conversations.actions import reply
from layani.conversations.models import (
    Conversation,
    DeliveryStatus,
    Direction,
    Message,
    OutboxMessage,
)
from layani.customers.models import CustomerIdentity

SECRET = "s3cret"


class SampleAdapter:
    """Signed JSON: {"id": ..., "from": "+62...", "name": ..., "text": ...} or
    {"status": {"id": ..., "state": "delivered"}}."""

    kind = "webchat"  # borrows a kind the account choices know; its own tests use its own
    kept_headers = ("x-signature",)
    can_send = True
    sent: list[str] = []

    def verify(self, account: ChannelAccount, request: RawRequest) -> None:
        expected = hmac.new(SECRET.encode(), request.body, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, request.header("x-signature")):
            raise Rejected("bad signature")

    def idempotency_key(self, account: ChannelAccount, request: RawRequest) -> str:
        try:
            return str(json.loads(request.body).get("id") or "")
        except ValueError:
            return hashlib.sha256(request.body).hexdigest()

    def parse_inbound(self, account: ChannelAccount, record: InboundRecord) -> list[Any]:
        try:
            data = json.loads(record.body_bytes())
        except ValueError as exc:
            raise Unparseable(f"not JSON: {exc}") from exc
        if "status" in data:
            return [
                DeliveryUpdate(external_id=data["status"]["id"], status=data["status"]["state"])
            ]
        return [
            IncomingMessage(
                sender=Sender(kind="whatsapp", value=data["from"], name=data.get("name", "")),
                external_id=data["id"],
                text=data["text"],
            )
        ]

    def send(self, account: ChannelAccount, message: Message) -> str:
        self.sent.append(message.body_text)
        return f"out-{message.pk}"

    def handshake(self, account: ChannelAccount, request: RawRequest) -> None:
        return None


pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def sample(transactional_db: Any) -> Any:
    adapter = SampleAdapter()
    adapter.sent = []
    previous = registry.adapter_for("webchat")
    registry.register_adapter("webchat", adapter)
    from layani.channels.sending import register_senders

    register_senders()
    account = ChannelAccount.objects.create(kind="webchat", name="Sample", key="sample-1")
    yield account, adapter
    if previous is not None:
        registry.register_adapter("webchat", previous)
    else:
        registry._all().pop("webchat", None)


def post(client: Client, payload: dict[str, Any] | bytes, *, key: str = "sample-1") -> Any:
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    signature = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    return client.post(
        f"/channels/webchat/{key}/",
        data=body,
        content_type="application/json",
        headers={"X-Signature": signature},
    )


MESSAGE = {
    "id": "m-1",
    "from": "0812-1111-2222",
    "name": "Dewi Lestari",
    "text": "Halo, kartu saya",
}


def test_a_message_becomes_a_conversation_of_a_new_customer_with_an_acknowledgement(sample):
    account, adapter = sample
    response = post(Client(), MESSAGE)
    assert response.status_code == 200
    assert response.json() == {"status": "received"}
    record = InboundRecord.objects.get()
    assert record.status == InboundStatus.PROCESSED
    assert record.headers["x-signature"]
    conversation = Conversation.objects.get()
    assert conversation.customer.full_name == "Dewi Lestari"
    assert CustomerIdentity.objects.get(customer=conversation.customer).value == "+6281211112222"
    assert conversation.channel_account_id == account.pk
    inbound, ack = conversation.messages.order_by("pk")
    assert inbound.body_text == "Halo, kartu saya"
    # The acknowledgement names the ticket and a time, leaves as a reply, and is not an answer.
    assert ack.direction == Direction.OUTBOUND and ack.meta == {"automatic": "acknowledgement"}
    assert f"L-{conversation.pk}" in ack.body_text
    assert adapter.sent == [ack.body_text]
    assert ack.delivery_status == DeliveryStatus.SENT and ack.external_id == f"out-{ack.pk}"
    conversation.refresh_from_db()
    assert conversation.first_response_at is None
    assert conversation.waiting_since is not None
    assert conversation.last_preview == "Halo, kartu saya"  # the row shows their words


def test_a_complaint_is_recognised_before_the_customer_is_told_when_to_expect_an_answer(
    sample, monkeypatch
):
    """A routing rule for complaint words gives the new conversation its purpose as it
    arrives, so the acknowledgement promises the complaint's time, not a routine one's."""
    from datetime import UTC, datetime

    from layani.channels.acknowledge import acknowledgement_text
    from layani.routing.models import RoutingRule, SlaPolicy

    arrival = datetime(2030, 3, 11, 3, 0, tzinfo=UTC)  # Monday 10.00 in Jakarta
    monkeypatch.setattr(timezone, "now", lambda: arrival)
    SlaPolicy.objects.create(
        name="Keluhan", order=10, purposes=["complaint"], first_response_minutes=15
    )
    SlaPolicy.objects.create(name="Standar", order=20, first_response_minutes=3 * 24 * 60)
    RoutingRule.objects.create(name="Kata keluhan", keywords=["kecewa"], set_purpose="complaint")
    assert post(Client(), {**MESSAGE, "text": "Saya kecewa sekali"}).status_code == 200

    conversation = Conversation.objects.get()
    assert conversation.purpose == "complaint"
    _inbound, ack = conversation.messages.order_by("pk")
    assert "10.15" in ack.body_text  # 15 minutes after it arrived
    assert ack.body_text == acknowledgement_text(conversation, conversation.customer)
    conversation.purpose = "routine"  # what a routine question is promised: three days
    assert "10.15" not in acknowledgement_text(conversation, conversation.customer)


def test_the_same_webhook_three_times_stores_and_processes_once(sample):
    client = Client()
    answers = [post(client, MESSAGE).json()["status"] for _ in range(3)]
    assert answers == ["received", "duplicate", "duplicate"]
    assert InboundRecord.objects.get().duplicates == 2
    assert Message.objects.filter(direction=Direction.INBOUND).count() == 1


def test_a_bad_signature_is_rejected_and_nothing_is_stored(sample):
    body = json.dumps(MESSAGE).encode()
    response = Client().post(
        "/channels/webchat/sample-1/",
        data=body,
        content_type="application/json",
        headers={"X-Signature": "0" * 64},
    )
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "rejected"
    assert not InboundRecord.objects.exists()
    missing = Client().post(
        "/channels/webchat/sample-1/", data=body, content_type="application/json"
    )
    assert missing.status_code == 403
    assert (
        Client()
        .post("/channels/webchat/nope/", data=body, content_type="application/json")
        .status_code
        == 404
    )
    assert not InboundRecord.objects.exists()


def test_an_unreadable_request_is_kept_with_its_reason_and_reprocessed_after_a_fix(sample):
    response = post(Client(), b"{not json")
    assert response.status_code == 200  # stored: the provider must not retry forever
    record = InboundRecord.objects.get()
    assert record.status == InboundStatus.FAILED
    assert record.reason.startswith("not JSON")
    # "The fix": the same bytes become readable (here: the record is corrected by an admin).
    InboundRecord.objects.filter(pk=record.pk).update(body=json.dumps(MESSAGE).encode())
    assert processing.reprocess([record.pk]) == 1
    record.refresh_from_db()
    assert record.status == InboundStatus.PROCESSED
    assert Message.objects.filter(direction=Direction.INBOUND).count() == 1


def test_a_worker_killed_between_storage_and_processing_loses_nothing(sample):
    # No worker runs: the job queued with the record never executes (the worker died).
    HUEY.immediate = False
    try:
        assert post(Client(), MESSAGE).status_code == 200
        assert post(Client(), {**MESSAGE, "id": "m-2", "text": "masih di sini?"}).status_code == 200
    finally:
        HUEY.flush()
        HUEY.immediate = True
    assert InboundRecord.objects.filter(status=InboundStatus.RECEIVED).count() == 2
    assert not Message.objects.exists()
    # Too fresh for the sweep: the queued job may still be coming.
    assert processing.sweep() == 0
    assert processing.sweep(timezone.now() + timedelta(minutes=1)) == 2
    assert processing.sweep(timezone.now() + timedelta(minutes=1)) == 0  # once only
    texts = list(
        Message.objects.filter(direction=Direction.INBOUND)
        .order_by("pk")
        .values_list("body_text", flat=True)
    )
    assert texts == ["Halo, kartu saya", "masih di sini?"]
    assert Conversation.objects.count() == 1


def test_delivery_updates_come_back_onto_the_reply_and_never_go_backwards(sample, agent):
    post(Client(), MESSAGE)
    conversation = Conversation.objects.get()
    sent = reply(conversation, body_text="Baik Bu, kami cek.", actor=agent)
    sent.refresh_from_db()
    assert sent.external_id == f"out-{sent.pk}"
    post(Client(), {"id": "s-1", "status": {"id": sent.external_id, "state": "read"}})
    post(Client(), {"id": "s-2", "status": {"id": sent.external_id, "state": "delivered"}})
    sent.refresh_from_db()
    assert sent.delivery_status == DeliveryStatus.READ


def test_a_demo_account_sends_through_the_outbox_and_never_reaches_the_provider(sample, agent):
    account, adapter = sample
    account.settings = {"send_through_outbox": True}
    account.save()
    post(Client(), MESSAGE)
    conversation = Conversation.objects.get()
    sent = reply(conversation, body_text="Baik Bu, kami cek.", actor=agent)
    assert adapter.sent == []
    outbox = OutboxMessage.objects.get(message=sent)
    assert (outbox.channel, outbox.body) == ("webchat", "Baik Bu, kami cek.")
    assert outbox.recipient
    sent.refresh_from_db()
    assert sent.delivery_status == DeliveryStatus.SENT


def test_a_queue_that_cannot_be_reached_loses_nothing(sample):
    """Redis down at the moment of intake: the record is stored and the provider answered
    (it must not retry a request we have); the sweep processes it later."""
    from huey.storage import RedisStorage

    HUEY.immediate = False
    working = HUEY.storage
    HUEY.storage = RedisStorage(HUEY.name, url="redis://127.0.0.1:1/0")  # nothing listens
    try:
        response = post(Client(), MESSAGE)
    finally:
        HUEY.storage = working
        HUEY.immediate = True
    assert response.status_code == 200
    assert response.json() == {"status": "received"}
    assert InboundRecord.objects.get().status == InboundStatus.RECEIVED
    assert processing.sweep(timezone.now() + timedelta(minutes=1)) == 1
    assert Message.objects.get(direction=Direction.INBOUND).body_text == "Halo, kartu saya"


def test_intake_is_one_statement_per_webhook_once_the_account_is_known(
    sample, django_assert_num_queries
):
    HUEY.immediate = False  # count the intake alone, not the processing queued with it
    try:
        client = Client()
        post(client, MESSAGE)
        with django_assert_num_queries(1):
            assert post(client, {**MESSAGE, "id": "m-2"}).json() == {"status": "received"}
        with django_assert_num_queries(2):  # a repeat: the insert finds it, the count moves
            assert post(client, {**MESSAGE, "id": "m-2"}).json() == {"status": "duplicate"}
    finally:
        HUEY.flush()
        HUEY.immediate = True
    assert InboundRecord.objects.get(idempotency_key="m-2").duplicates == 1


def test_an_account_switched_off_stops_taking_webhooks_at_once(sample):
    account, _adapter = sample
    client = Client()
    assert post(client, MESSAGE).status_code == 200
    account.is_active = False
    account.save()  # the admin's save: this process forgets its copy
    assert post(client, {**MESSAGE, "id": "m-2"}).status_code == 404
    account.is_active = True
    account.save()
    assert post(client, {**MESSAGE, "id": "m-3"}).status_code == 200
    assert InboundRecord.objects.count() == 2


def test_another_process_s_change_applies_once_the_kept_copy_expires(sample, monkeypatch):
    from layani.channels import accounts

    account, _adapter = sample
    assert accounts.active_account("webchat", "sample-1") == account
    # A change made elsewhere (another process, a bulk update): no signal reaches this one.
    ChannelAccount.objects.filter(pk=account.pk).update(is_active=False)
    assert accounts.active_account("webchat", "sample-1") == account  # kept for a moment
    monkeypatch.setattr(accounts._accounts, "max_age", 0.0)
    assert accounts.active_account("webchat", "sample-1") is None
