"""The intake acknowledgement: the customer is told, honestly, when to expect an answer.

The time comes from the SLA policy that applies (`routing.sla.expected_answer_for`: the
first-response target on the policy's business calendar, holidays included), or the default
target without one. Written in the customer's language; never sent for auto-replies and
bounces (the caller checks), nor on channels that have no text (phone)."""

from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from django.utils import timezone, translation
from django.utils.translation import gettext as _

from layani.conversations.actions import send_automatic
from layani.conversations.models import Conversation
from layani.core.formatting import format_local
from layani.routing.sla import expected_answer_for

if TYPE_CHECKING:
    from layani.channels.models import ChannelAccount
    from layani.customers.models import Customer

DEFAULT_ZONE = "Asia/Jakarta"
NO_TEXT_KINDS = {"cti", "twilio"}


def acknowledgement_text(conversation: Conversation, customer: "Customer") -> str:
    now = timezone.now()
    expected = expected_answer_for(conversation, now=now, customer=customer)
    zone = conversation.branch.timezone if conversation.branch is not None else DEFAULT_ZONE
    same_day = timezone.localtime(expected, ZoneInfo(zone)).date() == (
        timezone.localtime(now, ZoneInfo(zone)).date()
    )
    when = format_local(expected, zone, with_date=not same_day)
    with translation.override(customer.language or "id"):
        if same_day:
            return _(
                "Thank you, we have received your message (ticket L-%(ticket)s). "
                "You will get an answer by %(when)s today."
            ) % {"ticket": conversation.pk, "when": when}
        return _(
            "Thank you, we have received your message (ticket L-%(ticket)s). "
            "You will get an answer by %(when)s."
        ) % {"ticket": conversation.pk, "when": when}


def acknowledge(
    account: "ChannelAccount", conversation: Conversation, customer: "Customer"
) -> None:
    if account.kind in NO_TEXT_KINDS or not account.setting("auto_acknowledge", True):
        return
    # Through the channel a reply would take: email for a web chat message left through the
    # offline form, whose widget is closed (`default_reply_channel`).
    send_automatic(
        conversation, body_text=acknowledgement_text(conversation, customer), kind="acknowledgement"
    )
