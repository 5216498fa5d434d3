from collections.abc import Callable
from typing import Any

import pytest

from layani.branches.models import Counter, Service
from layani.core.choices import Purpose
from layani.staff.models import Role, SkillKind, StaffSkill


@pytest.fixture
def complaint_service(branch) -> Service:
    svc = Service.objects.create(
        purpose=Purpose.COMPLAINT,
        code="keluhan",
        name_id="Keluhan",
        name_en="Complaint",
        ticket_prefix="C",
    )
    branch.services.add(svc)
    return svc


@pytest.fixture
def clerk_at(make_person: Callable[..., Any], branch) -> Callable[..., Any]:
    """clerk_at(number, services=[...]) -> (user, counter): a skilled clerk at an open counter."""
    from layani.branches.actions import open_counter

    def make(number: int, services: list[Service], *, level: int = 3) -> tuple[Any, Counter]:
        user = make_person(Role.BRANCH_STAFF, branches=[branch], name=f"Petugas {number}")
        for svc in services:
            StaffSkill.objects.create(
                staff=user.staff, kind=SkillKind.SERVICE, value=svc.code, level=level
            )
        counter = Counter.objects.create(branch=branch, number=number, name=f"Loket {number}")
        open_counter(counter, actor=user)
        counter.refresh_from_db()
        return user, counter

    return make
