"""Side effects that run only after the surrounding transaction commits (STYLE rule 2).

A rollback publishes nothing and enqueues nothing.
"""

from collections.abc import Callable
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction


def publish_now(group: str, event_type: str, payload: dict[str, Any]) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    message = {"type": "layani.event", "event": event_type, "payload": payload}
    async_to_sync(layer.group_send)(group, message)


def publish_on_commit(group: str, event_type: str, payload: dict[str, Any]) -> None:
    """Send `payload` to every websocket in `group` once the current transaction commits."""
    transaction.on_commit(lambda: publish_now(group, event_type, payload))


def enqueue_on_commit(task: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
    """Queue a Huey task after commit, so the worker never sees uncommitted rows."""
    transaction.on_commit(lambda: task(*args, **kwargs))
