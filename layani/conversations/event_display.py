"""What a timeline row says in words, wherever it is shown (the conversation's thread, the
customer's file): labels instead of stored codes ("Keluhan → Permintaan khusus", not
"complaint → special_request") and the staff member's name instead of a username."""

from typing import Any

from django.utils.translation import gettext as _

from layani.conversations.models import (
    ROUTING_EVENT_KINDS,
    ConversationStatus,
    EventKind,
    Priority,
    TimelineEvent,
)
from layani.core.choices import Purpose


def _label(choices: Any, value: Any) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return str(value)


def describe_event(event: TimelineEvent) -> tuple[str, str]:
    """What a timeline row of the thread says, and the reason given (if any)."""
    d = event.details or {}
    reason = str(d.get("reason", ""))
    if d.get("sla_breach"):  # an SLA escalation's own change: said in the reader's language
        from layani.routing.routing_events import sla_breach_reason

        reason = sla_breach_reason(d["sla_breach"])
    if d.get("went_offline"):  # handed on when its holder went offline: likewise
        from layani.routing.auto_assign import went_offline_words

        reason = went_offline_words(str(d["went_offline"]))
    if d.get("routing_rule"):  # a routing rule recognised why the customer came
        reason = _("routing rule: %(rule)s") % {"rule": d["routing_rule"]}
    before, after = d.get("before"), d.get("after")
    kind = event.kind
    if kind == EventKind.STATUS_CHANGED and before and after:
        text = f"{_label(ConversationStatus, before)} → {_label(ConversationStatus, after)}"
        if d.get("reopened"):
            text += " · " + _("the customer wrote again")
        return text, reason
    if kind == EventKind.PURPOSE_CHANGED and before and after:
        return f"{_label(Purpose, before)} → {_label(Purpose, after)}", reason
    if kind == EventKind.PRIORITY_CHANGED and before and after:
        return f"{_label(Priority, before)} → {_label(Priority, after)}", reason
    if kind == EventKind.ASSIGNED:
        if "assignee" in d and d.get("assignee") is None and d.get("team") is None:
            # Nobody holds it now: it waits in the shared pool (said in the reader's
            # language; older rows stored the writer's word).
            return _("back to the shared pool"), reason
        return event.summary or _("Unassigned"), reason
    if kind in ROUTING_EVENT_KINDS or kind in (EventKind.SLA_WARNING, EventKind.SLA_BREACHED):
        # Said again from the row's facts in the reader's language (routing_events.py);
        # rows written before the facts were complete show the words they stored.
        from layani.routing.routing_events import routing_words

        words = routing_words(kind, d)
        if words is not None:
            return words, ""
        return reason or event.summary, ""
    if kind == EventKind.IDENTITY_CLAIMED:  # details: the contact typed, the name given
        who = str(d.get("contact") or event.summary)
        if d.get("name"):
            who = f"{d['name']} ({who})"
        return _("Said in the chat widget they are %(who)s; not verified") % {"who": who}, reason
    if kind == EventKind.VISIT_CALLED:
        return event.summary, _call_reason(d)
    if kind == EventKind.VISIT_LINKED:
        if event.visit is None:
            return _("Visit unlinked"), reason
        return _("Ticket %(ticket)s") % {"ticket": event.visit.ticket_number}, reason
    return event.summary, reason


def _call_reason(d: dict[str, Any]) -> str:
    """Why this ticket was called, in words: the queue policy's rule
    (`routing.queue_policy.Decision.reason`) or the clerk's own reason."""
    code = str(d.get("reason", ""))
    if d.get("recall"):
        return _("called again (%(count)s)") % {"count": d["recall"]}
    if code == "score":
        return _("next in the queue's order")
    if code == "ratio":
        return _("priority and regular visitors take turns")
    if code == "max_wait":
        return _("waited longer than the queue allows")
    if code == "out_of_order":  # the clerk's reason is in the row's summary
        return _("called out of order")
    return code


def actor_name(event: TimelineEvent) -> str:
    actor = event.actor
    if actor is None:
        return ""
    staff = getattr(actor, "staff", None)
    return staff.display_name if staff is not None else actor.get_username()
