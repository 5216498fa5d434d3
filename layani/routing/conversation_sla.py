"""The SLA block of the conversation page: the policy that applies and each target's state
in words an agent reads at a glance ("1 h 20 min left", "35 min late", "met at 09.12 WIB",
"paused: waiting on the customer"), coloured like the inbox badges.

Two queries whatever the conversation (the configuration version and the SLA row); the
clock itself is the pure `sla_clock`, through `sla_queries.sla_view`.
"""

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from layani.conversations.models import Conversation, ConversationStatus
from layani.core.formatting import duration_words, format_local, late_words
from layani.routing.models import ConversationSla
from layani.routing.sla_clock import TargetStatus
from layani.routing.sla_config import sla_config
from layani.routing.sla_queries import BREACHED, WARNING, TargetView, sla_view

TARGET_LABELS = {
    "first_response": gettext_lazy("First response"),
    "next_response": gettext_lazy("Next response"),
    "resolution": gettext_lazy("Resolution"),
}
# The same colour classes as the inbox's due times: amber before a breach, red after.
DUE_STATE = {WARNING: "soon", BREACHED: "overdue"}
ORDER = ("first_response", "next_response", "resolution")


@dataclass(frozen=True)
class SlaTargetLine:
    """One target as the page shows it."""

    target: str
    label: str
    status: str  # running / paused / met / breached
    colour: str  # ok / warning / breached (the inbox badge's)
    due_state: str  # later / soon / overdue (the inbox due time's CSS class)
    text: str
    minutes: int  # left while open, late once breached; 0 once met
    due_at: datetime
    due_local: str
    met_at: datetime | None


@dataclass(frozen=True)
class SlaPanel:
    policy_name: str
    paused_since: datetime | None
    paused_local: str
    targets: list[SlaTargetLine]
    next_responses: int
    next_response_breaches: int


def _line(view: TargetView, zone: str) -> SlaTargetLine:
    clock = {"time": format_local(view.met_at, zone, with_date=False)} if view.met_at else {}
    if view.status == TargetStatus.MET:
        text = _("met at %(time)s") % clock
    elif view.met_at is not None:  # met, but after its due instant
        text = _("met late at %(time)s") % clock
    elif view.status == TargetStatus.BREACHED:
        text = late_words(view.late_by)
    else:
        # Business time, which the inbox's wall-clock "time left" is not: said as such, with
        # the instant both count to.
        text = _("%(time)s of working time left, due %(due)s") % {
            "time": duration_words(view.time_left, days=False),
            "due": format_local(view.due_at, zone),
        }
    return SlaTargetLine(
        target=view.target,
        label=str(TARGET_LABELS.get(view.target, view.target)),
        status=view.status,
        colour=view.colour,
        due_state="later" if view.met_at is not None else DUE_STATE.get(view.colour, "later"),
        text=text,
        minutes=0 if view.met_at else int((view.late_by or view.time_left).total_seconds() // 60),
        due_at=view.due_at,
        due_local=format_local(view.due_at, zone),
        met_at=view.met_at,
    )


def conversation_sla_panel(conversation: Conversation, *, now: datetime) -> SlaPanel | None:
    """The SLA of a conversation the caller may already see (the page checked access);
    None when no policy covers it."""
    row = ConversationSla.objects.filter(pk=conversation.pk).first()
    if row is None:
        return None
    view = sla_view(conversation, row, sla_config(), now)
    if view.policy is None:
        return None
    zone = conversation.branch.timezone if conversation.branch else settings.TIME_ZONE
    targets = sorted(view.targets, key=lambda t: ORDER.index(t.target))
    # The clock also stands still once the conversation is resolved or closed; only a
    # pending one is "paused while waiting on the customer".
    paused = view.paused_since if conversation.status == ConversationStatus.PENDING else None
    return SlaPanel(
        policy_name=view.policy.name,
        paused_since=paused,
        paused_local=format_local(paused, zone) if paused else "",
        targets=[_line(t, zone) for t in targets],
        next_responses=view.next_responses,
        next_response_breaches=view.next_response_breaches,
    )
