"""What every conversation action shares: who may change it, locking, field checks."""

from collections.abc import Iterable
from datetime import datetime

from django.contrib.auth.models import User
from django.utils.translation import gettext as _

from layani.conversations.due import due_at_for
from layani.conversations.models import Conversation, ConversationStatus
from layani.conversations.queries import can_see_conversation
from layani.core.errors import Conflict, InvalidInput, NotFound
from layani.core.types import Actor
from layani.routing.sla import apply_sla
from layani.search.indexing import sync_conversation_documents
from layani.staff.models import Staff, Team
from layani.staff.permissions import Capability, require, staff_of

MAX_REASON_LENGTH = 500


def is_system(actor: Actor) -> bool:
    """None is the system itself (channel adapters, background jobs): not a person to check."""
    return actor is None


def authorise(actor: Actor, conversation: Conversation | None = None) -> None:
    """The actor may work conversations and, if given, sees this one; else nothing happens.

    A conversation outside the actor's scope is reported as not found, like a read.
    """
    if is_system(actor):
        return
    require(actor, Capability.WORK_CONVERSATIONS)
    if conversation is not None and not can_see_conversation(actor, conversation):
        raise NotFound(_("Conversation not found."), code="conversation_not_found")


def in_team(staff: Staff, team_id: int) -> bool:
    return staff.teams.filter(pk=team_id).exists()


def check_in_team(staff: Staff, team: Team, *, field: str = "assignee_id") -> None:
    """A person holds a conversation only in a team they are in (one query)."""
    if not in_team(staff, team.pk):
        raise InvalidInput(
            _("%(name)s is not a member of the team %(team)s.")
            % {"name": staff.display_name, "team": team.name},
            code="not_in_team",
            field=field,
        )


def author_of(actor: Actor) -> Staff | None:
    return staff_of(actor) if isinstance(actor, User) else None


def lock(conversation: Conversation) -> Conversation:
    """Re-read the conversation under a row lock (inside a transaction) and refuse merged ones."""
    locked = Conversation.objects.select_for_update().get(pk=conversation.pk)
    if locked.merged_into_id is not None:
        raise Conflict(
            _("This conversation was merged into %(target)s.")
            % {"target": f"L-{locked.merged_into_id}"},
            code="conversation_merged",
        )
    return locked


def copy_state(source: Conversation, target: Conversation) -> None:
    """Give the caller's instance the values written through the locked one."""
    if source is target:
        return
    for f in Conversation._meta.concrete_fields:
        setattr(target, f.attname, getattr(source, f.attname))


def refresh_due(conversation: Conversation, now: datetime) -> None:
    """The default target per priority; the SLA policy's due instant when one applies."""
    conversation.due_at = due_at_for(
        priority=conversation.priority, waiting_since=conversation.waiting_since, now=now
    )
    apply_sla(conversation, now=now)


def clean_reason(reason: str, *, required: bool) -> str:
    text = (reason or "").strip()
    if required and not text:
        raise InvalidInput(_("Give a reason for this change."), code="required", field="reason")
    if len(text) > MAX_REASON_LENGTH:
        raise InvalidInput(_("The reason is too long."), code="too_long", field="reason")
    return text


def clean_body(body_text: str, field: str = "body_text") -> str:
    if not (body_text or "").strip():
        raise InvalidInput(_("The message is empty."), code="required", field=field)
    return body_text


def status_label(status: str) -> str:
    return str(ConversationStatus(status).label)


def changed_fields(before: dict[str, object], after: dict[str, object]) -> list[str]:
    return [name for name in after if before.get(name) != after[name]]


def refresh_tag_ids(conversation: Conversation) -> None:
    """Copy the conversation's tags onto its row (`tag_ids`, read by the inbox's tag
    filter) after they changed; the caller saves the field."""
    conversation.tag_ids = sorted(conversation.tags.values_list("pk", flat=True))


def save(conversation: Conversation, fields: Iterable[str]) -> None:
    """The one place actions write a conversation: its search index rows follow when a
    field they copy (status, assignee, team, branch...) is among `fields`."""
    names = sorted(set(fields) | {"updated_at"})
    conversation.save(update_fields=names)
    sync_conversation_documents(conversation, names)
