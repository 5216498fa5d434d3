"""Side effects that run only after the surrounding transaction commits (STYLE rule 2).

A rollback publishes nothing and enqueues nothing.
"""

from collections.abc import Callable
from typing import Any

from asgiref.sync import SyncToAsync, async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

from layani.core.publisher import run_on_publisher


def publish_now(group: str, event_type: str, payload: dict[str, Any]) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    message = {"type": "layani.event", "event": event_type, "payload": payload}
    if _outside_a_server(layer):
        run_on_publisher(layer.group_send(group, message))
    else:
        async_to_sync(layer.group_send)(group, message)


def _outside_a_server(layer: Any) -> bool:
    """A Redis layer, called from plain synchronous code (no event loop behind this thread):
    publish on the process's own loop instead of a new loop per call."""
    if type(layer).__name__ == "InMemoryChannelLayer":
        return False
    return getattr(SyncToAsync.threadlocal, "main_event_loop", None) is None


def publish_on_commit(group: str, event_type: str, payload: dict[str, Any]) -> None:
    """Send `payload` to every websocket in `group` once the current transaction commits."""
    transaction.on_commit(lambda: publish_now(group, event_type, payload))


def enqueue_on_commit(task: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
    """Queue a Huey task after commit, so the worker never sees uncommitted rows."""
    transaction.on_commit(lambda: task(*args, **kwargs))
