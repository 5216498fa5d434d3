"""Merging two conversations of the same customer: one thread, nothing lost."""

from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from layani.conversations.actions._common import (
    authorise,
    copy_state,
    lock,
    refresh_due,
    refresh_tag_ids,
    save,
)
from layani.conversations.actions.lifecycle import (
    STATUS_FIELDS,
    apply_status,
    record_status_change,
)
from layani.conversations.models import (
    ACTIVE_STATUSES,
    PREVIEW_LENGTH,
    Conversation,
    ConversationRead,
    ConversationStatus,
    Direction,
    EventKind,
    Mention,
    Message,
    TimelineEvent,
)
from layani.conversations.notify import CONVERSATION_UPDATED, conversation_event
from layani.conversations.timeline import record_event
from layani.core.errors import Conflict, InvalidInput
from layani.core.types import Actor
from layani.search.indexing import message_text, move_conversation_documents

S = ConversationStatus


def _earliest(*moments: datetime | None) -> datetime | None:
    present = [m for m in moments if m is not None]
    return min(present) if present else None


def _latest(*moments: datetime | None) -> datetime | None:
    present = [m for m in moments if m is not None]
    return max(present) if present else None


def merge_conversations(source: Conversation, *, into: Conversation, actor: Actor) -> Conversation:
    """Move everything of `source` into `into` and close `source` as merged.

    Messages, timeline events, tags, mentions and survey answers move to the target; the
    target keeps the earliest waiting and first-response moments and reopens if the source
    still needed an answer. Both must belong to the same customer.
    """
    from layani.feedback.models import SurveyResponse

    if source.pk == into.pk:
        raise InvalidInput(
            _("A conversation cannot be merged into itself."),
            code="same_conversation",
            field="into",
        )
    authorise(actor, source)
    authorise(actor, into)
    if source.customer_id is None or source.customer_id != into.customer_id:
        raise Conflict(
            _("Only conversations of the same customer can be merged."),
            code="different_customers",
            field="into",
        )
    now = timezone.now()
    with transaction.atomic():
        # Lock both rows in id order, so two opposite merges cannot deadlock.
        first, second = sorted([source, into], key=lambda c: c.pk)
        locked = {c.pk: lock(c) for c in (first, second)}
        src, target = locked[source.pk], locked[into.pk]
        moved_messages = Message.objects.filter(conversation=src).update(conversation=target)
        moved_events = TimelineEvent.objects.filter(conversation=src).update(conversation=target)
        Mention.objects.filter(conversation=src).update(conversation=target)
        SurveyResponse.objects.filter(conversation=src).update(conversation=target)
        move_conversation_documents(src.pk, target)
        ConversationRead.objects.filter(conversation=src).delete()
        target.tags.add(*src.tags.all())
        refresh_tag_ids(target)

        target_before = target.status
        target.last_message_at = _latest(target.last_message_at, src.last_message_at)
        target.last_inbound_at = _latest(target.last_inbound_at, src.last_inbound_at)
        last = (
            Message.objects.filter(
                conversation=target, direction__in=[Direction.INBOUND, Direction.OUTBOUND]
            )
            .order_by("-created_at", "-id")
            .values_list("body_text", "body_html")
            .first()
        )
        target.last_preview = message_text(*last)[:PREVIEW_LENGTH] if last else ""
        target.first_response_at = _earliest(target.first_response_at, src.first_response_at)
        if src.status in ACTIVE_STATUSES:
            target.waiting_since = _earliest(target.waiting_since, src.waiting_since)
        if target.visit_id is None and src.visit_id is not None:
            target.visit_id = src.visit_id
        target.updated_at = now
        reopen = src.status in ACTIVE_STATUSES and target_before not in ACTIVE_STATUSES
        if reopen:
            waiting = target.waiting_since
            apply_status(target, S.OPEN, now)
            target.waiting_since = waiting
        refresh_due(target, now)
        save(
            target,
            [
                "last_message_at",
                "last_inbound_at",
                "last_preview",
                "first_response_at",
                "waiting_since",
                "visit_id",
                "due_at",
                "tag_ids",
                *STATUS_FIELDS,
            ],
        )
        if reopen:
            record_status_change(target, before=target_before, after=S.OPEN, actor=actor, now=now)

        src_before = src.status
        src.merged_into = target
        if src_before != S.CLOSED:
            apply_status(src, S.CLOSED, now)
        src.waiting_since = None
        src.updated_at = now
        save(src, ["merged_into_id", *STATUS_FIELDS])
        details = {
            "source": src.pk,
            "target": target.pk,
            "messages": moved_messages,
            "events": moved_events,
            "source_status": src_before,
        }
        summary = f"{src.reference} → {target.reference}"
        record_event(
            EventKind.MERGED, actor=actor, conversation=target, summary=summary, details=details
        )
        record_event(
            EventKind.MERGED, actor=actor, conversation=src, summary=summary, details=details
        )
        conversation_event(CONVERSATION_UPDATED, src, changes=["status", "merged_into"])
        conversation_event(
            CONVERSATION_UPDATED,
            target,
            changes=["merged", *(["status"] if reopen else [])],
        )
    copy_state(src, source)
    copy_state(target, into)
    return into
