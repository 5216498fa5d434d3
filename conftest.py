"""Test-wide setup: report what the run talks to, and refuse to run against a dead server."""

import os
from collections.abc import Iterator

import pytest

from layani.testing.asgi import *  # noqa: F403
from layani.testing.browser import *  # noqa: F403
from layani.testing.fixtures import *  # noqa: F403
from layani.testing.graph_api import *  # noqa: F403
from layani.testing.mailservers import *  # noqa: F403


def pytest_report_header(config: pytest.Config) -> str:
    from django.conf import settings

    engine = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    redis = "redis" if settings.REDIS_URL else "in-memory"
    return f"layani: database={engine} realtime/cache/queue={redis} CI={os.environ.get('CI', '')}"


def pytest_sessionstart(session: pytest.Session) -> None:
    """A configured PostgreSQL or Redis that cannot be reached fails the run: never a skip."""
    from django.conf import settings

    if settings.REDIS_URL:
        import redis

        try:
            redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=3).ping()
        except redis.RedisError as exc:
            pytest.exit(f"REDIS_URL is set but Redis is unreachable: {exc}", returncode=1)
    if settings.IS_POSTGRES:
        import psycopg

        db = settings.DATABASES["default"]
        try:
            psycopg.connect(
                host=db["HOST"],
                port=db["PORT"] or 5432,
                user=db["USER"],
                password=db["PASSWORD"] or None,
                dbname=db["NAME"],
                connect_timeout=3,
            ).close()
        except psycopg.Error as exc:
            pytest.exit(f"DATABASE_URL is set but PostgreSQL is unreachable: {exc}", returncode=1)


@pytest.fixture(autouse=True)
def _fresh_call_config() -> None:
    """Rolled-back tests reuse primary keys: never let one test see another's cached
    call-next configuration."""
    from layani.branches.call_config import forget_all
    from layani.channels import accounts

    forget_all()
    accounts.forget_all()


@pytest.fixture(autouse=True)
def _own_rate_limits() -> Iterator[None]:
    """Rate-limit counters live in the cache, which outlives a test: each test counts its
    own requests."""
    import uuid

    from django.test import override_settings

    with override_settings(RATELIMIT_CACHE_PREFIX=f"rl:{uuid.uuid4().hex[:12]}:"):
        yield


@pytest.fixture(autouse=True)
def _channel_layer_of_this_test() -> Iterator[None]:
    """On Redis, a layer instance keeps its receive state and locks bound to the event loop
    that first used it; a websocket left receiving by one test's server (a dead loop) then
    breaks the next test's ("Two event loops are trying to receive()"). Each test gets a
    fresh instance. The in-memory layer keeps its groups in the instance and stays shared."""
    from channels.layers import DEFAULT_CHANNEL_LAYER, InMemoryChannelLayer, channel_layers

    if not isinstance(channel_layers[DEFAULT_CHANNEL_LAYER], InMemoryChannelLayer):
        channel_layers.backends[DEFAULT_CHANNEL_LAYER] = channel_layers.make_backend(
            DEFAULT_CHANNEL_LAYER
        )
    yield
