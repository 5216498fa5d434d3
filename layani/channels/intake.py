"""Store what a provider sent, durably, before answering it (the no-loss rule).

`store` writes the raw request with its idempotency key and commits; only then is the
background job queued and the provider answered 2xx. A request with a key already stored
(a provider retry, a double POST) is counted on the first record and not stored again.
"""

from django.db import IntegrityError, transaction
from django.db.models import F

from layani.channels.base import Adapter, RawRequest
from layani.channels.models import ChannelAccount, InboundRecord
from layani.core.events import enqueue_on_commit

MAX_KEY = 255


def store(account: ChannelAccount, adapter: Adapter, request: RawRequest) -> InboundRecord | None:
    """The new record, or None when this request was stored before."""
    key = adapter.idempotency_key(account, request)[:MAX_KEY]
    headers = {name: request.header(name) for name in adapter.kept_headers if request.header(name)}
    return store_raw(account, key, request.body, headers)


def store_raw(
    account: ChannelAccount, key: str, body: bytes, headers: dict[str, str] | None = None
) -> InboundRecord | None:
    """Store one inbound item (also used by pollers such as IMAP, which have no request)."""
    from layani.channels.tasks import process_inbound

    try:
        with transaction.atomic():
            record = InboundRecord.objects.create(
                account=account, idempotency_key=key[:MAX_KEY], headers=headers or {}, body=body
            )
            enqueue_on_commit(process_inbound, record.pk)
    except IntegrityError:
        InboundRecord.objects.filter(account=account, idempotency_key=key[:MAX_KEY]).update(
            duplicates=F("duplicates") + 1
        )
        return None
    return record
