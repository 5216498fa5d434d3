"""Side effects that run only after the surrounding transaction commits (STYLE rule 2).

A rollback publishes nothing and enqueues nothing.
"""

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from asgiref.sync import SyncToAsync, async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

from layani.core.publisher import run_on_publisher
from layani.core.relay import relay, relay_url

logger = logging.getLogger(__name__)

SENDS_AT_ONCE = 16


def publish_now(group: str, event_type: str, payload: dict[str, Any]) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    message = {"type": "layani.event", "event": event_type, "payload": payload}
    if _relayed(layer):
        relay([(group, message)])
        return
    if _outside_a_server(layer):
        run_on_publisher(layer.group_send(group, message))
    else:
        async_to_sync(layer.group_send)(group, message)


def publish_all_now(events: list[tuple[str, str, dict[str, Any]]]) -> None:
    """`publish_now` for many (group, event type, payload). A group's events go in one
    `layani.events` message, in order (consumers mix in `core.consumers.HearsEventBatches`):
    each send costs a few Redis commands whatever it carries, so a batch of fifty messages
    costs one send per group, not one per message and group. On Redis the sends also go
    together in one trip to the publishing loop (each trip costs a thread hand-over both
    ways, which for a batch of messages cost more than all their database writes)."""
    layer = get_channel_layer()
    if layer is None or not events:
        return
    by_group: dict[str, list[dict[str, Any]]] = {}
    for group, event_type, payload in events:
        by_group.setdefault(group, []).append({"event": event_type, "payload": payload})
    messages = [(group, _message(items)) for group, items in by_group.items()]
    if _relayed(layer):
        relay(messages)
        return
    if not _outside_a_server(layer):
        for group, message in messages:
            async_to_sync(layer.group_send)(group, message)
        return

    async def send_all() -> list[Any]:
        # Within the layer's connection pool: more at once fails with MaxConnectionsError.
        gate = asyncio.Semaphore(SENDS_AT_ONCE)

        async def send(group: str, message: dict[str, Any]) -> None:
            async with gate:
                await layer.group_send(group, message)

        return await asyncio.gather(*(send(*item) for item in messages), return_exceptions=True)

    failed = [error for error in run_on_publisher(send_all()) if isinstance(error, Exception)]
    if failed:
        logger.warning("%s of %s realtime sends failed: %r", len(failed), len(messages), failed[0])


def _message(items: list[dict[str, Any]]) -> dict[str, Any]:
    if len(items) == 1:
        return {"type": "layani.event", **items[0]}
    return {"type": "layani.events", "events": items}


def _relayed(layer: Any) -> bool:
    """Embedded, in `layani serve`'s worker: the layer in this process's memory reaches no
    browser, so the events go to the server (`core.relay`)."""
    return (
        bool(relay_url())
        and type(layer).__name__ == "InMemoryChannelLayer"
        and getattr(SyncToAsync.threadlocal, "main_event_loop", None) is None
    )


def _outside_a_server(layer: Any) -> bool:
    """A Redis layer, called from plain synchronous code (no event loop behind this thread):
    publish on the process's own loop instead of a new loop per call."""
    if type(layer).__name__ == "InMemoryChannelLayer":
        return False
    return getattr(SyncToAsync.threadlocal, "main_event_loop", None) is None


def publish_on_commit(group: str, event_type: str, payload: dict[str, Any]) -> None:
    """Send `payload` to every websocket in `group` once the current transaction commits."""
    transaction.on_commit(lambda: publish_now(group, event_type, payload))


def publish_all_on_commit(events: list[tuple[str, str, dict[str, Any]]]) -> None:
    """`publish_on_commit` for many events, sent together after commit (`publish_all_now`)."""
    transaction.on_commit(lambda: publish_all_now(events))


def enqueue_on_commit(task: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
    """Queue a Huey task after commit, so the worker never sees uncommitted rows."""
    transaction.on_commit(lambda: task(*args, **kwargs))
