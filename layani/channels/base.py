"""The interface every channel adapter implements (STYLE rule 8: vendors behind one
interface). One adapter per account kind, registered in `registry`.

- `verify(account, request)`: is this really the provider? Raise `Rejected` if not; nothing
  is stored then.
- `idempotency_key(account, request)`: the provider's id for what it sent (message id,
  Message-ID, call id), or a digest of the body; a request with a key seen before is
  acknowledged and not stored again.
- `parse_inbound(account, record)`: the stored request → domain events (`events`). Raise
  `Unparseable` for what cannot be read: the record is kept with the reason.
- `send(account, message)`: deliver one stored outgoing message; return the provider's id
  for it (delivery updates come back by that id). Raise `SendFailed` for a refusal that a
  retry will not fix; other exceptions are retried by the worker.
- `handshake(account, request)`: answer a provider's GET verification (Meta), or None.
"""

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from layani.channels.events import Event
    from layani.channels.models import ChannelAccount, InboundRecord
    from layani.conversations.models import Message


def _no_url() -> str:
    return ""


@dataclass(frozen=True)
class RawRequest:
    """An HTTP request as the provider sent it: the exact body bytes (signatures are
    computed over them) and the headers by lower-cased name.

    The webhook view reads headers from the server's environment only when an adapter asks
    for one, and builds the absolute URL only for an adapter that signs it (Twilio): on the
    intake's hot path, copying every header and building the URL for every request cost
    about a tenth of its CPU."""

    method: str
    path: str
    body: bytes
    headers: Mapping[str, str] = field(default_factory=dict)
    query: Mapping[str, str] = field(default_factory=dict)
    absolute_url: Callable[[], str] = _no_url

    def header(self, name: str, default: str = "") -> str:
        return self.headers.get(name.lower(), default)

    @property
    def url(self) -> str:
        return self.absolute_url()


class Rejected(Exception):
    """The request is not from the provider (bad or missing signature, wrong token)."""

    def __init__(self, reason: str, status: int = 403) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status


class Unparseable(Exception):
    """The stored request cannot be read; the reason is kept on the record."""


class NotYet(Exception):
    """The record refers to something not stored yet (a delivery status that overtook the
    send it reports on): processed again by the sweep, quietly, a few times."""


class SendFailed(Exception):
    """The provider refused the message for good (a retry would not help)."""


def body_digest(body: bytes) -> str:
    return "sha256:" + hashlib.sha256(body).hexdigest()


class Adapter(Protocol):
    kind: str
    # Headers kept with the stored request (signatures, content type, event names).
    kept_headers: tuple[str, ...]

    def verify(self, account: "ChannelAccount", request: RawRequest) -> None: ...

    def idempotency_key(self, account: "ChannelAccount", request: RawRequest) -> str: ...

    def parse_inbound(
        self, account: "ChannelAccount", record: "InboundRecord"
    ) -> "list[Event]": ...

    def send(self, account: "ChannelAccount", message: "Message") -> str: ...

    def handshake(self, account: "ChannelAccount", request: RawRequest) -> Any: ...
