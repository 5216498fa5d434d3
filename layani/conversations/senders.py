"""Who sends a conversation reply, per channel (STYLE rule 8: vendors behind one interface).

Channel adapters register their sender with `register_sender("whatsapp", send)`; a channel
without one goes through the outbox, which records what would have been sent. A sender
receives the stored outbound message and reports back with
`actions.update_delivery_status`.
"""

from collections.abc import Callable

from layani.conversations.models import Message
from layani.conversations.outbox import send_through_outbox

Sender = Callable[[Message], None]
_SENDERS: dict[str, Sender] = {}


def register_sender(channel: str, sender: Sender) -> None:
    _SENDERS[channel] = sender


def unregister_sender(channel: str) -> None:
    _SENDERS.pop(channel, None)


def sender_for(channel: str) -> Sender:
    return _SENDERS.get(channel, send_through_outbox)
