"""What an adapter makes of a provider's request: plain domain events, no vendor payload.

`parse_inbound` returns a list of these; `apply` turns each into customers, conversations,
messages and delivery statuses. Every event carries the provider's own id so that applying
it twice changes nothing.
"""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class Sender:
    """Who wrote: an identity kind of `customers.IdentityKind` and its raw value (the
    adapter need not normalise it), plus the name the channel shows, if any."""

    kind: str
    value: str
    name: str = ""


@dataclass(frozen=True)
class IncomingAttachment:
    filename: str
    content_type: str = ""
    content: bytes | None = None  # the file itself, when the request carried it
    media_ref: str = ""  # or the provider's id to fetch it by, in the background
    is_inline: bool = False
    content_id: str = ""


@dataclass(frozen=True)
class IncomingMessage:
    """A customer wrote. `kind` says what (text, image, document, audio, video, location,
    contacts, interactive, button, reaction, edited, unsupported...); `text` is always a
    readable rendering of it, so an agent sees something for every kind."""

    sender: Sender
    external_id: str
    text: str
    kind: str = "text"
    html: str = ""
    subject: str = ""
    received_at: datetime | None = None
    attachments: tuple[IncomingAttachment, ...] = ()
    # Never answered automatically: bounces, auto-replies, delivery reports.
    auto_submitted: bool = False
    # Kept on the message: threading headers, location, the original type of an
    # unsupported message...
    meta: dict[str, Any] = field(default_factory=dict)
    # Set by an adapter that threads by itself (email): the conversation to append to.
    conversation_id: int | None = None


@dataclass(frozen=True)
class DeliveryUpdate:
    """The provider reports on one of our outgoing messages (sent/delivered/read/failed)."""

    external_id: str
    status: str
    at: datetime | None = None
    error: str = ""


@dataclass(frozen=True)
class Ignored:
    """Nothing to do, on purpose (a handshake echo, an event type we do not act on); the
    reason is kept on the record."""

    reason: str


@dataclass(frozen=True)
class CustomEvent:
    """An event a channel package handles itself (a call ringing, a callback request):
    `apply` hands it to the handler registered for `name` (`registry.register_handler`)."""

    name: str
    data: dict[str, Any]
    external_id: str = ""


Event = IncomingMessage | DeliveryUpdate | Ignored | CustomEvent
