"""Helpers for the search tests: conversations with messages, indexed as the actions do."""

from collections.abc import Callable
from typing import Any

import pytest

from layani.conversations.models import (
    Conversation,
    DeliveryStatus,
    Direction,
    Message,
)
from layani.core.choices import Channel
from layani.search.indexing import index_conversation, index_message


@pytest.fixture
def conversation_with(db: Any) -> Callable[..., Conversation]:
    """conversation_with("text", ..., subject=, branch=, channel=, direction=) -> indexed."""

    def make(
        *texts: str,
        subject: str = "",
        branch: Any = None,
        channel: str = Channel.WHATSAPP,
        direction: str = Direction.INBOUND,
        **fields: Any,
    ) -> Conversation:
        conversation = Conversation.objects.create(
            channel=channel, subject=subject, branch=branch, **fields
        )
        index_conversation(conversation)
        for text in texts:
            message = Message.objects.create(
                conversation=conversation,
                channel=channel,
                direction=direction,
                body_text=text,
                delivery_status=DeliveryStatus.RECEIVED,
            )
            index_message(message)
        return conversation

    return make
