import logging

from huey.contrib.djhuey import db_task

from layani.channels.base import SendFailed
from layani.channels.models import ChannelAccount
from layani.channels.telegram import media
from layani.channels.telegram.bot_api import BotApi

logger = logging.getLogger(__name__)


@db_task(retries=5, retry_delay=30)
def fetch_telegram_media(account_id: int, file_ids: list[str]) -> None:
    """Queued after a message with files is stored; network errors and 5xx are retried,
    a refusal (file gone, too big) is logged and the attachment stays a reference."""
    try:
        media.fetch_media(account_id, file_ids)
    except SendFailed as exc:
        logger.warning("Telegram media of account %s not fetched: %s", account_id, exc)


@db_task(retries=2, retry_delay=5)
def answer_button_press(account_id: int, callback_query_id: str) -> None:
    """Telegram shows a spinner on a pressed button until the bot answers the query."""
    account = ChannelAccount.objects.filter(pk=account_id).first()
    if account is None:
        return
    try:
        BotApi(account).call("answerCallbackQuery", {"callback_query_id": callback_query_id})
    except SendFailed as exc:  # too old to answer: nothing to do
        logger.info("callback query %s not answered: %s", callback_query_id, exc)
