"""The worker takes waiting WhatsApp records many at a time: follow-ups together, the rest
one at a time, with the same result and notes as one record after another."""

import json
import time
from typing import Any

import pytest
from django.db import IntegrityError, connection
from django.test.utils import CaptureQueriesContext
from huey.contrib.djhuey import HUEY

from layani.channels import batch
from layani.channels.meta.tests.conftest import post
from layani.channels.models import InboundRecord, InboundStatus
from layani.conversations.models import Conversation, Direction, Message

pytestmark = pytest.mark.django_db(transaction=True)


def text(number: str, message_id: str, body: str) -> dict[str, Any]:
    return value({"messages": [_message(number, message_id, body)], "contacts": [_contact(number)]})


def _message(number: str, message_id: str, body: str) -> dict[str, Any]:
    return {
        "from": number,
        "id": message_id,
        "timestamp": str(int(time.time())),
        "type": "text",
        "text": {"body": body},
    }


def _contact(number: str) -> dict[str, Any]:
    return {"profile": {"name": f"Pelanggan {number[-4:]}"}, "wa_id": number}


def status(message_id: str, state: str) -> dict[str, Any]:
    return value(
        {
            "statuses": [
                {
                    "id": message_id,
                    "status": state,
                    "timestamp": str(int(time.time())),
                    "recipient_id": "6281200000001",
                }
            ]
        }
    )


def value(content: dict[str, Any]) -> dict[str, Any]:
    return {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "id": "100000000000001",
                "changes": [
                    {
                        "field": "messages",
                        "value": {
                            "messaging_product": "whatsapp",
                            "metadata": {
                                "display_phone_number": "6281100000000",
                                "phone_number_id": "106540352242922",
                            },
                            **content,
                        },
                    }
                ],
            }
        ],
    }


@pytest.fixture
def queue_held():
    """Webhooks are stored and acknowledged, but no worker takes them until the test says."""
    HUEY.immediate = False
    yield
    HUEY.flush()
    HUEY.immediate = True


def backlog(whatsapp, payloads: list[dict[str, Any] | bytes]) -> list[int]:
    first = InboundRecord.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    for payload in payloads:
        assert post(whatsapp, payload).status_code == 200
    return list(
        InboundRecord.objects.filter(pk__gt=first).order_by("pk").values_list("pk", flat=True)
    )


def inbox_text(number: str) -> list[str]:
    return list(
        Message.objects.filter(
            conversation__customer__identities__value=f"+{number}",
            direction=Direction.INBOUND,
        )
        .order_by("created_at", "id")
        .values_list("body_text", flat=True)
    )


def start_conversations(whatsapp, numbers: list[str]) -> None:
    """Each number has written once and its conversation is open (processed as they come)."""
    for number in numbers:
        assert post(whatsapp, text(number, f"wamid.hello.{number}", "Halo")).status_code == 200
    assert Conversation.objects.count() >= len(numbers)


def test_a_mixed_backlog_ends_as_if_taken_one_record_at_a_time(whatsapp, queue_held):
    HUEY.immediate = True
    start_conversations(whatsapp, ["6281200000001", "6281200000002"])
    HUEY.immediate = False
    ids = backlog(
        whatsapp,
        [
            text("6281200000001", "wamid.a1", "Saldo saya berkurang"),
            text("6281299999999", "wamid.new1", "Saya belum jadi nasabah"),  # new sender
            text("6281200000002", "wamid.b1", "Kartu saya tertelan"),
            status("wamid.not-ours", "delivered"),  # goes the one-at-a-time way
            b'{"object": "whatsapp_business_account", "entry": [',  # cannot be read
            text("6281299999999", "wamid.new2", "Mau buka rekening"),  # after its first
            text("6281200000001", "wamid.a1", "Saldo saya berkurang?"),  # the same id again
            text("6281200000001", "wamid.a2", "Tolong dicek"),
        ],
    )

    processed = batch.process_batch(ids[0])

    records = {r.pk: r for r in InboundRecord.objects.filter(pk__in=ids)}
    assert processed == len(ids)
    assert inbox_text("6281200000001") == ["Halo", "Saldo saya berkurang", "Tolong dicek"]
    assert inbox_text("6281200000002") == ["Halo", "Kartu saya tertelan"]
    assert inbox_text("6281299999999") == ["Saya belum jadi nasabah", "Mau buka rekening"]
    assert records[ids[0]].status == InboundStatus.PROCESSED
    assert records[ids[0]].reason.startswith("message ")
    assert records[ids[6]].reason == "duplicate wamid.a1"
    assert records[ids[4]].status == InboundStatus.FAILED
    assert records[ids[3]].status == InboundStatus.RECEIVED  # a status may overtake our send
    assert "no message wamid.not-ours yet" in records[ids[3]].reason
    assert all(records[pk].attempts == 1 for pk in ids)


def test_a_backlog_of_follow_ups_costs_the_same_statements_whatever_its_size(whatsapp, queue_held):
    numbers = [f"62812000001{n:02d}" for n in range(30)]
    HUEY.immediate = True
    start_conversations(whatsapp, numbers)
    HUEY.immediate = False

    def statements(count: int, round_: str) -> int:
        ids = backlog(
            whatsapp,
            [text(numbers[n], f"wamid.{round_}.{n}", f"Pesan {n}") for n in range(count)],
        )
        with CaptureQueriesContext(connection) as queries:
            assert batch.process_batch(ids[0]) == count
        assert (
            not InboundRecord.objects.filter(pk__in=ids)
            .exclude(status=InboundStatus.PROCESSED)
            .exists()
        )
        return len(queries.captured_queries)

    assert statements(3, "small") == statements(30, "large")


def test_a_batch_that_cannot_be_written_is_taken_one_record_at_a_time(
    whatsapp, queue_held, monkeypatch
):
    HUEY.immediate = True
    start_conversations(whatsapp, ["6281200000003"])
    HUEY.immediate = False
    ids = backlog(
        whatsapp,
        [text("6281200000003", f"wamid.c{n}", f"Pesan {n}") for n in range(3)],
    )

    def collide(items):
        # What a second worker storing the same message id a moment earlier causes.
        raise IntegrityError("duplicate key value violates unique constraint")

    monkeypatch.setattr(batch, "append_follow_ups", collide)
    assert batch.process_batch(ids[0]) == 3
    assert inbox_text("6281200000003") == ["Halo", "Pesan 0", "Pesan 1", "Pesan 2"]
    assert set(InboundRecord.objects.filter(pk__in=ids).values_list("status", flat=True)) == {
        InboundStatus.PROCESSED
    }


def test_the_queued_job_takes_its_record_and_those_after_it_only(whatsapp, queue_held):
    HUEY.immediate = True
    start_conversations(whatsapp, ["6281200000004"])
    HUEY.immediate = False
    ids = backlog(
        whatsapp,
        [text("6281200000004", f"wamid.d{n}", f"Pesan {n}") for n in range(4)],
    )
    # An older record (its worker died) is the sweep's, not this job's.
    assert batch.process_batch(ids[1], limit=2) == 2
    statuses = dict(InboundRecord.objects.filter(pk__in=ids).values_list("pk", "status"))
    assert [statuses[pk] for pk in ids] == [
        InboundStatus.RECEIVED,
        InboundStatus.PROCESSED,
        InboundStatus.PROCESSED,
        InboundStatus.RECEIVED,
    ]
    assert json.loads(InboundRecord.objects.get(pk=ids[0]).body_bytes())["object"]
