"""Test-wide fixtures: the database the run is pointed at, and people of each role."""

import os

import pytest

from layani.testing.fixtures import *  # noqa: F403



def pytest_report_header(config: pytest.Config) -> str:
    from django.conf import settings

    engine = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    redis = "redis" if settings.REDIS_URL else "in-memory"
    return f"layani: database={engine} channel-layer/cache/queue={redis} CI={os.environ.get('CI', '')}"
