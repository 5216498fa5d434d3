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
