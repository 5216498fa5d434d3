"""Websocket entry: a signed-in person joins the groups they are allowed to hear."""

from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.urls import path

from layani.branches.consumers import DisplayConsumer
from layani.core.consumers import HearsEventBatches


class EventsConsumer(HearsEventBatches, AsyncJsonWebsocketConsumer):
    """Pushes `layani.event` messages from the groups of the user's scope to the browser."""

    groups_joined: list[str]

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=4401)
            return
        self.groups_joined = await database_sync_to_async(self._groups_for)(user)
        for group in self.groups_joined:
            await self.channel_layer.group_add(group, self.channel_name)
        await self.accept()

    @staticmethod
    def _groups_for(user: Any) -> list[str]:
        from layani.branches.queries import branches_for
        from layani.conversations.notify import groups_for_scope
        from layani.conversations.queries import scope_of
        from layani.staff.permissions import Capability, can

        groups = [f"user-{user.pk}"]
        groups += [f"branch-{pk}" for pk in branches_for(user).values_list("pk", flat=True)]
        if can(user, Capability.VIEW_CUSTOMERS):
            groups.append("customers")
        # Conversation changes reach only those who may see the conversation.
        groups += groups_for_scope(scope_of(user))
        return groups

    async def disconnect(self, code: int) -> None:
        for group in getattr(self, "groups_joined", []):
            await self.channel_layer.group_discard(group, self.channel_name)

    async def layani_event(self, message: dict[str, Any]) -> None:
        await self.send_json({"event": message["event"], "payload": message["payload"]})


websocket_urlpatterns = [
    path("ws/events/", EventsConsumer.as_asgi()),
    path("ws/display/<int:branch_id>/", DisplayConsumer.as_asgi()),
]
