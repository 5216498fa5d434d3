import json
import threading
import time
from datetime import timedelta

import pytest
from django.conf import settings
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from layani.webhooks import delivery as delivery_module
from layani.webhooks.actions import rotate_secret, update_endpoint
from layani.webhooks.delivery import (
    MAX_ATTEMPTS,
    RETRY_DELAYS,
    claim_delivery,
    claim_due_deliveries,
    retry_delay,
    send_delivery,
)
from layani.webhooks.dispatch import emit_event
from layani.webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint
from layani.webhooks.retention import prune_finished_deliveries
from layani.webhooks.signing import verify_signature
from layani.webhooks.tasks import send_due_deliveries
from layani.webhooks.tests.receiver import closed_port_url, dripping_answer, slow_answer

pytestmark = pytest.mark.django_db(transaction=True)

PAYLOAD = {"conversation": {"id": 7, "status": "open", "channel": "whatsapp"}}


def only_delivery() -> WebhookDelivery:
    [delivery] = WebhookDelivery.objects.all()
    return delivery


def sweep_when_due(delivery: WebhookDelivery) -> int:
    """Run the periodic sweep at the moment the delivery's next attempt is due."""
    delivery.refresh_from_db()
    assert delivery.next_attempt_at is not None
    return send_due_deliveries(now=delivery.next_attempt_at + timedelta(seconds=1))


def test_an_event_is_posted_after_commit_with_a_signature_the_receiver_verifies(
    receiver, make_endpoint
):
    issued = make_endpoint(events=["conversation.created"])
    with transaction.atomic():
        emit_event("conversation.created", PAYLOAD)
        assert WebhookDelivery.objects.count() == 1
        assert receiver.received == []  # nothing leaves inside the transaction

    [request] = receiver.received
    body = json.loads(request.body)
    assert body["event"] == "conversation.created"
    assert body["data"] == PAYLOAD
    assert body["created_at"].endswith("+00:00")
    assert request.headers["X-Layani-Event"] == "conversation.created"
    assert request.headers["X-Layani-Delivery"] == body["id"]
    assert request.headers["User-Agent"].startswith("Layani-Webhooks/")
    assert request.headers["Content-Type"] == "application/json"
    signature = request.headers["X-Layani-Signature"]
    assert verify_signature(issued.secret, signature, request.body)
    assert not verify_signature("whsec_wrong", signature, request.body)
    assert not verify_signature(issued.secret, signature, request.body.replace(b"7", b"8"))

    delivery = only_delivery()
    assert str(delivery.event_id) == body["id"]
    assert delivery.status == DeliveryStatus.DELIVERED
    assert delivery.attempts == 1
    assert delivery.last_status_code == 200
    assert delivery.last_duration_ms is not None
    assert delivery.delivered_at is not None
    assert delivery.next_attempt_at is None
    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.last_success_at is not None
    assert endpoint.consecutive_failures == 0


def test_every_subscribed_endpoint_gets_the_event_under_one_event_id(receiver, make_endpoint):
    make_endpoint(events=["*"], name="All")
    make_endpoint(events=["message.created"], name="Messages")
    make_endpoint(events=["conversation.created"], name="Conversations")
    emit_event("message.created", {"message": {"id": 1}})
    assert sorted(d.endpoint.name for d in WebhookDelivery.objects.select_related("endpoint")) == [
        "All",
        "Messages",
    ]
    assert len(receiver.received) == 2
    assert len({r.headers["X-Layani-Delivery"] for r in receiver.received}) == 1


