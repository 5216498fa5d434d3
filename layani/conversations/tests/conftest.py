"""People, teams and a customer for the conversation tests."""

from collections.abc import Callable
from typing import Any

import pytest

from layani.conversations.actions import add_note, assign, change_status, reply
from layani.conversations.models import ConversationStatus
from layani.conversations.tests.pages import write
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


@pytest.fixture
def sari(agent_x):
    """Sari, an agent of the contact centre team (team X)."""
    return agent_x


@pytest.fixture
def signed_in(client, sari):
    client.force_login(sari)
    return client


@pytest.fixture
def story(sari, customer, team_x, django_capture_on_commit_callbacks):
    """A WhatsApp conversation with a message, a reply, a note, an assignment and a status."""
    conversation = write(customer, "Saldo saya terpotong dua kali")
    assign(conversation, team=team_x, actor=None)
    with django_capture_on_commit_callbacks(execute=True):  # the outbox sends it
        reply(conversation, body_text="Baik Ibu, kami cek dulu ya.", actor=sari)
    add_note(conversation, body_text="Cek mutasi di core banking", actor=sari)
    change_status(conversation, status=ConversationStatus.PENDING, actor=sari)
    write(customer, "Sudah saya kirim bukti transfernya")
    conversation.refresh_from_db()
    return conversation
