"""Meta's customer-service window: free-form replies only within 24 hours of the
customer's last message. Outside it WhatsApp takes a template message and Messenger /
Instagram a message tagged HUMAN_AGENT (within 7 days).

`messaging_window` is pure; `last_inbound_at` and `composer_notice` read the conversation.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from layani.core.choices import Channel
from layani.core.formatting import format_local, local_time

if TYPE_CHECKING:
    from layani.channels.models import ChannelAccount
    from layani.conversations.models import Conversation

SERVICE_WINDOW = timedelta(hours=24)
HUMAN_AGENT_WINDOW = timedelta(days=7)
META_CHANNELS = (Channel.WHATSAPP, Channel.MESSENGER, Channel.INSTAGRAM)


@dataclass(frozen=True)
class Window:
    is_open: bool
    open_until: datetime | None  # None: the customer never wrote


def messaging_window(
    last_inbound_at: datetime | None, now: datetime, length: timedelta = SERVICE_WINDOW
) -> Window:
    if last_inbound_at is None:
        return Window(is_open=False, open_until=None)
    until = last_inbound_at + length
    return Window(is_open=now < until, open_until=until)


def last_inbound_at(conversation: "Conversation", channel: str) -> datetime | None:
    from layani.conversations.models import Direction

    moment: datetime | None = conversation.messages.filter(
        direction=Direction.INBOUND, channel=channel
    ).aggregate(last=Max("created_at"))["last"]
    return moment


def default_template(account: "ChannelAccount | None") -> tuple[str, dict[str, object]] | None:
    """The account's template for messages outside the window: (key, its settings)."""
    if account is None:
        return None
    templates = account.setting("templates") or {}
    if not isinstance(templates, dict) or not templates:
        return None
    key = str(account.setting("default_template") or "")
    if key not in templates:
        return None
    config = templates[key]
    return (key, config) if isinstance(config, dict) and config.get("name") else None


def account_of(conversation: "Conversation", channel: str) -> "ChannelAccount | None":
    """The account a reply through `channel` leaves by (as `channels.sending` picks it)."""
    from layani.channels.models import ChannelAccount

    accounts = ChannelAccount.objects.filter(kind=channel, is_active=True)
    if conversation.channel_account_id is not None:
        chosen = accounts.filter(pk=conversation.channel_account_id).first()
        if chosen is not None:
            return chosen
    return accounts.order_by("pk").first()


@dataclass(frozen=True)
class Notice:
    text: str
    is_open: bool


def composer_notice(
    conversation: "Conversation", channel: str, now: datetime | None = None
) -> Notice | None:
    """What the reply box says about the window, for a Meta channel (None otherwise)."""
    if channel not in META_CHANNELS:
        return None
    now = now or timezone.now()
    last = last_inbound_at(conversation, channel)
    window = messaging_window(last, now)
    zone = conversation.branch.timezone if conversation.branch else settings.TIME_ZONE
    label = Channel(channel).label
    if window.is_open and window.open_until is not None:
        until = format_local(window.open_until, zone, with_date=False)
        if local_time(window.open_until, zone).date() != local_time(now, zone).date():
            until = format_local(window.open_until, zone)
        return Notice(
            _("%(channel)s window open until %(time)s") % {"channel": label, "time": until},
            True,
        )
    if channel == Channel.WHATSAPP:
        template = default_template(account_of(conversation, channel))
        if template is None:
            return Notice(
                _(
                    "Window closed: no template is configured for this account, "
                    "so a reply cannot be sent."
                ),
                False,
            )
        return Notice(
            _("Window closed: the reply will be sent as template %(name)s")
            % {"name": template[1]["name"]},
            False,
        )
    human = messaging_window(last, now, HUMAN_AGENT_WINDOW)
    if human.is_open:
        return Notice(
            _("Window closed: the reply will be sent tagged as a human agent's answer"), False
        )
    return Notice(_("Window closed: the customer has to write first."), False)
