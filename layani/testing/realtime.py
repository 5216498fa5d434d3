"""Listening to a realtime group the way a browser's websocket would, for tests."""

import asyncio
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer


class GroupListener:
    """Joins `group` on the configured channel layer (in-memory or Redis) and reads from it."""

    def __init__(self, group: str):
        self.layer = get_channel_layer()
        self.channel = async_to_sync(self.layer.new_channel)()
        async_to_sync(self.layer.group_add)(group, self.channel)

    def receive(self, timeout: float = 1.0) -> dict[str, Any] | None:
        async def read() -> dict[str, Any] | None:
            try:
                return await asyncio.wait_for(self.layer.receive(self.channel), timeout)
            except TimeoutError:
                return None

        return async_to_sync(read)()

    def events(self, timeout: float = 0.3) -> list[str]:
        """Every event type waiting for this listener."""
        found = []
        while (message := self.receive(timeout)) is not None:
            found.append(message["event"])
        return found