def test_500_then_200_is_retried_later_and_delivered(receiver, make_endpoint):
    make_endpoint()
    receiver.answer(500)
    before = timezone.now()
    emit_event("conversation.updated", PAYLOAD)

    delivery = only_delivery()
    assert delivery.status == DeliveryStatus.PENDING
    assert delivery.attempts == 1
    assert delivery.last_status_code == 500
    assert delivery.last_error == "HTTP 500"
    # The first retry waits about a minute (with jitter), not seconds and not hours.
    wait = delivery.next_attempt_at - before
    assert timedelta(seconds=50) < wait < timedelta(seconds=70)

    assert send_due_deliveries(now=timezone.now()) == 0  # not due yet: nothing is sent
    assert len(receiver.received) == 1

    assert sweep_when_due(delivery) == 1
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DELIVERED
    assert delivery.attempts == 2
    assert delivery.last_status_code == 200
    assert delivery.last_error == ""
    first, second = receiver.received
    assert first.headers["X-Layani-Delivery"] == second.headers["X-Layani-Delivery"]
    assert first.body == second.body


def test_a_server_that_is_down_leaves_the_delivery_pending_for_later(make_endpoint):
    make_endpoint(url=closed_port_url())
    emit_event("conversation.created", PAYLOAD)
    delivery = only_delivery()
    assert delivery.status == DeliveryStatus.PENDING
    assert delivery.attempts == 1
    assert delivery.last_status_code is None
    assert "Connect" in delivery.last_error
    assert delivery.next_attempt_at > timezone.now()
    assert WebhookEndpoint.objects.get().last_failure_at is not None


def test_a_rollback_writes_no_delivery_and_sends_nothing(receiver, make_endpoint):
    make_endpoint()
    with pytest.raises(RuntimeError), transaction.atomic():
        emit_event("conversation.created", PAYLOAD)
        raise RuntimeError("the conversation was not saved after all")
    assert not WebhookDelivery.objects.exists()
    assert receiver.received == []


def test_endpoints_not_subscribed_or_switched_off_get_nothing(receiver, make_endpoint):
    make_endpoint(events=["message.created"])
    off = make_endpoint(events=["*"]).endpoint
    update_endpoint(off, is_active=False, actor=None)
    emit_event("conversation.created", PAYLOAD)
    assert not WebhookDelivery.objects.exists()
    assert receiver.received == []


def test_each_event_of_a_conversation_can_be_emitted(receiver, make_endpoint):
    make_endpoint()
    events = ["conversation.created", "conversation.updated", "message.created", "message.updated"]
    for event in events:
        emit_event(event, PAYLOAD)
    assert [r.headers["X-Layani-Event"] for r in receiver.received] == events


def test_unknown_event_names_are_a_programming_error(make_endpoint):
    make_endpoint()
    with pytest.raises(ValueError):
        emit_event("conversation.deleted", PAYLOAD)


def test_a_committed_event_waits_for_a_worker_that_was_down(receiver, make_endpoint):
    make_endpoint()
    # As if the queue lost the task (worker down): the row was committed, nothing was sent.
    with transaction.atomic():
        emit_event("conversation.created", PAYLOAD)
        transaction.get_connection().run_on_commit.clear()
    assert receiver.received == []
    delivery = only_delivery()
    assert delivery.status == DeliveryStatus.PENDING and delivery.attempts == 0

    assert send_due_deliveries(now=timezone.now()) == 1
    assert len(receiver.received) == 1
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DELIVERED


def test_a_slow_server_times_out_and_is_retried(receiver, make_endpoint, monkeypatch):
    monkeypatch.setattr(delivery_module, "TOTAL_TIMEOUT_SECONDS", 0.5)
    make_endpoint()
    receiver.answer(slow_answer(3))
    started = time.monotonic()
    with translation.override("en"):  # last_error is stored in the active language
        emit_event("conversation.created", PAYLOAD)
    assert time.monotonic() - started < 2
    delivery = only_delivery()
    assert delivery.status == DeliveryStatus.PENDING
    assert delivery.last_status_code is None
    assert delivery.last_error.startswith("Timed out")
    assert 400 <= delivery.last_duration_ms < 2000


def test_the_whole_exchange_has_a_deadline_even_when_the_server_drips(
    receiver, make_endpoint, monkeypatch
):
    monkeypatch.setattr(delivery_module, "TOTAL_TIMEOUT_SECONDS", 0.6)
    make_endpoint()
    # Each byte comes well within the per-read timeout; the whole answer takes 3 s.
    receiver.answer(dripping_answer(3))
    started = time.monotonic()
    with translation.override("en"):  # last_error is stored in the active language
        emit_event("conversation.created", PAYLOAD)
    assert time.monotonic() - started < 2
    assert only_delivery().last_error.startswith("Timed out")


