"""Helpers for the search tests: conversations with messages, indexed as the actions do;
the ordered (RUM) index on PostgreSQL."""

import importlib
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
from layani.search.indexing import index_conversation, index_message
from layani.search.ordered_index import forget_ordered_index, ordered_index_present
from layani.testing.rum import install_rum, rum_offered, rum_package, under_ci


@pytest.fixture(autouse=True)
def _ask_again_for_the_ordered_index() -> Iterator[None]:
    """A test may create or drop the ordered index (rolled back after it): never let the
    next test trust what this one's connection was told."""
    forget_ordered_index()
    yield
    forget_ordered_index()


@pytest.fixture
def ordered_index(db: Any) -> None:
    """The ordered (RUM) index exists in the test database, inside the test's transaction.

    PostgreSQL only. When the server does not offer RUM: skipped locally with the reason,
    installed under CI (`CI=true`), and the test fails if that does not work."""
    if connection.vendor != "postgresql":
        pytest.skip("the ordered index is PostgreSQL's (the RUM extension)")
    if not rum_offered():
        if not under_ci():
            pytest.skip(f"PostgreSQL does not offer rum: apt-get install {rum_package()}")
        problem = install_rum()
        if problem is not None:
            pytest.fail(f"CI needs the rum extension for the ordered index tests: {problem}")
    migration = importlib.import_module("layani.search.migrations.0004_ordered_index")
    assert migration.create_ordered_index(connection, concurrently=False)
    forget_ordered_index()
    assert ordered_index_present()


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
