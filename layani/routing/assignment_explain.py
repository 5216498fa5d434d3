"""Routing decisions in words, for the timeline and the API (gettext, English source; the
Indonesian comes from the catalogue): "Assigned to Sari: skill complaint, load 2/10,
round robin, priority customer"."""

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

from layani.core.choices import Purpose
from layani.core.formatting import format_local
from layani.routing import assignment as decision_rules
from layani.routing.assignment import (
    ASSIGNED,
    BROKEN,
    HELD,
    HONOURED,
    PAUSED,
    QUEUED,
    Decision,
)
from layani.routing.models import (
    ContinuitySource,
)
from layani.routing.priority import (
    ConversationFacts,
    PriorityWeights,
    is_priority_customer,
)
from layani.routing.rules import Route

# --- Explaining -------------------------------------------------------------------------------


def unavailable_label(reason: str) -> str:
    labels = {
        decision_rules.UNAVAILABLE_INACTIVE: _("no longer works on conversations"),
        decision_rules.UNAVAILABLE_OUTSIDE_HOURS: _("outside working hours"),
        decision_rules.UNAVAILABLE_MISSING_SKILL: _("lacks a required skill"),
        decision_rules.UNAVAILABLE_AT_CAPACITY: _("has no free slot"),
        decision_rules.UNAVAILABLE_NOT_IN_TEAM: _("is not in this team"),
        decision_rules.AWAY: _("away"),
        decision_rules.ON_BREAK: _("on a break"),
        decision_rules.OFFLINE: _("offline"),
    }
    return str(labels.get(reason, reason))


def skill_label(kind: str, value: str) -> str:
    if kind == "purpose":
        try:
            return str(Purpose(value).label).lower()
        except ValueError:
            return value
    return value


def decision_details(
    decision: Decision,
    *,
    names: dict[int, str],
    team_name: str,
    route: Route,
    facts: ConversationFacts,
    weights: PriorityWeights,
) -> dict[str, Any]:
    """The decision's facts, kept on its timeline row beside the words: enough to say it
    again in the reader's language (`explain_details`) and to count continuity in
    reports. Plain JSON values."""
    assigned = decision.outcome == ASSIGNED
    return {
        "outcome": decision.outcome,
        "method": decision.method,
        "rule_id": route.rule.rule_id if route.rule else None,
        "rule_name": route.rule.name if route.rule else "",
        "team_name": team_name,
        "kind": decision.kind,
        "staff_name": names.get(decision.staff_id or 0, ""),
        "load": decision.load + 1 if assigned else None,
        "capacity": decision.capacity if assigned else None,
        "skills": [list(s) for s in decision.skills],
        "continuity": decision.continuity,
        "continuity_staff_id": decision.continuity_staff_id,
        "continuity_name": names.get(decision.continuity_staff_id or 0, ""),
        "continuity_source": decision.continuity_source,
        "continuity_reason": decision.continuity_reason,
        "hold_until": decision.hold_until.isoformat() if decision.hold_until else None,
        "priority_customer": is_priority_customer(facts, weights),
        "unavailable": dict(decision.unavailable),
    }


def can_explain(details: Mapping[str, Any]) -> bool:
    """Whether a stored decision holds every fact its words need (rows written before the
    names were kept hold only their words)."""
    return "team_name" in details and "staff_name" in details


def why_chosen(source: str) -> str:
    """Why the customer's usual person was the one to ask: preferred, or served them."""
    if source == ContinuitySource.PREFERRED:
        return _("the customer's preferred staff member")
    return _("served this customer recently")


def _continuity_words(d: Mapping[str, Any]) -> str:
    if d.get("continuity") == HONOURED:
        return why_chosen(str(d.get("continuity_source", "")))
    if d.get("continuity") == BROKEN:
        return _("continuity broken: %(name)s %(why)s") % {
            "name": d.get("continuity_name") or _("their usual person"),
            "why": unavailable_label(str(d.get("continuity_reason", ""))),
        }
    return ""


def explain_details(d: Mapping[str, Any]) -> str:
    """A decision's words from its facts (`decision_details`), in the active language."""
    outcome, team = d.get("outcome"), d.get("team_name", "")
    if outcome == PAUSED:
        return _("Auto-assignment is paused for %(team)s.") % {"team": team}
    if outcome == HELD:
        until = d.get("hold_until")
        # As every time on the page: "17.40 WIB", in the business's zone.
        time = (
            format_local(datetime.fromisoformat(until), settings.TIME_ZONE, with_date=False)
            if until
            else ""
        )
        return _("Held for %(name)s until %(time)s (%(why)s): now %(state)s.") % {
            "name": d.get("continuity_name") or "?",
            "time": time,
            "why": why_chosen(str(d.get("continuity_source", ""))),
            "state": unavailable_label(str(d.get("continuity_reason", ""))),
        }
    reasons: list[str] = []
    continuity = _continuity_words(d)
    if continuity:
        reasons.append(continuity)
    if outcome == QUEUED:
        unavailable = d.get("unavailable") or {}
        counts = ", ".join(
            f"{count} {unavailable_label(reason)}" for reason, count in sorted(unavailable.items())
        )
        reasons.append(counts or _("nobody is online"))
        return _("Waiting for an agent in %(team)s: %(reasons)s.") % {
            "team": team,
            "reasons": "; ".join(reasons),
        }
    for kind, value, *_level in d.get("skills") or []:
        reasons.append(_("skill %(skill)s") % {"skill": skill_label(kind, value)})
    reasons.append(_("load %(load)s/%(capacity)s") % {"load": d["load"], "capacity": d["capacity"]})
    if d.get("method") == decision_rules.ROUND_ROBIN:
        reasons.append(_("round robin"))
    elif d.get("method") == decision_rules.LEAST_LOADED:
        reasons.append(_("least loaded"))
    if d.get("priority_customer"):
        reasons.append(_("priority customer"))
    if d.get("rule_name"):
        reasons.append(_("rule “%(rule)s”") % {"rule": d["rule_name"]})
    return _("Assigned to %(name)s: %(reasons)s") % {
        "name": d.get("staff_name") or "?",
        "reasons": ", ".join(reasons),
    }


def routed_words(rule_name: str, team_name: str) -> str:
    if not rule_name:
        return ""
    return _("Routed to %(team)s by rule “%(rule)s”.") % {"team": team_name, "rule": rule_name}
