"""Store what a provider sent, durably, before answering it (the no-loss rule).

`store` writes the raw request with its idempotency key in one statement
(`INSERT ... ON CONFLICT DO NOTHING RETURNING id`), which commits on its own when no
transaction is open; only then is the doorbell rung (a drain job queued unless one is
queued already, `doorbell`) and the provider answered 2xx. A request with a key already
stored (a provider retry, a double POST) inserts nothing and is counted on the first
record.

The queue is a doorbell, not the record: when it cannot be reached the request is still
stored and acknowledged, and the sweep (`processing.sweep`) processes it later.
"""

import functools
import logging
from typing import Any

from django.db import connection, transaction
from django.db.models import F, Field
from django.utils import timezone

from layani.channels import doorbell
from layani.channels.base import Adapter, RawRequest
from layani.channels.models import ChannelAccount, InboundRecord, InboundStatus

logger = logging.getLogger(__name__)

MAX_KEY = 255

# What a new record's insert binds (the rest of its columns are the same for every record
# and written into the statement).
_BOUND = ("account", "idempotency_key", "received_at", "headers", "body")
_FIXED: dict[str, str | int] = {
    "status": InboundStatus.RECEIVED.value,
    "attempts": 0,
    "reason": "",
    "duplicates": 0,
}


def store(account: ChannelAccount, adapter: Adapter, request: RawRequest) -> InboundRecord | None:
    """The new record, or None when this request was stored before."""
    key = adapter.idempotency_key(account, request)[:MAX_KEY]
    headers = {name: request.header(name) for name in adapter.kept_headers if request.header(name)}
    return store_raw(account, key, request.body, headers)


def store_raw(
    account: ChannelAccount, key: str, body: bytes, headers: dict[str, str] | None = None
) -> InboundRecord | None:
    """Store one inbound item (also used by pollers such as IMAP, which have no request)."""
    record = InboundRecord(
        account=account,
        idempotency_key=key[:MAX_KEY],
        received_at=timezone.now(),
        headers=headers or {},
        body=body,
        status=InboundStatus.RECEIVED,
    )
    record.pk = _insert_once(record)
    if record.pk is None:
        first = InboundRecord.objects.filter(account=account, idempotency_key=key[:MAX_KEY])
        first.update(duplicates=F("duplicates") + 1)
        return None
    transaction.on_commit(lambda: ring(record.pk))
    return record


def ring(record_id: int) -> None:
    """Make sure a drain comes for what was stored; a queue that is down leaves it to the
    sweep."""
    try:
        doorbell.ring(record_id)
    except Exception:
        logger.exception("inbound record stored, no drain queued: the sweep will take it")


def _insert_once(record: InboundRecord) -> int | None:
    """One statement: the new row's id, or None when the key is stored already."""
    sql, received_at, headers = _insert_statement(connection.vendor)
    values = [
        record.account_id,
        record.idempotency_key,
        received_at.get_db_prep_save(record.received_at, connection),
        headers.get_db_prep_save(record.headers, connection),
        record.body,
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        row = cursor.fetchone()
    return None if row is None else int(row[0])


@functools.cache
def _insert_statement(vendor: str) -> "tuple[str, Field[Any, Any], Field[Any, Any]]":
    """The statement (made once per process: every webhook uses it), and the two bound
    fields whose values need the database's form (a timestamp, JSON)."""
    meta = InboundRecord._meta
    quote = connection.ops.quote_name
    fields = {field.name: field for field in meta.concrete_fields}
    columns = ", ".join(quote(fields[name].column) for name in [*_BOUND, *_FIXED])
    # The fixed values are this module's constants (no input), written as SQL literals.
    literals = ", ".join(
        str(value) if isinstance(value, int) else "'" + value.replace("'", "''") + "'"
        for value in _FIXED.values()
    )
    sql = (
        f"INSERT INTO {quote(meta.db_table)} ({columns}) "
        f"VALUES ({', '.join(['%s'] * len(_BOUND))}, {literals}) "
        f"ON CONFLICT DO NOTHING RETURNING {quote(str(meta.pk.column))}"
    )
    return sql, fields["received_at"], fields["headers"]
