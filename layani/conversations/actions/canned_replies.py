"""Managing canned replies (supervisors and admins): create, change, delete."""

from dataclasses import dataclass, fields
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from layani.conversations.models import CannedReply
from layani.core.errors import Conflict, InvalidInput
from layani.core.types import Actor
from layani.staff.models import Team
from layani.staff.permissions import Capability, require

LANGUAGES = ("id", "en")


@dataclass
class CannedReplyDetails:
    """What a person may set on a canned reply. For updates, only names in `given` change."""

    title: str | None = None
    body: str | None = None
    language: str | None = None
    team: Team | None = None
    shortcut: str | None = None
    is_active: bool | None = None
    given: frozenset[str] = frozenset()

    @classmethod
    def of(cls, **values: Any) -> "CannedReplyDetails":
        names = {f.name for f in fields(cls)} - {"given"}
        unknown = set(values) - names
        if unknown:
            raise TypeError(f"unknown canned reply fields: {sorted(unknown)}")
        return cls(**values, given=frozenset(values))


def _clean(reply: CannedReply, details: CannedReplyDetails) -> None:
    given = details.given
    if "title" in given:
        title = (details.title or "").strip()
        if not title:
            raise InvalidInput(_("A title is required."), code="required", field="title")
        reply.title = title[:120]
    if "body" in given:
        if not (details.body or "").strip():
            raise InvalidInput(_("The text is required."), code="required", field="body")
        reply.body = details.body or ""
    if "language" in given:
        if details.language not in LANGUAGES:
            raise InvalidInput(_("Unknown language."), code="invalid_choice", field="language")
        reply.language = details.language
    if "team" in given:
        reply.team = details.team
    if "shortcut" in given:
        shortcut = slugify(details.shortcut or "")[:40]
        if details.shortcut and not shortcut:
            raise InvalidInput(_("Not a valid shortcut."), code="invalid", field="shortcut")
        reply.shortcut = shortcut
    if "is_active" in given and details.is_active is not None:
        reply.is_active = details.is_active
    if reply.shortcut:
        clash = CannedReply.objects.filter(
            shortcut=reply.shortcut, team=reply.team, language=reply.language, is_active=True
        ).exclude(pk=reply.pk)
        if clash.exists():
            raise Conflict(
                _("Another canned reply already uses this shortcut."),
                code="shortcut_taken",
                field="shortcut",
            )


def create_canned_reply(details: CannedReplyDetails, *, actor: Actor) -> CannedReply:
    require(actor, Capability.MANAGE_CANNED_REPLIES)
    missing = [n for n in ("title", "body") if n not in details.given]
    if missing:
        raise InvalidInput(_("This field is required."), code="required", field=missing[0])
    reply = CannedReply(created_by=actor if isinstance(actor, User) else None)
    _clean(reply, details)
    with transaction.atomic():
        reply.save()
    return reply


def update_canned_reply(
    reply: CannedReply, details: CannedReplyDetails, *, actor: Actor
) -> CannedReply:
    require(actor, Capability.MANAGE_CANNED_REPLIES)
    _clean(reply, details)
    reply.updated_at = timezone.now()
    with transaction.atomic():
        reply.save()
    return reply


def delete_canned_reply(reply: CannedReply, *, actor: Actor) -> None:
    require(actor, Capability.MANAGE_CANNED_REPLIES)
    reply.delete()
