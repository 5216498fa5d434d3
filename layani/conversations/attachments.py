"""Files that come with a message: stored with the message, in its transaction.

The file's bytes go to the default storage (MEDIA_ROOT); a file the provider only names by
id (`media_ref`) gets a row now and its bytes later (`fetch_media` of the channel)."""

import mimetypes
import re
from collections.abc import Sequence
from dataclasses import dataclass

from django.core.files.base import ContentFile

from layani.conversations.models import Message, MessageAttachment

# Largest attachment kept (bigger ones are recorded by name, without the file).
MAX_ATTACHMENT_BYTES = 25 * 1024 * 1024
_UNSAFE = re.compile(r"[^\w.\- ()]+", re.UNICODE)


@dataclass(frozen=True)
class AttachmentInput:
    filename: str
    content_type: str = ""
    content: bytes | None = None
    media_ref: str = ""
    is_inline: bool = False
    content_id: str = ""


def safe_filename(name: str, content_type: str = "") -> str:
    """A name that is safe on any disk and still reads like the original."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1].strip()
    base = _UNSAFE.sub("_", base).strip("._ ")[:150]
    if not base:
        extension = mimetypes.guess_extension(content_type or "") or ".bin"
        base = "lampiran" + extension
    return base


def store_attachments(
    message: Message, attachments: Sequence[AttachmentInput]
) -> list[MessageAttachment]:
    stored = []
    for item in attachments:
        name = safe_filename(item.filename, item.content_type)
        content_type = item.content_type or mimetypes.guess_type(name)[0] or ""
        row = MessageAttachment(
            message=message,
            filename=name,
            content_type=content_type[:120],
            media_ref=item.media_ref[:255],
            is_inline=item.is_inline,
            content_id=item.content_id.strip("<>")[:255],
        )
        if item.content is not None:
            row.size = len(item.content)
            if row.size <= MAX_ATTACHMENT_BYTES:
                row.file.save(name, ContentFile(item.content), save=False)
        row.save()
        stored.append(row)
    return stored
