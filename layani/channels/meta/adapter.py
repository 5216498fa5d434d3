"""WhatsApp Cloud API, Messenger and Instagram: one adapter, one instance per kind.

- GET handshake: `hub.mode=subscribe` and `hub.verify_token` equal (constant time) to the
  account's `verify_token` → `hub.challenge` as text; anything else → 403.
- POST: `X-Hub-Signature-256: sha256=<hex>`, HMAC-SHA256 of the exact body bytes with the
  account's `app_secret`, compared in constant time; missing or wrong → rejected, nothing
  stored. The idempotency key is a digest of the body: one delivery may batch several
  messages, each deduplicated by its own id when applied.
"""

import hashlib
import hmac

from django.http import HttpResponse

from layani.channels.base import RawRequest, Rejected, body_digest
from layani.channels.events import Event
from layani.channels.meta import handlers, outbound, parsing
from layani.channels.models import ChannelAccount, InboundRecord
from layani.channels.registry import register_adapter
from layani.conversations.models import Message

SIGNATURE_HEADER = "x-hub-signature-256"


def signature_of(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class MetaAdapter:
    kept_headers: tuple[str, ...] = (SIGNATURE_HEADER, "content-type")
    can_send = True
    # Parsing reads the stored body only (no query, nothing queued): the worker may parse a
    # record to see whether it can join a batch, and parse it again if not.
    parse_is_pure = True

    def __init__(self, kind: str) -> None:
        self.kind = kind

    def handshake(self, account: ChannelAccount, request: RawRequest) -> HttpResponse:
        expected = account.secret("verify_token")
        given = request.query.get("hub.verify_token", "")
        if (
            request.query.get("hub.mode") != "subscribe"
            or not expected
            or not hmac.compare_digest(expected.encode(), given.encode())
        ):
            return HttpResponse(
                "verification failed", status=403, content_type="text/plain; charset=utf-8"
            )
        return HttpResponse(
            request.query.get("hub.challenge", ""), content_type="text/plain; charset=utf-8"
        )

    def verify(self, account: ChannelAccount, request: RawRequest) -> None:
        secret = account.secret("app_secret")
        if not secret:
            raise Rejected("the account has no app secret configured")
        given = request.header(SIGNATURE_HEADER)
        if not given:
            raise Rejected("missing X-Hub-Signature-256")
        if not hmac.compare_digest(signature_of(secret, request.body).encode(), given.encode()):
            raise Rejected("bad X-Hub-Signature-256")

    def idempotency_key(self, account: ChannelAccount, request: RawRequest) -> str:
        return body_digest(request.body)

    def parse_inbound(self, account: ChannelAccount, record: InboundRecord) -> list[Event]:
        return parsing.parse(parsing.load(record.body_bytes()), self.kind)

    def send(self, account: ChannelAccount, message: Message) -> str:
        return outbound.send(account, message)


for _kind in ("whatsapp", "messenger", "instagram"):
    register_adapter(_kind, MetaAdapter(_kind))
handlers.register()
