"""Through which channels a reply can reach a customer, and to which address (pure rules).

- Addressed channels reach the customer through one of their identities: email, WhatsApp
  (a WhatsApp identity, else the phone number), SMS (the phone, else the WhatsApp number),
  Telegram, Messenger, Instagram.
- Session channels (web chat, portal, virtual assistant) answer inside the conversation's own
  session: only the conversation's channel, addressed by the conversation's reference.
- Phone, callback and in-person contacts are documented with notes; nothing is sent.
"""

from collections.abc import Sequence
from typing import TYPE_CHECKING

from layani.core.choices import Channel
from layani.customers.models import IdentityKind

if TYPE_CHECKING:
    from layani.conversations.models import Conversation
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


def reply_channels_of(
    conversation: "Conversation", identities: Sequence["CustomerIdentity"]
) -> list[str]:
    """The channels a reply may leave through, the conversation's own first."""
    channels = [c for c in Channel.values if address_for(conversation, c, identities)]
    if conversation.channel in channels:
        channels.remove(conversation.channel)
        channels.insert(0, conversation.channel)
    return channels
