"""Every call is documented: the agent writes why the customer called and what came of it."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from layani.channels.phone.models import Call, CallState
from layani.channels.phone.queries import access_call
from layani.conversations.actions import add_note
from layani.conversations.models import EventKind
from layani.conversations.timeline import record_event
from layani.core.choices import Purpose
from layani.core.errors import InvalidInput
from layani.core.types import Actor
from layani.staff.permissions import Capability, require, staff_of

MAX_RESULT = 4000


def document_call(call: Call, *, purpose: str, result: str, actor: Actor) -> Call:
    """Write (or correct) the call's note: its purpose and result, in the timeline and as an
    internal note on the call's conversation."""
    require(actor, Capability.WORK_CONVERSATIONS)
    call = access_call(actor, call.pk)
    if purpose not in Purpose.values:
        raise InvalidInput(
            _("Choose why the customer called."), code="invalid_choice", field="purpose"
        )
    result = result.strip()
    if not result:
        raise InvalidInput(_("Write what came of the call."), code="required", field="result")
    if len(result) > MAX_RESULT:
        raise InvalidInput(
            _("Keep the result under %(max)s characters.") % {"max": MAX_RESULT},
            code="too_long",
            field="result",
        )
    if call.state != CallState.ENDED:
        raise InvalidInput(
            _("The call is still going on: document it after it ends."),
            code="call_not_ended",
            field="call",
        )
    now = timezone.now()
    with transaction.atomic():
        locked = Call.objects.select_for_update().get(pk=call.pk)
        correction = locked.documented_at is not None
        locked.purpose, locked.result = purpose, result
        locked.documented_by, locked.documented_at = staff_of(actor), now
        locked.save(update_fields=["purpose", "result", "documented_by", "documented_at"])
        summary = _("Call note (%(purpose)s): %(result)s") % {
            "purpose": Purpose(purpose).label,
            "result": result,
        }
        record_event(
            EventKind.CALL,
            actor=actor,
            customer=call.customer,
            conversation=call.conversation,
            summary=summary,
            details={
                "call": call.pk,
                "documented": True,
                "purpose": purpose,
                "correction": correction,
            },
            occurred_at=now,
        )
        if call.conversation is not None:
            add_note(call.conversation, body_text=summary, actor=actor)
    return locked
