"""SLA compliance: met and breached targets per policy, channel, purpose, team or agent.

Counts the conversations created in the period that an SLA policy covered, within what the
reader may see (`conversations_for`), in one grouped query whatever the volume.

Per conversation and target:
- first response: met when a person answered without a breach; breached when the sweep or
  the late answer recorded one;
- next responses: each customer wait answered counts, and each breach;
- resolution: met when resolved or closed without a breach; breached when recorded.
A conversation *met* its SLA when it ended with no breach at all; it *breached* it as soon
as any target did. Compliance = met / (met + breached); conversations still open and not
breached are in neither.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from django.db.models import Count, F, Q, Sum
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from layani.conversations.models import ConversationStatus
from layani.conversations.queries import conversations_for
from layani.core.choices import Channel, Purpose
from layani.core.errors import InvalidInput
from layani.core.types import Actor
from layani.staff.permissions import Capability, require

Grouping = Literal["policy", "channel", "purpose", "team", "agent"]
GROUPINGS: dict[str, tuple[str, str | None]] = {
    "policy": ("sla__policy_id", "sla__policy__name"),
    "channel": ("channel", None),
    "purpose": ("purpose", None),
    "team": ("team_id", "team__name"),
    "agent": ("assignee_id", "assignee__display_name"),
}
ENDED = (ConversationStatus.RESOLVED, ConversationStatus.CLOSED)


@dataclass(frozen=True)
class ComplianceRow:
    key: Any
    label: str
    conversations: int
    first_response_met: int
    first_response_breached: int
    next_responses: int
    next_response_breaches: int
    resolution_met: int
    resolution_breached: int
    met: int
    breached: int

    @property
    def compliance_percent(self) -> float | None:
        decided = self.met + self.breached
        return round(100.0 * self.met / decided, 1) if decided else None


def _any_breach() -> Q:
    return (
        Q(sla__first_response_breached_at__isnull=False)
        | Q(sla__resolution_breached_at__isnull=False)
        | Q(sla__next_response_breaches__gt=0)
    )


def _label(by: str, key: Any, name: Any) -> str:
    if by == "channel":
        return str(Channel(key).label) if key in Channel.values else str(key)
    if by == "purpose":
        return str(Purpose(key).label) if key in Purpose.values else str(key)
    if key is None:
        return {
            "policy": _("Policy deleted"),
            "team": _("No team"),
            "agent": _("Unassigned"),
        }[by]
    return str(name)


def sla_compliance(
    user: Actor, *, start: datetime, end: datetime, by: str = "policy"
) -> list[ComplianceRow]:
    """Compliance of the conversations created in [start, end), grouped `by` policy,
    channel, purpose, team or agent; supervisors see their scope, admins everything."""
    require(user, Capability.SUPERVISE)
    if by not in GROUPINGS:
        raise InvalidInput(
            _("Group by one of: %(choices)s") % {"choices": ", ".join(GROUPINGS)},
            code="invalid_choice",
            field="by",
        )
    if end <= start:
        raise InvalidInput(_("The period must end after it starts."), code="invalid", field="end")
    key, name = GROUPINGS[by]
    columns = [key, name] if name else [key]
    ended = Q(status__in=ENDED)
    rows = (
        conversations_for(user)
        .filter(created_at__gte=start, created_at__lt=end, sla__isnull=False)
        .values(*columns)
        .annotate(
            conversations=Count("pk"),
            first_response_met=Count(
                "pk",
                filter=Q(
                    first_response_at__isnull=False,
                    sla__first_contact_at__isnull=False,
                    sla__first_response_breached_at__isnull=True,
                ),
            ),
            first_response_breached=Count(
                "pk", filter=Q(sla__first_response_breached_at__isnull=False)
            ),
            next_responses=Coalesce(Sum(F("sla__next_responses")), 0),
            next_response_breaches=Coalesce(Sum(F("sla__next_response_breaches")), 0),
            resolution_met=Count("pk", filter=ended & Q(sla__resolution_breached_at__isnull=True)),
            resolution_breached=Count("pk", filter=Q(sla__resolution_breached_at__isnull=False)),
            met=Count("pk", filter=ended & ~_any_breach()),
            breached=Count("pk", filter=_any_breach()),
        )
        .order_by(key)
    )
    return [
        ComplianceRow(
            key=row[key],
            label=_label(by, row[key], row.get(name) if name else None),
            conversations=row["conversations"],
            first_response_met=row["first_response_met"],
            first_response_breached=row["first_response_breached"],
            next_responses=row["next_responses"],
            next_response_breaches=row["next_response_breaches"],
            resolution_met=row["resolution_met"],
            resolution_breached=row["resolution_breached"],
            met=row["met"],
            breached=row["breached"],
        )
        for row in rows
    ]
