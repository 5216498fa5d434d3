"""Websocket of the branch's TV display: the calls of one branch, nothing personal.

The display joins `display-<branch_id>`, where the counter actions publish each call
(ticket number, counter, recall flag, time; layani.branches.realtime). Only a signed-in
account whose scope holds the branch may listen (a kiosk device, branch staff, supervisor).
"""

from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from layani.core.consumers import HearsEventBatches

# Close codes the display's script understands: sign in again / not this branch.
NOT_SIGNED_IN = 4401
NOT_ALLOWED = 4403


def display_group(branch_id: int) -> str:
    return f"display-{branch_id}"


class DisplayConsumer(HearsEventBatches, AsyncJsonWebsocketConsumer):
    """Forwards `layani.event` messages of one branch's display group to the screen."""

    group: str | None = None

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=NOT_SIGNED_IN)
            return
        branch_id = int(self.scope["url_route"]["kwargs"]["branch_id"])
        if not await database_sync_to_async(self._may_watch)(user, branch_id):
            await self.close(code=NOT_ALLOWED)
            return
        self.group = display_group(branch_id)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()

    @staticmethod
    def _may_watch(user: Any, branch_id: int) -> bool:
        from layani.branches.queries import branches_for

        return branches_for(user).filter(pk=branch_id).exists()

    async def disconnect(self, code: int) -> None:
        if self.group is not None:
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        """The display only listens."""

    async def layani_event(self, message: dict[str, Any]) -> None:
        await self.send_json({"event": message["event"], "payload": message["payload"]})