def test_after_the_last_attempt_the_delivery_fails(receiver, make_endpoint):
    make_endpoint(failure_limit=0)
    receiver.answer(*[503] * MAX_ATTEMPTS)
    emit_event("conversation.created", PAYLOAD)
    delivery = only_delivery()
    for _ in range(MAX_ATTEMPTS - 1):
        assert delivery.status == DeliveryStatus.PENDING
        assert sweep_when_due(delivery) == 1
        delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.FAILED
    assert delivery.attempts == MAX_ATTEMPTS == len(receiver.received)
    assert delivery.next_attempt_at is None
    assert send_due_deliveries(now=timezone.now() + timedelta(days=30)) == 0
    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.consecutive_failures == 1
    assert endpoint.is_active  # failure_limit 0: never switched off


def exhaust(delivery: WebhookDelivery) -> None:
    while True:
        delivery.refresh_from_db()
        if delivery.status != DeliveryStatus.PENDING:
            return
        sweep_when_due(delivery)


def test_the_endpoint_is_switched_off_after_too_many_failed_deliveries(receiver, make_endpoint):
    make_endpoint(failure_limit=2)
    receiver.answer(*[500] * (2 * MAX_ATTEMPTS))
    for _ in range(2):
        emit_event("conversation.created", PAYLOAD)
        exhaust(WebhookDelivery.objects.latest("id"))
    endpoint = WebhookEndpoint.objects.get()
    assert not endpoint.is_active
    assert endpoint.consecutive_failures == 2
    assert endpoint.disabled_at is not None
    assert "HTTP 500" in endpoint.disabled_reason
    assert WebhookDelivery.objects.filter(status=DeliveryStatus.FAILED).count() == 2

    emit_event("conversation.created", PAYLOAD)  # switched off: no new delivery
    assert WebhookDelivery.objects.count() == 2

    update_endpoint(endpoint, is_active=True, actor=None)  # a fresh start
    endpoint.refresh_from_db()
    assert endpoint.consecutive_failures == 0 and endpoint.disabled_at is None


def test_a_delivery_resets_the_failure_count(receiver, make_endpoint):
    make_endpoint(failure_limit=3)
    receiver.answer(*[500] * MAX_ATTEMPTS)
    emit_event("conversation.created", PAYLOAD)
    exhaust(WebhookDelivery.objects.latest("id"))
    assert WebhookEndpoint.objects.get().consecutive_failures == 1
    emit_event("conversation.created", PAYLOAD)
    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.consecutive_failures == 0
    assert endpoint.is_active


def test_pending_deliveries_of_a_switched_off_endpoint_are_not_sent(receiver, make_endpoint):
    issued = make_endpoint()
    receiver.answer(500)
    emit_event("conversation.created", PAYLOAD)
    update_endpoint(issued.endpoint, is_active=False, actor=None)
    assert sweep_when_due(only_delivery()) == 1
    delivery = only_delivery()
    assert delivery.status == DeliveryStatus.FAILED
    assert delivery.attempts == 1  # the claim that found the endpoint off sent nothing
    assert len(receiver.received) == 1


def test_a_claimed_delivery_is_not_claimed_again(receiver, make_endpoint):
    make_endpoint(url=closed_port_url())
    emit_event("conversation.created", PAYLOAD)
    delivery = only_delivery()
    due = delivery.next_attempt_at + timedelta(seconds=1)
    assert claim_due_deliveries(now=due) == [(delivery.pk, 2)]
    assert claim_due_deliveries(now=due) == []
    assert claim_delivery(delivery.pk, now=due) is None
    # A worker holding an older claim sends nothing once a newer one exists.
    assert send_delivery(delivery.pk, 1) is None
    delivery.refresh_from_db()
    assert delivery.attempts == 2 and delivery.last_error.startswith("Connect")


