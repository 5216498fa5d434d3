"""Fixtures shared by every app's tests: people of each role, branches and services."""

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import User

from layani.branches.models import Branch, Service
from layani.core.choices import Purpose
from layani.staff.models import Role, Staff

PASSWORD = "rahasia-uji-123"


@pytest.fixture
def branch(db: Any) -> Branch:
    return Branch.objects.create(code="jkt", name="Jakarta Pusat", timezone="Asia/Jakarta")


@pytest.fixture
def other_branch(db: Any) -> Branch:
    return Branch.objects.create(code="mks", name="Makassar", timezone="Asia/Makassar")


@pytest.fixture
def service(branch: Branch) -> Service:
    svc = Service.objects.create(
        purpose=Purpose.ROUTINE,
        code="bayar",
        name_id="Pembayaran",
        name_en="Payment",
        ticket_prefix="B",
    )
    branch.services.add(svc)
    return svc


@pytest.fixture
def make_person(db: Any) -> Callable[..., User]:
    """make_person(role, branches=[...]) -> a signed-up user with a staff profile."""
    counter = {"n": 0}

    def make(role: str, *, branches: list[Branch] | None = None, name: str = "") -> User:
        counter["n"] += 1
        user = User.objects.create_user(
            username=f"{role}{counter['n']}", password=PASSWORD, is_staff=role == Role.ADMIN
        )
        staff = Staff.objects.create(
            user=user, role=role, display_name=name or f"{role.title()} {counter['n']}"
        )
        if branches:
            staff.branches.set(branches)
        return user

    return make


@pytest.fixture
def agent(make_person: Callable[..., User]) -> User:
    return make_person(Role.AGENT, name="Sari Agen")


@pytest.fixture
def admin_user(make_person: Callable[..., User]) -> User:
    return make_person(Role.ADMIN, name="Admin")
