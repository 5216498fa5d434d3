import logging

from huey.contrib.djhuey import db_task

from layani.channels.base import SendFailed
from layani.channels.telegram import media

logger = logging.getLogger(__name__)


@db_task(retries=5, retry_delay=30)
def fetch_telegram_media(account_id: int, file_ids: list[str]) -> None:
    """Queued after a message with files is stored; network errors and 5xx are retried,
    a refusal (file gone, too big) is logged and the attachment stays a reference."""
    try:
        media.fetch_media(account_id, file_ids)
    except SendFailed as exc:
        logger.warning("Telegram media of account %s not fetched: %s", account_id, exc)
