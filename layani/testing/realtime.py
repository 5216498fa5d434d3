"""Listening to a realtime group the way a browser's websocket would, for tests."""

import asyncio
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import (
    DEFAULT_CHANNEL_LAYER,
    InMemoryChannelLayer,
    channel_layers,
    get_channel_layer,
)


class GroupListener:
    """Joins `group` on the configured channel layer (in-memory or Redis) and reads from it."""

    def __init__(self, group: str):
        layer = get_channel_layer()
        if layer is not None and not isinstance(layer, InMemoryChannelLayer):
            # On Redis, every channel a layer instance makes shares one list in Redis:
            # listeners of earlier tests that were never read to the end would fill it to
            # its capacity and later messages would be dropped. A fresh instance per
            # listener has a list of its own. (The in-memory layer must stay shared: its
            # groups live in the instance.)
            layer = channel_layers.make_backend(DEFAULT_CHANNEL_LAYER)
        self.layer = layer
        self.channel = async_to_sync(self.layer.new_channel)()
        async_to_sync(self.layer.group_add)(group, self.channel)

    def receive(self, timeout: float = 1.0) -> dict[str, Any] | None:
        async def read() -> dict[str, Any] | None:
            try:
                return await asyncio.wait_for(self.layer.receive(self.channel), timeout)
            except TimeoutError:
                return None

        return async_to_sync(read)()

    def messages(self, timeout: float = 0.3) -> list[dict[str, Any]]:
        """Every event waiting for this listener, as a consumer handles them: a
        `layani.events` message is its events one by one (`core.consumers`)."""
        found: list[dict[str, Any]] = []
        while (message := self.receive(timeout)) is not None:
            if message["type"] == "layani.events":
                found += [{"type": "layani.event", **item} for item in message["events"]]
            else:
                found.append(message)
        return found

    def events(self, timeout: float = 0.3) -> list[str]:
        """Every event type waiting for this listener."""
        return [message["event"] for message in self.messages(timeout)]
