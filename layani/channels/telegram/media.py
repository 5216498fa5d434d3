"""Files customers send the bot are named by `file_id`; fetch them after the message is
stored (getFile, then download) into `MessageAttachment.file`."""

import mimetypes

from django.core.files.base import ContentFile
from django.db import transaction

from layani.channels.models import ChannelAccount
from layani.channels.telegram.bot_api import BotApi
from layani.conversations.models import MessageAttachment
from layani.core.choices import Channel


def pending_attachments(account: ChannelAccount, file_ids: list[str]) -> list[MessageAttachment]:
    return list(
        MessageAttachment.objects.filter(
            media_ref__in=file_ids,
            message__channel=Channel.TELEGRAM,
            message__conversation__channel_account_id=account.pk,
            file="",
        )
    )


def fetch_media(account_id: int, file_ids: list[str]) -> int:
    """Download each file not stored yet; returns how many were stored."""
    account = ChannelAccount.objects.filter(pk=account_id).first()
    if account is None:
        return 0
    api = BotApi(account)
    stored = 0
    for attachment in pending_attachments(account, file_ids):
        path, content = api.download(attachment.media_ref)
        if not attachment.content_type:
            attachment.content_type = mimetypes.guess_type(path)[0] or ""
        with transaction.atomic():
            attachment.size = len(content)
            attachment.file.save(attachment.filename, ContentFile(content), save=False)
            attachment.save(update_fields=["file", "size", "content_type"])
        stored += 1
    return stored
