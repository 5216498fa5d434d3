"""Helpers for the search tests: conversations with messages, indexed as the actions do;
PostgreSQL's segment indexes at a size a test can fill."""

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.db import connection

from layani.conversations.models import (
    Conversation,
    DeliveryStatus,
    Direction,
    Message,
)
from layani.core.choices import Channel
from layani.search import segments
from layani.search.indexing import index_conversation, index_message


@pytest.fixture(autouse=True)
def _ask_again_for_the_segments() -> Iterator[None]:
    """A test may create or drop segment indexes (rolled back after it): never let the next
    test trust what this one's process was told."""
    segments.forget_segments()
    yield
    segments.forget_segments()


@pytest.fixture
def small_segments(
    db: Any, monkeypatch: pytest.MonkeyPatch
) -> Callable[[], list[segments.Segment]]:
    """PostgreSQL's segments at SMALL_SEGMENT rows (each level 3x the one below), inside the
    test's transaction: the index rows' ids start again at 1 (the table is empty: earlier
    tests were rolled back), the migration's segments are dropped, and the returned function
    creates the segments the rows written so far need (`ensure_segments`)."""
    if connection.vendor != "postgresql":
        pytest.skip("segments are PostgreSQL's")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence('search_searchdocument', 'id'), "
            "COALESCE(max(id), 0) + 1, false) FROM search_searchdocument"
        )
    monkeypatch.setattr(segments, "LEVELS", (SMALL_SEGMENT, SMALL_SEGMENT * 3, SMALL_SEGMENT * 9))
    segments.drop_segments((segments.CONVERSATIONS,))

    def ensure() -> list[segments.Segment]:
        return segments.ensure_segments(families=(segments.CONVERSATIONS,))

    return ensure


SMALL_SEGMENT = 20


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
