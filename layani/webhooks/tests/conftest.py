from collections.abc import Callable, Iterator
from typing import Any

import pytest

from layani.webhooks.actions import IssuedSecret, create_endpoint
from layani.webhooks.tests.receiver import Receiver


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver().start()
    yield server
    server.stop()


@pytest.fixture
def make_endpoint(receiver: Receiver) -> Callable[..., IssuedSecret]:
    """make_endpoint(events=[...], url=..., failure_limit=...) -> the endpoint and its secret."""

    def make(events: list[str] | None = None, **values: Any) -> IssuedSecret:
        values.setdefault("name", "CRM")
        values.setdefault("url", receiver.url)
        return create_endpoint(events=events or ["*"], actor=None, **values)

    return make
