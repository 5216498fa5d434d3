"""Which adapter serves which account kind, and who handles a package's own events."""

import importlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from layani.channels.base import Adapter
    from layani.channels.events import CustomEvent
    from layani.channels.models import ChannelAccount, InboundRecord

# Each package registers itself when imported (its module calls `register_adapter`).
ADAPTER_MODULES = (
    "layani.channels.email.adapter",
    "layani.channels.meta.adapter",
    "layani.channels.telegram.adapter",
    "layani.channels.phone.adapter",
    "layani.channels.webchat.adapter",
)

_ADAPTERS: dict[str, "Adapter"] = {}
Handler = Callable[["ChannelAccount", "InboundRecord", "CustomEvent"], None]
_HANDLERS: dict[str, Handler] = {}


def register_adapter(kind: str, adapter: "Adapter") -> None:
    _ADAPTERS[kind] = adapter


def adapter_for(kind: str) -> "Adapter | None":
    return _ADAPTERS.get(kind)


def register_handler(name: str, handler: Handler) -> None:
    _HANDLERS[name] = handler


def handler_for(name: str) -> Handler | None:
    return _HANDLERS.get(name)


def load_adapters() -> None:
    for module in ADAPTER_MODULES:
        importlib.import_module(module)  # a broken or missing adapter fails at start-up
    from layani.channels import sending

    sending.register_senders()


def registered_kinds() -> list[str]:
    return sorted(_ADAPTERS)


def _all() -> dict[str, Any]:  # for tests that swap an adapter in and out
    return _ADAPTERS
