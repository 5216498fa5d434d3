"""The callback service: a customer asks to be called back within a time window.

A request becomes a message on the customer's conversation of channel `callback`, so the
inbox queues, assigns and SLA-times it like any other; the customer gets a confirmation with
the window (by SMS, through the outbox until an SMS account exists); each attempt is
recorded (reached / not reached, up to `max_attempts`); `remind_due_callbacks` tells the
customer when their window starts.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from layani.channels.customers import customer_for_sender
from layani.channels.events import Sender
from layani.channels.models import ChannelAccount
from layani.channels.phone.models import (
    OPEN_CALLBACK_STATUSES,
    AttemptOutcome,
    Call,
    CallbackAttempt,
    CallbackRequest,
    CallbackSource,
    CallbackStatus,
)
from layani.conversations.actions import (
    add_message,
    add_note,
    receive_inbound_message,
    send_automatic,
    update_delivery_status,
)
from layani.conversations.models import DeliveryStatus, Direction, EventKind
from layani.conversations.queries import access_conversation
from layani.conversations.timeline import record_event
from layani.core.choices import Channel
from layani.core.errors import InvalidInput, NotFound
from layani.core.formatting import format_local
from layani.core.types import Actor
from layani.customers.identities import normalise_phone
from layani.customers.models import IdentityKind
from layani.staff.models import Staff
from layani.staff.permissions import Capability, require, staff_of

DEFAULT_ZONE = "Asia/Jakarta"
MAX_WINDOW = timedelta(days=14)
MIN_WINDOW = timedelta(minutes=15)
CONFIRMATION = "callback_confirmation"
REMINDER = "callback_reminder"
REMIND_AHEAD = timedelta(minutes=15)
# Confirmations and reminders are text: SMS to the number the customer gave.
NOTICE_CHANNEL = Channel.SMS


@dataclass(frozen=True)
class CallbackDetails:
    phone: str
    window_start: datetime
    window_end: datetime
    source: str
    name: str = ""
    topic: str = ""


def _zone(branch: object) -> str:
    return str(getattr(branch, "timezone", "") or DEFAULT_ZONE)


def window_text(request: CallbackRequest) -> str:
    zone = _zone(request.branch)
    start = format_local(request.window_start, zone)
    same_day = timezone.localtime(request.window_start, ZoneInfo(zone)).date() == (
        timezone.localtime(request.window_end, ZoneInfo(zone)).date()
    )
    end = format_local(request.window_end, zone, with_date=not same_day)
    return f"{start} - {end}"


def clean_details(details: CallbackDetails, *, now: datetime) -> CallbackDetails:
    """Check what the customer gave; raises InvalidInput naming the field."""
    phone = normalise_phone(details.phone, field="phone")
    if details.source not in CallbackSource.values:
        raise InvalidInput(_("Unknown source."), code="invalid_choice", field="source")
    if details.window_end <= details.window_start:
        raise InvalidInput(
            _("The end of the time window must be after its start."),
            code="window_order",
            field="window_end",
        )
    if details.window_end - details.window_start < MIN_WINDOW:
        raise InvalidInput(
            _("The time window must be at least 15 minutes long."),
            code="window_too_short",
            field="window_end",
        )
    if details.window_end <= now:
        raise InvalidInput(
            _("The time window has already passed."), code="window_past", field="window_end"
        )
    if details.window_start - now > MAX_WINDOW:
        raise InvalidInput(
            _("Choose a time within the next 14 days."), code="window_too_far", field="window_start"
        )
    return CallbackDetails(
        phone=phone,
        window_start=max(details.window_start, now),
        window_end=details.window_end,
        source=details.source,
        name=" ".join(details.name.split())[:160],
        topic=details.topic.strip()[:300],
    )


def request_callback(
    details: CallbackDetails,
    *,
    account: ChannelAccount | None = None,
    call: Call | None = None,
) -> CallbackRequest:
    """Record a callback request, put it in the inbox and confirm it to the customer."""
    now = timezone.now()
    details = clean_details(details, now=now)
    branch = account.branch if account is not None else None
    max_attempts = account.setting("callback_max_attempts", 3) if account is not None else 3
    with transaction.atomic():
        customer = customer_for_sender(
            Sender(kind=IdentityKind.PHONE, value=details.phone, name=details.name)
        )
        request = CallbackRequest.objects.create(
            customer=customer,
            phone=details.phone,
            window_start=details.window_start,
            window_end=details.window_end,
            source=details.source,
            topic=details.topic,
            max_attempts=max_attempts if isinstance(max_attempts, int) and max_attempts > 0 else 3,
            branch=branch,
            call=call,
            created_at=now,
        )
        text = _("Please call me back between %(window)s.") % {"window": window_text(request)}
        if details.topic:
            text += "\n" + details.topic
        inbound = receive_inbound_message(
            customer=customer,
            channel=Channel.CALLBACK,
            body_text=text,
            subject=_("Callback request"),
            external_id=f"callback:{request.pk}",
            branch=branch,
            team=account.team if account is not None else None,
            meta={"kind": "callback", "callback": request.pk, "source": details.source},
            actor=None,
            # The customer waits from the start of the window they chose: the SLA clock and
            # the inbox's due order count from then, not from the moment they asked.
            waiting_from=details.window_start,
        )
        request.conversation = inbound.conversation
        # A window that starts within REMIND_AHEAD (a missed call: from now) needs no
        # reminder: the confirmation sent now already says we will call in it.
        if request.window_start <= now + REMIND_AHEAD:
            request.reminded_at = now
        request.save(update_fields=["conversation", "reminded_at"])
        with translation.override(customer.language or "id"):
            confirmation = _(
                "Thank you. We will call you back at %(phone)s between %(window)s "
                "(ticket %(ticket)s)."
            ) % {
                "phone": details.phone,
                "window": window_text(request),
                "ticket": inbound.conversation.reference,
            }
        send_automatic(
            inbound.conversation, body_text=confirmation, kind=CONFIRMATION, channel=NOTICE_CHANNEL
        )
    return request


def callback_for_missed_call(account: ChannelAccount, call: Call) -> CallbackRequest | None:
    """A missed or abandoned call asks for a callback by itself (once per call)."""
    from layani.channels.phone.calls import callback_window

    if not call.customer_number or CallbackRequest.objects.filter(call=call).exists():
        return None
    start, end = callback_window(account, timezone.now())
    try:
        with transaction.atomic():
            request = request_callback(
                CallbackDetails(
                    phone=call.customer_number,
                    window_start=start,
                    window_end=end,
                    source=CallbackSource.MISSED_CALL,
                    topic=_("We missed your call."),
                ),
                account=account,
                call=call,
            )
    except InvalidInput:
        return None  # a withheld or internal number: nobody to call back
    except IntegrityError:
        return None  # recorded by another worker
    if call.customer_id is None:
        Call.objects.filter(pk=call.pk).update(customer=request.customer)
        call.customer = request.customer
    return request


def _lock_open(request: CallbackRequest) -> CallbackRequest:
    locked = CallbackRequest.objects.select_for_update().get(pk=request.pk)
    if locked.status not in OPEN_CALLBACK_STATUSES:
        raise InvalidInput(
            _("This callback request is already closed."), code="callback_closed", field="status"
        )
    return locked


def access_callback(user: Actor, callback_id: int) -> CallbackRequest:
    """The request, if the user may see its conversation (the inbox's scope)."""
    request = (
        CallbackRequest.objects.select_related("customer", "branch").filter(pk=callback_id).first()
    )
    if request is None or request.conversation_id is None:
        raise NotFound(_("No such callback request."))
    access_conversation(user, request.conversation_id)
    return request


def record_attempt(
    request: CallbackRequest,
    *,
    outcome: str,
    note: str = "",
    actor: Actor,
    by: Staff | None = None,
) -> CallbackAttempt:
    """The agent called: reached closes the request; not reached leaves it open until the
    attempts run out. Written on the conversation as a note, and in the timeline.

    `actor=None` is the system recording an outgoing call the phone system reported, made
    by `by`."""
    if actor is not None:
        require(actor, Capability.WORK_CONVERSATIONS)
    if outcome not in AttemptOutcome.values:
        raise InvalidInput(
            _("Choose reached or not reached."), code="invalid_choice", field="outcome"
        )
    staff = staff_of(actor) if actor is not None else by
    with transaction.atomic():
        locked = _lock_open(request)
        attempt = CallbackAttempt.objects.create(
            request=locked, outcome=outcome, note=note.strip()[:500], by=staff
        )
        made = locked.attempts.count()
        if outcome == AttemptOutcome.REACHED:
            locked.status = CallbackStatus.REACHED
        elif made >= locked.max_attempts:
            locked.status = CallbackStatus.NOT_REACHED
        else:
            locked.status = CallbackStatus.ATTEMPTING
        locked.assigned_to = locked.assigned_to or staff
        locked.save(update_fields=["status", "assigned_to"])
        summary = _("Callback attempt %(n)s of %(max)s: %(outcome)s") % {
            "n": made,
            "max": locked.max_attempts,
            "outcome": AttemptOutcome(outcome).label,
        }
        conversation = locked.conversation
        text = summary + (f"\n{note.strip()}" if note.strip() else "")
        if conversation is not None and outcome == AttemptOutcome.REACHED:
            # The customer was answered, on the phone: the first response, and nobody
            # waits any more (as for an answered call, `calls.py`).
            spoken = add_message(
                conversation,
                direction=Direction.OUTBOUND,
                body_text=text,
                author=staff,
                actor=actor,
            )
            update_delivery_status(spoken, status=DeliveryStatus.DELIVERED)
        elif conversation is not None:
            add_note(conversation, body_text=text, actor=actor)
        record_event(
            EventKind.CALL,
            actor=actor,
            customer=locked.customer,
            conversation=conversation,
            summary=summary,
            details={"callback": locked.pk, "attempt": made, "outcome": outcome},
        )
    request.status, request.assigned_to = locked.status, locked.assigned_to
    return attempt


def remind_due_callbacks(now: datetime | None = None, limit: int = 200) -> int:
    """Tell each customer whose window has started that we will call now (once each)."""
    now = now or timezone.now()
    due = list(
        CallbackRequest.objects.filter(
            reminded_at__isnull=True,
            status__in=[CallbackStatus.REQUESTED, CallbackStatus.SCHEDULED],
            window_start__lte=now,
            window_end__gt=now,
        )
        .select_related("customer", "branch", "conversation")
        .order_by("window_start")[:limit]
    )
    sent = 0
    for request in due:
        with transaction.atomic():
            claimed = CallbackRequest.objects.filter(
                pk=request.pk, reminded_at__isnull=True
            ).update(reminded_at=now)
            if not claimed or request.conversation is None:
                continue
            with translation.override(request.customer.language or "id"):
                text = _("We will call you at %(phone)s shortly, until %(until)s.") % {
                    "phone": request.phone,
                    "until": format_local(request.window_end, _zone(request.branch)),
                }
            send_automatic(
                request.conversation, body_text=text, kind=REMINDER, channel=NOTICE_CHANNEL
            )
            sent += 1
    return sent


def attempt_from_outgoing_call(call: Call) -> CallbackAttempt | None:
    """An agent's outgoing call to a number with an open callback request is an attempt:
    answered means reached, anything else not reached."""
    if not call.callee:
        return None
    request = (
        CallbackRequest.objects.filter(phone=call.callee, status__in=OPEN_CALLBACK_STATUSES)
        .order_by("window_start", "id")
        .first()
    )
    if request is None:
        return None
    outcome = AttemptOutcome.REACHED if call.outcome == "answered" else AttemptOutcome.NOT_REACHED
    return record_attempt(
        request,
        outcome=outcome,
        note=_("Outgoing call %(call)s") % {"call": call.call_id},
        actor=None,
        by=call.agent,
    )
