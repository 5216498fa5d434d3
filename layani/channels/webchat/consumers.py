"""The visitor's side of a web chat: one websocket per open widget, at `/ws/chat/<key>/`.

Only pages of the account's allowed origins may open it (checked here: the staff sockets'
allowed-hosts check does not apply, a business's site is another host). The widget first
sends `{"type": "hello", "token", "lang"}` (its token from an earlier visit, if any), then
`{"type": "message", "text", "client_id"}`, `{"type": "typing"}` and
`{"type": "identify", "name", "email", "phone"}`; it hears `welcome` (token, history,
whether someone is online), `ack` once a message is stored, `message` (an agent's reply),
`typing`, `availability` and `error` (with the field at fault).
"""

import time
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.utils import translation

from layani.channels.models import ChannelAccount
from layani.channels.webchat import visitors
from layani.channels.webchat.access import origin_allowed
from layani.channels.webchat.availability import agents_online
from layani.channels.webchat.models import WebchatVisitor
from layani.conversations.notify import audience_groups
from layani.core.consumers import HearsEventBatches
from layani.core.errors import InvalidInput
from layani.core.events import publish_now
from layani.routing.agent_status import (
    AGENT_STATUS_EVENT,
    ALL_PRESENCE_GROUP,
    team_presence_group,
)

TYPING_EVENT = "conversation.typing"
TYPING_EVERY = 2.0  # seconds between two typing signals passed on


def _header(scope: dict[str, Any], name: bytes) -> str:
    for key, value in scope.get("headers", []):
        if key == name:
            return str(value.decode("latin-1"))
    return ""


class WebchatConsumer(HearsEventBatches, AsyncJsonWebsocketConsumer):
    account: ChannelAccount
    visitor: WebchatVisitor
    groups_joined: list[str]
    last_typing = 0.0
    language = "id"

    async def connect(self) -> None:
        self.groups_joined = []
        key = self.scope["url_route"]["kwargs"]["key"]
        account = await database_sync_to_async(
            ChannelAccount.objects.filter(kind="webchat", key=key, is_active=True).first
        )()
        if account is None:
            await self.close(code=4404)
            return
        if not origin_allowed(account, _header(self.scope, b"origin")):
            await self.close(code=4403)  # before accept: the handshake is refused (403)
            return
        self.account = account
        await self.accept()
        # The visitor's token comes in the first message ("hello"), never in the address:
        # addresses end up in proxy and server logs.

    async def _hello(self, content: dict[str, Any]) -> None:
        self.language = "en" if content.get("lang") == "en" else "id"
        token = content.get("token")
        welcome = await database_sync_to_async(self._start)(token if isinstance(token, str) else "")
        self.groups_joined.append(self.visitor.group)
        if self.account.team_id is not None:
            self.groups_joined.append(team_presence_group(self.account.team_id))
        else:  # any agent online answers an account without a team (`availability`)
            self.groups_joined.append(ALL_PRESENCE_GROUP)
        for group in self.groups_joined:
            await self.channel_layer.group_add(group, self.channel_name)
        await self.send_json(welcome)

    def _start(self, token: str) -> dict[str, Any]:
        self.visitor, token = visitors.visitor_for(self.account, token)
        return {
            "type": "welcome",
            "token": token,
            "visitor": {
                "name": self.visitor.name,
                "email": self.visitor.email,
                "phone": self.visitor.phone,
            },
            "history": visitors.history(self.visitor),
            "online": agents_online(self.account),
        }

    async def disconnect(self, code: int) -> None:
        for group in self.groups_joined:
            await self.channel_layer.group_discard(group, self.channel_name)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        kind = content.get("type") if isinstance(content, dict) else None
        if not hasattr(self, "visitor"):
            if kind == "hello":
                await self._hello(content)
            else:
                await self.send_json(
                    {"type": "error", "field": "type", "message": "say hello first"}
                )
            return
        with translation.override(self.language):
            await self._receive(kind, content)

    async def _receive(self, kind: Any, content: Any) -> None:
        try:
            if kind == "message":
                stored = await database_sync_to_async(visitors.store_message)(
                    self.visitor, content.get("text"), str(content.get("client_id") or "")
                )
                await self.send_json(
                    {"type": "ack", "client_id": content.get("client_id"), "stored": stored}
                )
            elif kind == "typing":
                if time.monotonic() - self.last_typing >= TYPING_EVERY:
                    self.last_typing = time.monotonic()
                    await database_sync_to_async(self._tell_staff_typing)()
            elif kind == "identify":
                contact = visitors.clean_contact(
                    content.get("name"), content.get("email"), content.get("phone"), required=True
                )
                await database_sync_to_async(visitors.identify)(self.visitor, contact)
                await self.send_json({"type": "identified", "visitor": contact.__dict__})
            else:
                await self.send_json(
                    {"type": "error", "field": "type", "message": "unknown message type"}
                )
        except InvalidInput as exc:
            await self.send_json({"type": "error", "field": exc.field, "message": exc.message})

    def _tell_staff_typing(self) -> None:
        conversation = visitors.latest_conversation(self.visitor)
        if conversation is None:
            return
        payload = {"conversation": conversation.pk, "who": "customer"}
        for group in audience_groups(
            assignee_id=conversation.assignee_id,
            team_id=conversation.team_id,
            branch_id=conversation.branch_id,
        ):
            publish_now(group, TYPING_EVENT, payload)

    async def layani_event(self, message: dict[str, Any]) -> None:
        event, payload = message["event"], message["payload"]
        if event == "message":
            await self.send_json({"type": "message", **payload})
        elif event == "typing":
            await self.send_json({"type": "typing", "from": "agent"})
        elif event == AGENT_STATUS_EVENT:
            online = await database_sync_to_async(agents_online)(self.account)
            await self.send_json({"type": "availability", "online": online})
