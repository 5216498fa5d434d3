from typing import Any

import pytest

from layani.channels.models import ChannelAccount

SITE = "https://toko.example"


@pytest.fixture
def chat_account(transactional_db: Any) -> ChannelAccount:
    from layani.channels.registry import load_adapters

    load_adapters()
    return ChannelAccount.objects.create(
        kind="webchat",
        name="Toko Sejahtera",
        key="toko-chat",
        settings={"allowed_origins": [SITE]},
    )


@pytest.fixture
def team_x(transactional_db: Any) -> Any:
    from layani.staff.models import Team

    return Team.objects.create(name="Layanan online")


@pytest.fixture(autouse=True)
def _channel_layer_of_this_test() -> Any:
    """On Redis, a layer instance keeps locks bound to the event loop that first used it;
    each test here runs its own loop (async_to_sync, or the ASGI server's): give it a fresh
    instance. The in-memory layer keeps its groups in the instance and stays shared."""
    from channels.layers import DEFAULT_CHANNEL_LAYER, InMemoryChannelLayer, channel_layers

    previous = channel_layers.backends.get(DEFAULT_CHANNEL_LAYER)
    if isinstance(channel_layers[DEFAULT_CHANNEL_LAYER], InMemoryChannelLayer):
        yield
        return
    channel_layers.backends[DEFAULT_CHANNEL_LAYER] = channel_layers.make_backend(
        DEFAULT_CHANNEL_LAYER
    )
    yield
    if previous is not None:
        channel_layers.backends[DEFAULT_CHANNEL_LAYER] = previous
