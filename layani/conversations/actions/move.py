"""Filing a conversation under another customer: a web visitor who chatted without a name
says who they are, and their chat goes to that customer's file."""

from django.db import transaction
from django.utils import timezone

from layani.conversations.actions._common import authorise, copy_state, lock, save
from layani.conversations.models import Conversation, EventKind, TimelineEvent
from layani.conversations.notify import CONVERSATION_UPDATED, conversation_event
from layani.conversations.timeline import record_event
from layani.core.types import Actor
from layani.customers.models import Customer


def move_conversation(conversation: Conversation, *, to: Customer, actor: Actor) -> Conversation:
    """File `conversation` under `to`, with its timeline rows and survey answers: the
    customer's story follows the conversation. Its thread and the new customer's timeline
    get a row saying where it came from; the customer it leaves keeps one saying where it
    went, and everything else of theirs. Nothing happens when it is `to`'s already; a
    merged conversation is refused (Conflict `conversation_merged`)."""
    from layani.feedback.models import SurveyResponse

    authorise(actor, conversation)
    with transaction.atomic():
        locked = lock(conversation)
        source_id = locked.customer_id
        if source_id == to.pk:
            copy_state(locked, conversation)
            return conversation
        source = Customer.objects.filter(pk=source_id).first() if source_id else None
        locked.customer = to
        locked.updated_at = timezone.now()
        save(locked, ["customer"])
        TimelineEvent.objects.filter(conversation=locked).update(customer=to)
        SurveyResponse.objects.filter(conversation=locked).update(customer=to)
        summary = f"{locked.reference}: {source or '-'} → {to.full_name}"
        details = {"conversation": locked.pk, "from": source_id, "to": to.pk}
        record_event(
            EventKind.CONVERSATION_MOVED,
            actor=actor,
            conversation=locked,
            summary=summary,
            details=details,
        )
        if source is not None:
            record_event(
                EventKind.CONVERSATION_MOVED,
                actor=actor,
                customer=source,
                summary=summary,
                details=details,
            )
        conversation_event(CONVERSATION_UPDATED, locked, changes=["customer"])
    copy_state(locked, conversation)
    return conversation