@pytest.mark.skipif(
    not settings.IS_POSTGRES,
    reason="row locks are PostgreSQL's (SQLite serialises writers); CI runs this on PostgreSQL",
)
def test_two_workers_sweeping_at_once_claim_each_delivery_once(make_endpoint):
    make_endpoint(url=closed_port_url())
    with transaction.atomic():
        for _ in range(40):
            emit_event("conversation.created", PAYLOAD)
        transaction.get_connection().run_on_commit.clear()
    now = timezone.now()
    claims: list[list[tuple[int, int]]] = []
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def worker() -> None:
        try:
            start.wait()
            for _ in range(4):
                claims.append(claim_due_deliveries(now=now, limit=10))
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    claimed = [pk for batch in claims for pk, _ in batch]
    assert len(claimed) == 40
    assert len(set(claimed)) == 40
    assert set(WebhookDelivery.objects.values_list("attempts", flat=True)) == {1}


def test_emitting_with_no_endpoint_costs_one_query():
    with transaction.atomic(), CaptureQueriesContext(connection) as queries:
        emit_event("conversation.created", PAYLOAD)
    assert len(queries) == 1


def test_emitting_costs_the_same_queries_for_one_or_many_endpoints(make_endpoint):
    make_endpoint()
    with transaction.atomic(), CaptureQueriesContext(connection) as one:
        emit_event("conversation.created", PAYLOAD)
        transaction.get_connection().run_on_commit.clear()
    for i in range(5):
        make_endpoint(name=f"E{i}")
    with transaction.atomic(), CaptureQueriesContext(connection) as many:
        emit_event("conversation.created", PAYLOAD)
        transaction.get_connection().run_on_commit.clear()
    assert len(one) == len(many) == 2
    assert WebhookDelivery.objects.count() == 7


def test_after_a_secret_rotation_both_secrets_sign_for_a_while(receiver, make_endpoint):
    old = make_endpoint()
    new = rotate_secret(old.endpoint, actor=None)
    assert new.secret != old.secret
    emit_event("conversation.created", PAYLOAD)
    request = receiver.received[-1]
    header = request.headers["X-Layani-Signature"]
    assert header.count("v1=") == 2
    assert verify_signature(new.secret, header, request.body)
    assert verify_signature(old.secret, header, request.body)

    WebhookEndpoint.objects.update(previous_secret_expires_at=timezone.now())
    emit_event("conversation.created", PAYLOAD)
    request = receiver.received[-1]
    header = request.headers["X-Layani-Signature"]
    assert header.count("v1=") == 1
    assert verify_signature(new.secret, header, request.body)
    assert not verify_signature(old.secret, header, request.body)


def test_retry_delays_grow_with_jitter():
    for attempt, base in enumerate(RETRY_DELAYS, start=1):
        delays = {retry_delay(attempt) for _ in range(20)}
        assert len(delays) > 1
        assert all(base * 0.9 <= d <= base * 1.1 for d in delays)
    assert retry_delay(len(RETRY_DELAYS) + 5) <= RETRY_DELAYS[-1] * 1.1


def test_finished_deliveries_are_pruned_after_thirty_days_pending_ones_stay(
    receiver, make_endpoint
):
    make_endpoint()
    receiver.answer(200, 500)
    emit_event("conversation.created", PAYLOAD)  # delivered
    emit_event("conversation.created", PAYLOAD)  # pending, to be retried
    emit_event("conversation.created", PAYLOAD)  # delivered, but recent
    old = timezone.now() - timedelta(days=31)
    first, second, _recent = WebhookDelivery.objects.order_by("id")
    WebhookDelivery.objects.filter(pk__in=[first.pk, second.pk]).update(created_at=old)

    assert prune_finished_deliveries(now=timezone.now(), batch=1) == 1
    assert list(WebhookDelivery.objects.order_by("id").values_list("status", flat=True)) == [
        DeliveryStatus.PENDING,
        DeliveryStatus.DELIVERED,
    ]
