"""Timeline rows of routing decisions that are not an assignment themselves: continuity
kept or broken (with the customer's running count, the churn-risk signal kept on
`ContinuityRecord`) and an SLA escalation (what the breach set in motion).

Assignments made by routing are the rows `conversations.actions.assign` writes, given their
own kind by `auto_assign._stamp_routing`. Every row keeps its words in `details["reason"]`
and the facts beside them; the thread says it again from the facts, in the reader's
language (`routing_words`), and shows the stored words only for rows written before the
facts were complete.
"""

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from layani.conversations.models import Conversation, EventKind, Priority, TimelineEvent
from layani.conversations.timeline import amend_last_event, record_event
from layani.core.types import Actor
from layani.routing.assignment import BROKEN, HONOURED, Decision
from layani.routing.assignment_explain import (
    can_explain,
    explain_details,
    routed_words,
    unavailable_label,
    why_chosen,
)
from layani.routing.models import ContinuityRecord

TARGET_LABELS = {
    "first_response": gettext_lazy("first response"),
    "next_response": gettext_lazy("next response"),
    "resolution": gettext_lazy("resolution"),
}


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
    details: dict[str, object] = {
        "staff": decision.continuity_staff_id,
        "name": person,
        "source": decision.continuity_source,
        "assignee": decision.staff_id,
    }
    if decision.continuity == HONOURED:
        kind = EventKind.CONTINUITY_HONOURED
    else:
        kind = EventKind.CONTINUITY_BROKEN
        broken = (
            ContinuityRecord.objects.filter(pk=conversation.customer_id)
            .values_list("broken", flat=True)
            .first()
        ) or 1
        details.update(why=decision.continuity_reason, broken_count=broken)
    details["reason"] = _continuity_words(kind, details)[:500]
    return record_event(
        kind,
        actor=actor,
        conversation=conversation,
        summary=person or _("their usual person"),
        details=details,
    )


def _continuity_words(kind: str, d: Mapping[str, Any]) -> str:
    why_them = why_chosen(str(d.get("source", "")))
    name = d.get("name") or _("their usual person")
    if kind == EventKind.CONTINUITY_HONOURED:
        return _("%(name)s again: %(why)s.") % {"name": name, "why": why_them}
    broken = int(d.get("broken_count") or 1)
    return ngettext(
        "%(name)s (%(why_them)s) %(why)s: continuity broken for this customer %(count)s time.",
        "%(name)s (%(why_them)s) %(why)s: continuity broken for this customer %(count)s times.",
        broken,
    ) % {
        "name": name,
        "why_them": why_them,
        "why": unavailable_label(str(d.get("why", ""))),
        "count": broken,
    }


def record_escalation(
    conversation: Conversation,
    *,
    policy_name: str,
    targets: list[str],
    team_name: str | None,
    raised_to: int | None,
    occurred_at: datetime,
) -> TimelineEvent:
    """What an SLA breach set in motion, in one row: handed to a team, priority raised, or
    supervisors told only. `targets`: the breached targets' codes ("first_response")."""
    details: dict[str, object] = {
        "policy": policy_name,
        "targets": targets,
        "team": team_name,
        "priority": raised_to,
    }
    details["reason"] = _escalation_words(details)[:500]
    return record_event(
        EventKind.SLA_ESCALATED,
        actor=None,
        conversation=conversation,
        summary=policy_name,
        details=details,
        occurred_at=occurred_at,
    )


def target_words(targets: list[str]) -> str:
    return ", ".join(str(TARGET_LABELS.get(t, t)) for t in targets)


def sla_breach_reason(facts: Mapping[str, Any]) -> str:
    """The reason on the rows an SLA escalation writes through the conversation actions
    (handed to a team, priority raised): "SLA breached (Standar): first response"."""
    return _("SLA breached (%(policy)s): %(targets)s") % {
        "policy": facts.get("policy", ""),
        "targets": target_words(list(facts.get("targets") or [])),
    }


def stamp_sla_breach(conversation: Conversation, kind: str, facts: dict[str, Any]) -> None:
    """Keep the breach's facts on the row an action just wrote (`sla_breach`), so the
    thread says its reason in the reader's language (`describe_event`)."""
    amend_last_event(conversation.pk, kind, details={"sla_breach": facts})


def sla_target_words(kind: str, target: str) -> str:
    """An SLA warning's or breach's row: "SLA first response breached"."""
    label = TARGET_LABELS.get(target, target)
    if kind == EventKind.SLA_WARNING:
        return _("SLA %(target)s due soon") % {"target": label}
    return _("SLA %(target)s breached") % {"target": label}


def _escalation_words(d: Mapping[str, Any]) -> str:
    done = []
    if d.get("team"):
        done.append(_("handed to %(team)s") % {"team": d["team"]})
    if d.get("priority"):
        done.append(
            _("priority raised to %(priority)s") % {"priority": Priority(d["priority"]).label}
        )
    if not done:
        done.append(_("supervisors notified"))
    return _("%(policy)s, %(targets)s breached: %(actions)s.") % {
        "policy": d.get("policy", ""),
        "targets": target_words(list(d.get("targets") or [])),
        "actions": ", ".join(done),
    }


def routing_words(kind: str, details: Mapping[str, Any]) -> str | None:
    """A routing row's words from its facts, in the active language; None for a row
    written before its facts were complete (its stored words are shown instead)."""
    if kind in (EventKind.AUTO_ASSIGNED, EventKind.ROUTED, EventKind.ASSIGNMENT_HELD):
        routing = details.get("routing") or {}
        if not can_explain(routing):
            return None
        words = explain_details(routing)
        if routing.get("routed"):
            words = f"{routed_words(routing['rule_name'], routing['team_name'])} {words}"
        return words
    if kind in (EventKind.CONTINUITY_HONOURED, EventKind.CONTINUITY_BROKEN):
        return _continuity_words(kind, details) if "name" in details else None
    if kind == EventKind.SLA_ESCALATED:
        return _escalation_words(details) if "policy" in details else None
    if kind in (EventKind.SLA_WARNING, EventKind.SLA_BREACHED) and details.get("target"):
        return sla_target_words(kind, str(details["target"]))
    return None
