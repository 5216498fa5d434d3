"""What every websocket consumer of Layani's groups understands.

Besides single `layani.event` messages, a group may receive one `layani.events` message
carrying several events (`core.events.publish_all_now` sends a batch's events for one group
together: one trip to Redis per group instead of one per event). The consumer handles each
event in order as if it had come alone, so browsers see the same frames either way.
"""

from typing import Any


class HearsEventBatches:
    """Mix into a consumer that has `layani_event`."""

    async def layani_event(self, message: dict[str, Any]) -> None:
        raise NotImplementedError

    async def layani_events(self, message: dict[str, Any]) -> None:
        for item in message["events"]:
            await self.layani_event({"type": "layani.event", **item})
