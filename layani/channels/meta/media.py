"""Fetching an inbound message's media in the background and storing it with the message.

WhatsApp names media by id: GET `{graph}/{version}/{id}` (with the account's token) gives
a short-lived URL, fetched with the same token. Messenger and Instagram send the URL
itself. The bytes go into the attachment's file; a failure is retried by the worker.
"""

import logging

import httpx
from django.core.files.base import ContentFile

from layani.channels.base import SendFailed
from layani.channels.meta import graph
from layani.channels.models import ChannelAccount
from layani.conversations.attachments import MAX_ATTACHMENT_BYTES, safe_filename
from layani.conversations.models import MessageAttachment

logger = logging.getLogger(__name__)


class MediaUnavailable(Exception):
    """Meta would not give the file this time."""


def _download(url: str, headers: dict[str, str]) -> tuple[bytes, str]:
    with httpx.stream("GET", url, headers=headers, timeout=graph.MEDIA_TIMEOUT) as response:
        if not response.is_success:
            raise MediaUnavailable(f"HTTP {response.status_code} for the media file")
        chunks, size = [], 0
        for chunk in response.iter_bytes():
            size += len(chunk)
            if size > MAX_ATTACHMENT_BYTES:
                raise MediaUnavailable("the media file is larger than the attachment limit")
            chunks.append(chunk)
        return b"".join(chunks), response.headers.get("content-type", "").split(";")[0]


def media_bytes(account: ChannelAccount, media_ref: str) -> tuple[bytes, str]:
    """The file and its content type, by WhatsApp media id or by URL."""
    if media_ref.startswith(("https://", "http://")):
        return _download(media_ref, {})
    headers = graph.auth_headers(account)
    try:
        response = httpx.get(
            graph.api_url(account, media_ref), headers=headers, timeout=graph.TIMEOUT
        )
        answer = graph.checked(response)
    except (httpx.HTTPError, SendFailed) as exc:
        raise MediaUnavailable(f"media {media_ref}: {exc}") from exc
    url = str(answer.get("url", ""))
    if not url:
        raise MediaUnavailable(f"media {media_ref}: no url in the answer")
    content, content_type = _download(url, headers)
    return content, str(answer.get("mime_type") or content_type)


def fetch_attachment(account: ChannelAccount, attachment: MessageAttachment) -> bool:
    """Store the attachment's file if it has none yet; returns whether it stored one."""
    if attachment.file or not attachment.media_ref:
        return False
    content, content_type = media_bytes(account, attachment.media_ref)
    attachment.size = len(content)
    if not attachment.content_type and content_type:
        attachment.content_type = content_type[:120]
    name = safe_filename(attachment.filename, attachment.content_type)
    attachment.file.save(name, ContentFile(content), save=False)
    attachment.save(update_fields=["file", "size", "content_type"])
    return True
