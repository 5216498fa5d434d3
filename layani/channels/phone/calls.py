"""Applying call events: the call record, the screen pop, the timeline and the follow-up.

Events may come twice or out of order (a PBX's hangup before its answered); a call only
moves forward (`STATE_ORDER`), and a late event fills in only what is still unknown. When
a call ends:
- its record lands in the timeline (`EventKind.CALL`, details: direction, outcome, duration,
  agent), on the customer's file when the number is known;
- an answered inbound call from a known customer goes on their phone conversation (the call
  as the customer's message, the agent's answer on the phone as the reply);
- a missed, abandoned or voicemail inbound call becomes a callback request.
"""

from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from layani.channels.customers import find_customer
from layani.channels.events import Sender
from layani.channels.models import ChannelAccount
from layani.channels.phone.models import (
    STATE_ORDER,
    AgentExtension,
    Call,
    CallDirection,
    CallOutcome,
    CallState,
)
from layani.conversations.actions import (
    add_message,
    receive_inbound_message,
    update_delivery_status,
)
from layani.conversations.models import DeliveryStatus, Direction, EventKind
from layani.conversations.timeline import record_event
from layani.core.choices import Channel
from layani.core.errors import Conflict, InvalidInput
from layani.core.events import publish_on_commit
from layani.customers.identities import normalise_phone
from layani.customers.models import IdentityKind

STATE_OF_EVENT = {
    "new": CallState.NEW,
    "ringing": CallState.RINGING,
    "answered": CallState.ANSWERED,
    "hangup": CallState.ENDED,
}
SCREEN_POP = "call.ringing"
FOLLOW_UP_OUTCOMES = (CallOutcome.MISSED, CallOutcome.ABANDONED, CallOutcome.VOICEMAIL)


def user_group(user_id: int) -> str:
    """The screen pop is personal: only the ringing agent's own sockets hear it (the
    `inbox-staff-<id>` group is heard by their supervisors too)."""
    return f"user-{user_id}"


def _moment(value: str) -> datetime:
    parsed = parse_datetime(value) if value else None
    now = timezone.now()
    return min(parsed, now) if parsed is not None else now


def _e164(number: str) -> str:
    """The number as customer files store it (E.164), or as it came when it is none."""
    try:
        return normalise_phone(number) if number else ""
    except InvalidInput:
        return number  # an extension, "anonymous", a withheld number


def _customer_for(number: str) -> Any:
    try:
        return find_customer(Sender(kind=IdentityKind.PHONE, value=number))
    except InvalidInput:
        return None  # a withheld or internal number


def _locked_call(account: ChannelAccount, data: dict[str, Any], at: datetime) -> Call:
    call = Call.objects.select_for_update().filter(account=account, call_id=data["call_id"]).first()
    if call is not None:
        return call
    try:
        with transaction.atomic():
            return Call.objects.create(
                account=account,
                call_id=data["call_id"],
                direction=data["direction"],
                caller=_e164(data["caller"]),
                callee=_e164(data["callee"]),
                started_at=at,
            )
    except IntegrityError:
        # Another worker recorded the call a moment ago.
        return Call.objects.select_for_update().get(account=account, call_id=data["call_id"])


def apply_call_event(account: ChannelAccount, data: dict[str, Any]) -> Call:
    at = _moment(data.get("at", ""))
    with transaction.atomic():
        call = _locked_call(account, data, at)
        before = call.state
        fields: set[str] = set()
        for name in ("caller", "callee"):
            if not getattr(call, name) and data.get(name):
                setattr(call, name, _e164(data[name]))
                fields.add(name)
        if at < call.started_at:
            call.started_at = at
            fields.add("started_at")
        if data.get("extension") and not call.agent_extension:
            call.agent_extension = data["extension"]
            mapping = (
                AgentExtension.objects.select_related("staff")
                .filter(extension=data["extension"])
                .first()
            )
            call.agent = mapping.staff if mapping is not None else None
            fields |= {"agent_extension", "agent"}
        if call.customer_id is None and call.customer_number:
            call.customer = _customer_for(call.customer_number)
            if call.customer is not None:
                fields.add("customer")
        state = STATE_OF_EVENT[data["event"]]
        if state == CallState.ANSWERED and call.answered_at is None:
            call.answered_at = at
            fields.add("answered_at")
        if STATE_ORDER[state] > STATE_ORDER[CallState(before)]:
            call.state = state
            fields.add("state")
        ended_now = state == CallState.ENDED and before != CallState.ENDED
        if ended_now:
            _end(call, at, data)
            fields |= {"ended_at", "duration_seconds", "outcome"}
        if fields:
            call.save(update_fields=sorted(fields))
        rings_now = (
            STATE_ORDER[CallState(before)]
            < STATE_ORDER[CallState.RINGING]
            <= (STATE_ORDER[CallState(call.state)])
        )
        if rings_now and call.state != CallState.ENDED and call.agent is not None:
            _screen_pop(call)
        if ended_now:
            _after_the_call(account, call)
    return call


