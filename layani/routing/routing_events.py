"""Timeline rows of routing decisions that are not an assignment themselves: continuity
kept or broken (with the customer's running count, the churn-risk signal kept on
`ContinuityRecord`) and an SLA escalation (what the breach set in motion).

Assignments made by routing are the rows `conversations.actions.assign` writes, given their
own kind by `auto_assign._stamp_routing`. Every row keeps its words in `details["reason"]`
(the thread shows them) and the facts beside them, to say it again in another language.
"""

from datetime import datetime

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from layani.conversations.models import Conversation, EventKind, Priority, TimelineEvent
from layani.conversations.timeline import record_event
from layani.core.types import Actor
from layani.routing.assignment import BROKEN, HONOURED, Decision
from layani.routing.assignment_explain import unavailable_label
from layani.routing.models import ContinuityRecord, ContinuitySource


def record_continuity(
    conversation: Conversation,
    decision: Decision,
    *,
    person: str,
    actor: Actor,
) -> TimelineEvent | None:
    """Continuity honoured ("Sari again: the customer's preferred staff member") or broken
    ("Sari offline: continuity broken for this customer 3 times"), after the customer's
    count was updated (one query for the count, one for the row). Written after the
    assignment's row, so that the thread reads in order."""
    if decision.continuity not in (HONOURED, BROKEN):
        return None
    source = decision.continuity_source
    why_them = (
        _("the customer's preferred staff member")
        if source == ContinuitySource.PREFERRED
        else _("served this customer recently")
    )
    name = person or _("their usual person")
    details: dict[str, object] = {
        "staff": decision.continuity_staff_id,
        "source": source,
        "assignee": decision.staff_id,
    }
    if decision.continuity == HONOURED:
        kind = EventKind.CONTINUITY_HONOURED
        reason = _("%(name)s again: %(why)s.") % {"name": name, "why": why_them}
    else:
        kind = EventKind.CONTINUITY_BROKEN
        broken = (
            ContinuityRecord.objects.filter(pk=conversation.customer_id)
            .values_list("broken", flat=True)
            .first()
        ) or 1
        reason = ngettext(
            "%(name)s (%(why_them)s) %(why)s: continuity broken for this customer %(count)s time.",
            "%(name)s (%(why_them)s) %(why)s: continuity broken for this customer %(count)s times.",
            broken,
        ) % {
            "name": name,
            "why_them": why_them,
            "why": unavailable_label(decision.continuity_reason),
            "count": broken,
        }
        details.update(why=decision.continuity_reason, broken_count=broken)
    details["reason"] = reason[:500]
    return record_event(
        kind,
        actor=actor,
        conversation=conversation,
        summary=name,
        details=details,
    )


def record_escalation(
    conversation: Conversation,
    *,
    policy_name: str,
    targets: str,
    team_name: str | None,
    raised_to: int | None,
    occurred_at: datetime,
) -> TimelineEvent:
    """What an SLA breach set in motion, in one row: handed to a team, priority raised, or
    supervisors told only."""
    done = []
    if team_name:
        done.append(_("handed to %(team)s") % {"team": team_name})
    if raised_to:
        label = Priority(raised_to).label
        done.append(_("priority raised to %(priority)s") % {"priority": label})
    if not done:
        done.append(_("supervisors notified"))
    reason = _("%(policy)s, %(targets)s breached: %(actions)s.") % {
        "policy": policy_name,
        "targets": targets,
        "actions": ", ".join(done),
    }
    return record_event(
        EventKind.SLA_ESCALATED,
        actor=None,
        conversation=conversation,
        summary=policy_name,
        details={
            "reason": reason[:500],
            "team": team_name,
            "priority": raised_to,
        },
        occurred_at=occurred_at,
    )
