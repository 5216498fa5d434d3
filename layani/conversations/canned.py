"""Filling a canned reply's placeholders for one conversation (never raises on odd text).

Placeholders, in Indonesian or English: {nama_pelanggan} / {customer_name},
{nomor_tiket} / {ticket_number}, {perkiraan_waktu} / {expected_time} (when the answer is
due, in the branch's zone or the business's; once that time has passed, the time an answer
is due from now by the SLA policy, never a promise already broken), {nama_agen} /
{agent_name}. Anything else in braces is left as written, so a typo shows instead of
breaking the reply.
"""

import re
from datetime import datetime
from typing import TYPE_CHECKING

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from layani.core.formatting import format_local

if TYPE_CHECKING:
    from layani.conversations.models import CannedReply, Conversation
    from layani.staff.models import Staff

_PLACEHOLDER = re.compile(r"\{([A-Za-z_]+)\}")
ALIASES = {
    "nama_pelanggan": "customer_name",
    "customer_name": "customer_name",
    "nomor_tiket": "ticket_number",
    "ticket_number": "ticket_number",
    "perkiraan_waktu": "expected_time",
    "expected_time": "expected_time",
    "nama_agen": "agent_name",
    "agent_name": "agent_name",
}
PLACEHOLDERS = tuple(ALIASES)


def placeholder_values(
    conversation: "Conversation", *, agent: "Staff | None" = None
) -> dict[str, str]:
    customer = conversation.customer
    branch = conversation.branch
    zone = branch.timezone if branch is not None else settings.TIME_ZONE
    agent = agent or conversation.assignee
    return {
        "customer_name": customer.full_name if customer is not None else _("Customer"),
        "ticket_number": conversation.reference,
        "expected_time": format_local(expected_time(conversation), zone),
        "agent_name": agent.display_name if agent is not None else "",
    }


def expected_time(conversation: "Conversation") -> datetime:
    """When the customer may expect the answer: the conversation's due time while it is
    ahead; once passed (or without one), the first-response target of its SLA policy
    counted from now, as a new message would be told."""
    from layani.routing.sla import expected_answer_for

    now = timezone.now()
    if conversation.due_at is not None and conversation.due_at > now:
        return conversation.due_at
    return expected_answer_for(conversation, now=now)


def fill_placeholders(text: str, values: dict[str, str]) -> str:
    def replace(match: re.Match[str]) -> str:
        key = ALIASES.get(match.group(1).lower())
        return values[key] if key is not None and key in values else match.group(0)

    return _PLACEHOLDER.sub(replace, text)


def render_canned_reply(
    reply: "CannedReply", conversation: "Conversation", *, agent: "Staff | None" = None
) -> str:
    """The reply's text for this conversation, written by `agent` (default: the assignee)."""
    return fill_placeholders(reply.body, placeholder_values(conversation, agent=agent))