def _end(call: Call, at: datetime, data: dict[str, Any]) -> None:
    call.ended_at = max(at, call.started_at)
    if data.get("duration") is not None:
        call.duration_seconds = data["duration"]
    elif call.answered_at is not None:
        call.duration_seconds = int((call.ended_at - call.answered_at).total_seconds())
    else:
        call.duration_seconds = 0
    outcome = data.get("outcome") or ""
    if not outcome:
        outcome = CallOutcome.ANSWERED if call.answered_at is not None else CallOutcome.MISSED
    call.outcome = outcome


def _screen_pop(call: Call) -> None:
    assert call.agent is not None
    publish_on_commit(
        user_group(call.agent.user_id),
        SCREEN_POP,
        {
            "call": call.pk,
            "number": call.customer_number,
            "customer_id": call.customer_id,
            "direction": call.direction,
        },
    )


def call_summary(call: Call) -> str:
    incoming = call.direction == CallDirection.INBOUND
    if call.outcome == CallOutcome.ANSWERED:
        minutes = max(1, round((call.duration_seconds or 0) / 60))
        if incoming:
            return _("Incoming call, %(minutes)s min") % {"minutes": minutes}
        return _("Outgoing call, %(minutes)s min") % {"minutes": minutes}
    if call.outcome == CallOutcome.ABANDONED:
        return _("Call abandoned before it was answered")
    if call.outcome == CallOutcome.VOICEMAIL:
        return _("Call went to voicemail")
    return _("Missed incoming call") if incoming else _("Outgoing call not answered")


def _after_the_call(account: ChannelAccount, call: Call) -> None:
    summary = call_summary(call)
    if (
        call.direction == CallDirection.INBOUND
        and call.outcome == CallOutcome.ANSWERED
        and call.customer is not None
    ):
        call.conversation = _on_phone_conversation(account, call, summary)
        call.save(update_fields=["conversation"])
    record_event(
        EventKind.CALL,
        actor=None,
        customer=call.customer,
        conversation=call.conversation,
        branch=account.branch,
        summary=summary,
        details={
            "call": call.pk,
            "call_id": call.call_id,
            "direction": call.direction,
            "outcome": call.outcome,
            "duration_seconds": call.duration_seconds,
            "number": call.customer_number,
            "agent": call.agent.display_name if call.agent else "",
            "extension": call.agent_extension,
        },
        occurred_at=call.ended_at,
    )
    from layani.channels.phone.callbacks import (
        attempt_from_outgoing_call,
        callback_for_missed_call,
    )

    if call.direction == CallDirection.INBOUND and call.outcome in FOLLOW_UP_OUTCOMES:
        callback_for_missed_call(account, call)
    elif call.direction == CallDirection.OUTBOUND:
        attempt_from_outgoing_call(call)


def _on_phone_conversation(account: ChannelAccount, call: Call, summary: str) -> Any:
    try:
        inbound = receive_inbound_message(
            customer=call.customer,
            channel=Channel.PHONE,
            body_text=summary,
            external_id=f"call:{account.pk}:{call.call_id}",
            branch=account.branch,
            team=account.team,
            received_at=call.answered_at or call.started_at,
            channel_account_id=account.pk,
            meta={"kind": "call", "call": call.pk, "outcome": call.outcome},
            actor=None,
        )
    except Conflict:
        return call.conversation  # recorded before (a reprocessed record)
    # The agent answered on the phone: the customer is not waiting any more.
    answer = add_message(
        inbound.conversation,
        direction=Direction.OUTBOUND,
        body_text=_("Answered on the phone by %(agent)s")
        % {"agent": call.agent.display_name if call.agent else _("an agent")},
        author=call.agent,
        actor=None,
    )
    # Spoken, so nothing waits to be sent: the answer reached the customer.
    update_delivery_status(answer, status=DeliveryStatus.DELIVERED)
    return inbound.conversation


def callback_window(account: ChannelAccount, now: datetime) -> tuple[datetime, datetime]:
    """The window offered after a missed call: from now, for `callback_window_minutes`."""
    minutes = account.setting("callback_window_minutes", 120)
    minutes = minutes if isinstance(minutes, int) and minutes > 0 else 120
    return now, now + timedelta(minutes=minutes)


def record_caller_as_customer(call: Call, *, full_name: str, actor: Any) -> Any:
    """An unknown number rang: the agent records the caller as a new customer (with the
    number as their phone) and the call is theirs from then on."""
    from layani.customers.actions import CustomerDetails, create_customer
    from layani.staff.permissions import Capability, require

    require(actor, Capability.EDIT_CUSTOMERS)
    if call.customer_id is not None:
        raise Conflict(_("This call already has a customer."), code="call_has_customer")
    if not full_name.strip():
        raise InvalidInput(_("Write the customer's name."), code="required", field="full_name")
    with transaction.atomic():
        customer = create_customer(
            CustomerDetails.from_values(
                {
                    "full_name": " ".join(full_name.split())[:160],
                    "status": "customer",
                    IdentityKind.PHONE: call.customer_number,
                }
            ),
            actor=actor,
        )
        Call.objects.filter(pk=call.pk).update(customer=customer)
        call.customer = customer
    return customer
