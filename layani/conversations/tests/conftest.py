"""People, teams and a customer for the conversation tests."""

from collections.abc import Callable
from typing import Any

import pytest

from layani.customers.actions import CustomerDetails, create_customer
from layani.staff.models import Role, Team


@pytest.fixture
def customer(db: Any):
    return create_customer(
        CustomerDetails.from_values(
            {
                "full_name": "Wulan Sari",
                "whatsapp": "081234567890",
                "email": "wulan@contoh.co.id",
            }
        ),
        actor=None,
    )


@pytest.fixture
def other_customer(db: Any):
    return create_customer(
        CustomerDetails.from_values({"full_name": "Joko Susilo", "phone": "085711112222"}),
        actor=None,
    )


@pytest.fixture
def team_x(db: Any) -> Team:
    return Team.objects.create(name="Contact centre")


@pytest.fixture
def team_y(db: Any) -> Team:
    return Team.objects.create(name="Keluhan")


@pytest.fixture
def agent_in(make_person: Callable[..., Any]) -> Callable[..., Any]:
    """agent_in(team, name=...) -> an agent who is a member of `team`."""

    def make(team: Team, *, name: str = "") -> Any:
        user = make_person(Role.AGENT, name=name)
        user.staff.teams.add(team)
        return user

    return make


@pytest.fixture
def agent_x(agent_in, team_x):
    return agent_in(team_x, name="Sari Agen")


@pytest.fixture
def agent_y(agent_in, team_y):
    return agent_in(team_y, name="Yudi Agen")
