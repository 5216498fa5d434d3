"""A message's file, to staff who may see its conversation (never a public URL: attachments
are customers' documents)."""

from typing import cast

from django.http import FileResponse, HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from layani.conversations.models import MessageAttachment
from layani.conversations.queries import conversations_for
from layani.conversations.views.common import workspace_page
from layani.core.errors import NotFound

# Shown in the page; everything else is downloaded (an HTML or SVG file never renders).
INLINE_TYPES = {"image/jpeg", "image/png", "image/gif", "image/webp", "application/pdf"}


@require_GET
@workspace_page()
def attachment(request: HttpRequest, attachment_id: int) -> HttpResponse:
    found = (
        MessageAttachment.objects.filter(
            pk=attachment_id, message__conversation__in=conversations_for(request.user)
        )
        .exclude(file="")
        .first()
    )
    if found is None:
        raise NotFound("Attachment not found.", code="attachment_not_found")
    inline = found.content_type in INLINE_TYPES
    response = FileResponse(
        found.file.open("rb"),
        as_attachment=not inline,
        filename=found.filename,
        content_type=found.content_type if inline else "application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, max-age=3600"
    # A streamed file: the workspace decorator passes any response through unchanged.
    return cast(HttpResponse, response)
