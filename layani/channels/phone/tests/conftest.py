import json
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from layani.channels.models import ChannelAccount
from layani.channels.phone.models import AgentExtension
from layani.customers.actions import CustomerDetails, create_customer
from layani.customers.models import Customer

TOKEN = "pbx-token-123"


@pytest.fixture
def cti(transactional_db: Any) -> ChannelAccount:
    return ChannelAccount.objects.create(
        kind="cti", name="PBX Jakarta", key="pbx-jkt", secrets={"token": TOKEN}
    )


@pytest.fixture
def ringing_agent(agent: User) -> User:
    AgentExtension.objects.create(staff=agent.staff, extension="201")
    return agent


@pytest.fixture
def known_customer(transactional_db: Any) -> Customer:
    customer = create_customer(
        CustomerDetails.from_values(
            {"full_name": "Budi Santoso", "status": "customer", "phone": "0812-3456-7890"}
        ),
        actor=None,
    )
    customer.what_matters = "Prefers calls after 10:00; hearing aid, speak slowly"
    customer.save(update_fields=["what_matters"])
    return customer


def call_event(event: str, call_id: str = "c-1", **extra: Any) -> dict[str, Any]:
    return {
        "event": event,
        "call_id": call_id,
        "direction": "inbound",
        "caller": "+6281234567890",
        "callee": "+62215550100",
        "extension": "201",
        **extra,
    }


@pytest.fixture
def post_cti() -> Callable[..., Any]:
    def post(payload: dict[str, Any], *, token: str = TOKEN, header: str = "bearer") -> Any:
        headers = (
            {"Authorization": f"Bearer {token}"}
            if header == "bearer"
            else {"X-Layani-Token": token}
        )
        return Client().post(
            "/channels/cti/pbx-jkt/",
            data=json.dumps(payload),
            content_type="application/json",
            headers=headers,
        )

    return post
