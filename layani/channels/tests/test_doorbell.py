"""One drain job for a burst of stored records (`doorbell`), never a record stranded: the
real intake, the real queue (held, then run job by job as a worker runs it)."""

import json
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone
from huey.contrib.djhuey import HUEY

from layani.channels import batch, doorbell, processing
from layani.channels.intake import store_raw
from layani.channels.models import InboundRecord, InboundStatus
from layani.channels.tasks import sweep_inbound
from layani.channels.tests.test_pipeline import post
from layani.conversations.models import Direction, Message

pytestmark = pytest.mark.django_db(transaction=True)
# The pipeline tests' adapter of a fictional vendor, at the same address.
pytest_plugins = ["layani.channels.tests.test_pipeline"]

NUMBERS = ["0812-1111-0001", "0812-1111-0002", "0812-1111-0003"]


@pytest.fixture
def queue_held() -> Any:
    """Stored records ring the doorbell, but no worker runs until the test runs the queue."""
    HUEY.immediate = False
    HUEY.flush()
    yield
    HUEY.flush()
    HUEY.immediate = True


def run_queue() -> int:
    """What a worker does: dequeue each job and execute it, until none is left; how many
    of them were drains (the records' first messages queue routing jobs too)."""
    drains = 0
    while (task := HUEY.dequeue()) is not None:
        HUEY.execute(task)
        drains += task.name.endswith("drain_inbound")
    return drains


def message(n: int) -> dict[str, Any]:
    number = NUMBERS[n % 3]
    return {
        "id": f"m-{n}",
        "from": number,
        "name": f"Pelanggan {number[-4:]}",
        "text": f"Pesan {n}",
    }


def pending_drains() -> int:
    return sum(task.name.endswith("drain_inbound") for task in HUEY.pending())


def waiting() -> int:
    return InboundRecord.objects.filter(status=InboundStatus.RECEIVED).count()


def inbox_text(number: str) -> list[str]:
    return list(
        Message.objects.filter(
            conversation__customer__full_name=f"Pelanggan {number[-4:]}",
            direction=Direction.INBOUND,
        )
        .order_by("created_at", "id")
        .values_list("body_text", flat=True)
    )


def test_a_burst_is_drained_by_a_few_jobs_and_nothing_is_left_waiting(sample, queue_held):
    client = Client()
    for n in range(120):
        assert post(client, message(n)).status_code == 200
    assert pending_drains() == 1  # one doorbell rung for the whole burst

    drains = run_queue()

    # The first drain takes a full batch, rings once more (for the other worker), takes
    # the remaining 20; the second drain finds nothing.
    assert drains == 2
    assert waiting() == 0
    assert Message.objects.filter(direction=Direction.INBOUND).count() == 120
    for k, number in enumerate(NUMBERS):
        assert inbox_text(number) == [f"Pesan {n}" for n in range(k, 120, 3)]


def test_a_record_committed_just_after_a_drain_s_last_look_is_not_stranded(sample, queue_held):
    """The race: a drainer looks, finds nothing, and stops; a record commits right after
    that look. Here, after each look that finds nothing (three times), a record is written
    inside the look's own transaction once its statement ran (Django's statement hook), so
    it commits, and rings, just after the look: whichever look is a drain's last."""
    account, _adapter = sample
    assert post(Client(), message(1)).status_code == 200
    stored: list[str] = []

    def store_after_an_empty_look(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        looks_for_work = (
            sql.startswith("SELECT")
            and "inboundrecord" in sql
            and '"attempts" = ' in sql  # a drain's look (the sweep's takes any attempts)
            and len(stored) < 3
        )
        empty = looks_for_work and not waiting()
        result = execute(sql, params, many, context)
        if empty:
            key = f"m-late-{len(stored)}"
            stored.append(key)
            store_raw(account, key, json.dumps({**message(2), "id": key}).encode())
        return result

    with connection.execute_wrapper(store_after_an_empty_look):
        run_queue()

    assert len(stored) == 3
    assert waiting() == 0
    assert Message.objects.filter(direction=Direction.INBOUND).count() == 4


def test_a_drain_that_takes_a_full_batch_queues_another_for_the_second_worker(sample, queue_held):
    client = Client()
    for n in range(3):
        assert post(client, message(n)).status_code == 200
    first = HUEY.dequeue()  # the first worker takes the queued drain
    assert first is not None and not pending_drains()

    assert batch.drain(limit=2, rounds=1) == 2  # a full batch: more may be waiting

    assert any(task.kwargs.get("helper") for task in HUEY.pending())
    assert waiting() == 1
    run_queue()
    assert waiting() == 0


def test_a_record_tried_before_is_left_to_the_sweep(sample, queue_held):
    """A status that overtook our send waits to be asked again by the sweep, minutes
    apart; drains (one per burst) must not spend its attempts in seconds."""
    client = Client()
    assert (
        post(client, {"id": "s-1", "status": {"id": "out-9", "state": "read"}}).status_code == 200
    )
    run_queue()
    status = InboundRecord.objects.get(idempotency_key="s-1")
    assert (status.status, status.attempts) == (InboundStatus.RECEIVED, 1)

    for n in range(3):
        assert post(client, message(n)).status_code == 200
    run_queue()

    status.refresh_from_db()
    assert (status.status, status.attempts) == (InboundStatus.RECEIVED, 1)
    assert waiting() == 1
    processing.sweep(timezone.now() + timedelta(minutes=1))  # asked again: still not ours
    status.refresh_from_db()
    assert status.attempts == 2


def test_the_sweep_resets_a_doorbell_whose_drain_died_with_its_worker(sample, queue_held):
    client = Client()
    assert post(client, message(1)).status_code == 200
    assert HUEY.dequeue() is not None  # a worker took the drain and died before running it
    assert post(client, message(2)).status_code == 200
    assert not pending_drains()  # the door looks answered: nothing more is queued

    sweep_inbound.call_local()  # the minute's sweep

    assert pending_drains() == 1
    run_queue()
    assert waiting() == 0
    assert Message.objects.filter(direction=Direction.INBOUND).count() == 2


def test_a_drain_looks_only_from_a_little_before_the_record_that_rang(sample, queue_held):
    """Walking every waiting-records index entry since the last vacuum on each look would
    grow with the traffic; a record that committed far out of order is the sweep's."""
    account, _adapter = sample
    client = Client()
    assert post(client, message(1)).status_code == 200
    HUEY.flush()  # its drain is lost
    InboundRecord.objects.bulk_create(
        InboundRecord(
            account=account,
            idempotency_key=f"old-{n}",
            body=b"{}",
            status=InboundStatus.PROCESSED,
        )
        for n in range(doorbell.OUT_OF_ORDER_MARGIN + 1)
    )
    assert post(client, message(2)).status_code == 200

    run_queue()

    assert InboundRecord.objects.get(idempotency_key="m-2").status == InboundStatus.PROCESSED
    assert InboundRecord.objects.get(idempotency_key="m-1").status == InboundStatus.RECEIVED
    processing.sweep(timezone.now() + timedelta(minutes=1))
    assert InboundRecord.objects.get(idempotency_key="m-1").status == InboundStatus.PROCESSED
