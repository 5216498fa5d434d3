"""`update_each`: each row gets its own values in one statement, NULLs and all."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from layani.channels.models import ChannelAccount, InboundRecord
from layani.core.bulk_update import update_each

pytestmark = pytest.mark.django_db


def records(count: int) -> list[InboundRecord]:
    account = ChannelAccount.objects.create(kind="whatsapp", name="WA", key="wa-bulk")
    return [
        InboundRecord.objects.create(account=account, idempotency_key=f"k{n}", body=b"{}")
        for n in range(count)
    ]


def test_each_row_gets_its_own_values_and_nothing_else_changes():
    first, second, third = records(3)
    now = timezone.now()
    first.reason, first.processed_at, first.attempts = "message 1", now, 1
    second.reason, second.processed_at, second.attempts = "duplicate x", None, 4
    first.idempotency_key = "not written"

    with CaptureQueriesContext(connection) as queries:
        assert update_each([first, second], ["reason", "processed_at", "attempts"]) == 2

    assert len(queries.captured_queries) == 1
    rows = {r.pk: r for r in InboundRecord.objects.all()}
    assert (rows[first.pk].reason, rows[first.pk].processed_at, rows[first.pk].attempts) == (
        "message 1",
        now,
        1,
    )
    assert (rows[second.pk].reason, rows[second.pk].processed_at) == ("duplicate x", None)
    assert rows[second.pk].attempts == 4
    assert rows[first.pk].idempotency_key == "k0"
    assert rows[third.pk].reason == "" and rows[third.pk].attempts == 0


def test_a_column_that_is_null_in_every_row_is_written_as_null():
    rows = records(2)
    for row in rows:
        row.processed_at = None
    InboundRecord.objects.update(processed_at=timezone.now() - timedelta(days=1))
    assert update_each(rows, ["processed_at"]) == 2
    assert not InboundRecord.objects.filter(processed_at__isnull=False).exists()
