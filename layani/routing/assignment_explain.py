"""Routing decisions in words, for the timeline and the API (gettext, English source; the
Indonesian comes from the catalogue): "Assigned to Sari: skill complaint, load 2/10,
round robin, priority customer"."""

from django.utils import timezone
from django.utils.translation import gettext as _

from layani.core.choices import Purpose
from layani.routing import assignment as decision_rules
from layani.routing.assignment import (
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


def _continuity_words(decision: Decision, names: dict[int, str]) -> str:
    person = names.get(decision.continuity_staff_id or 0, "")
    if decision.continuity == HONOURED:
        if decision.continuity_source == ContinuitySource.PREFERRED:
            return _("the customer's preferred staff member")
        return _("served this customer recently")
    if decision.continuity == BROKEN:
        return _("continuity broken: %(name)s %(why)s") % {
            "name": person or _("their usual person"),
            "why": unavailable_label(decision.continuity_reason),
        }
    return ""


def explain(
    decision: Decision,
    *,
    names: dict[int, str],
    team_name: str,
    route: Route,
    facts: ConversationFacts,
    weights: PriorityWeights,
) -> str:
    """The decision in words, in the active language (gettext; English source)."""
    if decision.outcome == PAUSED:
        return _("Auto-assignment is paused for %(team)s.") % {"team": team_name}
    if decision.outcome == HELD:
        until = timezone.localtime(decision.hold_until) if decision.hold_until else None
        return _("Held for %(name)s until %(time)s (%(why)s): now %(state)s.") % {
            "name": names.get(decision.continuity_staff_id or 0, "?"),
            "time": f"{until:%H:%M}" if until else "",
            "why": (
                _("the customer's preferred staff member")
                if decision.continuity_source == ContinuitySource.PREFERRED
                else _("served this customer recently")
            ),
            "state": unavailable_label(decision.continuity_reason),
        }
    reasons: list[str] = []
    continuity = _continuity_words(decision, names)
    if decision.outcome == QUEUED:
        if continuity:
            reasons.append(continuity)
        counts = ", ".join(
            f"{count} {unavailable_label(reason)}"
            for reason, count in sorted(decision.unavailable.items())
        )
        reasons.append(counts or _("nobody is online"))
        return _("Waiting for an agent in %(team)s: %(reasons)s.") % {
            "team": team_name,
            "reasons": "; ".join(reasons),
        }
    if continuity:
        reasons.append(continuity)
    for kind, value, _level in decision.skills:
        reasons.append(_("skill %(skill)s") % {"skill": skill_label(kind, value)})
    reasons.append(
        _("load %(load)s/%(capacity)s") % {"load": decision.load + 1, "capacity": decision.capacity}
    )
    if decision.method == decision_rules.ROUND_ROBIN:
        reasons.append(_("round robin"))
    elif decision.method == decision_rules.LEAST_LOADED:
        reasons.append(_("least loaded"))
    if is_priority_customer(facts, weights):
        reasons.append(_("priority customer"))
    if route.rule is not None:
        reasons.append(_("rule “%(rule)s”") % {"rule": route.rule.name})
    return _("Assigned to %(name)s: %(reasons)s") % {
        "name": names.get(decision.staff_id or 0, "?"),
        "reasons": ", ".join(reasons),
    }


def routed_words(route: Route, team_name: str) -> str:
    if route.rule is None:
        return ""
    return _("Routed to %(team)s by rule “%(rule)s”.") % {
        "team": team_name,
        "rule": route.rule.name,
    }
