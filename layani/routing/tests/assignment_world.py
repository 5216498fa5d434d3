"""Building blocks of the assignment tests: teams, agents with status, skills and capacity,
customers writing in, and the open work someone holds."""

import itertools
from typing import Any

from django.contrib.auth.models import User

from layani.conversations.actions import assign, receive_inbound_message
from layani.conversations.models import ACTIVE_STATUSES, Conversation
from layani.customers.actions import CustomerDetails, create_customer
from layani.routing.models import AgentPresence, AgentStatus, TeamAssignment
from layani.staff.models import Role, Staff, StaffSkill, Team

_numbers = itertools.count(1)


def make_team(name: str, **settings: Any) -> Team:
    team = Team.objects.create(name=name)
    if settings:
        TeamAssignment.objects.create(team=team, **settings)
    return team


def make_agent(
    team: Team | None,
    name: str,
    *,
    status: str = AgentStatus.ONLINE,
    capacity: dict[str, int] | None = None,
    skills: dict[tuple[str, str], int] | None = None,
    role: str = Role.AGENT,
) -> Staff:
    n = next(_numbers)
    user = User.objects.create_user(username=f"{name.split()[0].lower()}{n}", password="x")
    staff = Staff.objects.create(
        user=user,
        role=role,
        display_name=name,
        capacity=capacity or {"phone": 1, "chat": 3, "email": 10},
    )
    if team is not None:
        staff.teams.add(team)
    for (kind, value), level in (skills or {}).items():
        StaffSkill.objects.create(staff=staff, kind=kind, value=value, level=level)
    AgentPresence.objects.create(staff=staff, status=status)
    return staff


def make_customer(name: str = "Wulan Sari", **values: Any) -> Any:
    n = next(_numbers)
    customer = create_customer(
        CustomerDetails.from_values({"full_name": name, "phone": f"0812{n:08d}"}), actor=None
    )
    if values:
        for key, value in values.items():
            setattr(customer, key, value)
        customer.save()
    return customer


def write_in(
    customer: Any = None, *, channel: str = "whatsapp", text: str = "Halo", **values: Any
) -> Conversation:
    """A customer's message that starts a new conversation."""
    customer = customer or make_customer(f"Pelanggan {next(_numbers)}")
    return receive_inbound_message(
        customer=customer, channel=channel, body_text=text, actor=None, **values
    ).conversation


def in_team(conversation: Conversation, team: Team) -> Conversation:
    assign(conversation, team=team, actor=None)
    return conversation


def open_work(staff: Staff) -> int:
    return Conversation.objects.filter(assignee=staff, status__in=ACTIVE_STATUSES).count()
