"""Through which channels a reply can reach a customer, and to which address (pure rules).

- Addressed channels reach the customer through one of their identities: email, WhatsApp
  (a WhatsApp identity, else the phone number), SMS (the phone, else the WhatsApp number),
  Telegram, Messenger, Instagram.
- Session channels (web chat, portal, virtual assistant) answer inside the conversation's own
  session: only the conversation's channel, addressed by the conversation's reference.
- Phone, callback and in-person contacts are documented with notes; nothing is sent.

A reply goes through the conversation's own channel by default, except when the customer's
latest message was left through the web chat's offline form: nobody was online, they have
closed the widget, and an answer there would go unseen. Email comes first then.
"""

from collections.abc import Sequence
from typing import TYPE_CHECKING

from layani.core.choices import Channel
from layani.customers.models import IdentityKind

if TYPE_CHECKING:
    from layani.conversations.models import Conversation, Message
    from layani.customers.models import CustomerIdentity

ADDRESSED_CHANNELS: dict[str, tuple[str, ...]] = {
    Channel.EMAIL: (IdentityKind.EMAIL,),
    Channel.WHATSAPP: (IdentityKind.WHATSAPP, IdentityKind.PHONE),
    Channel.SMS: (IdentityKind.PHONE, IdentityKind.WHATSAPP),
    Channel.TELEGRAM: (IdentityKind.TELEGRAM,),
    Channel.MESSENGER: (IdentityKind.MESSENGER,),
    Channel.INSTAGRAM: (IdentityKind.INSTAGRAM,),
}
SESSION_CHANNELS = frozenset({Channel.WEBCHAT, Channel.PORTAL, Channel.ASSISTANT})
SPOKEN_CHANNELS = frozenset({Channel.PHONE, Channel.CALLBACK, Channel.IN_PERSON})
# Set on a message's `meta` by the web chat: left through the offline form.
OFFLINE_FORM = "offline_form"


def address_for(
    conversation: "Conversation", channel: str, identities: Sequence["CustomerIdentity"]
) -> str | None:
    """Where a reply through `channel` goes, or None when it cannot go there."""
    if channel in SESSION_CHANNELS:
        return conversation.reference if channel == conversation.channel else None
    kinds = ADDRESSED_CHANNELS.get(channel)
    if not kinds:
        return None
    for kind in kinds:
        candidates = [i for i in identities if i.kind == kind]
        candidates.sort(key=lambda i: (not i.is_primary, i.pk or 0))
        if candidates:
            return candidates[0].value
    return None


def left_offline(message: "Message | None") -> bool:
    """Was this (the customer's latest) message left through the web chat's offline form?"""
    return message is not None and bool((message.meta or {}).get(OFFLINE_FORM))


def reply_channels_of(
    conversation: "Conversation",
    identities: Sequence["CustomerIdentity"],
    *,
    latest_inbound: "Message | None" = None,
) -> list[str]:
    """The channels a reply may leave through, the default first: the conversation's own,
    or email when `latest_inbound` (the customer's latest message) was left offline."""
    channels = [c for c in Channel.values if address_for(conversation, c, identities)]
    first = conversation.channel
    if left_offline(latest_inbound) and Channel.EMAIL in channels:
        first = Channel.EMAIL
    if first in channels:
        channels.remove(first)
        channels.insert(0, first)
    return channels
