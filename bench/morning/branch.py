"""The branch of the morning, written through the ORM before the server starts: services,
opening hours, queue policy, clerks at counters, supervisor, kiosk, known customers and
yesterday's visits."""

import random
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from .scenario import CLERKS, FIRST, LAST, SERVICES, mobile, service_seconds

PASSWORD = "pagi-sibuk-" + secrets.token_hex(4)


def branch_zone() -> str:
    """An Indonesian zone where the next hours stay inside today (no service-day change)."""
    now = datetime.now(ZoneInfo("UTC"))
    for zone in ("Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura"):
        local = now.astimezone(ZoneInfo(zone))
        if 1 <= local.hour < 22:
            return zone
    return "Asia/Jakarta"


@dataclass
class Accounts:
    branch_id: int
    services: dict[str, int]  # code -> id
    counters: list[int]
    clerks: list[tuple[str, str]]  # (username, token)
    supervisor: tuple[str, str]
    kiosk: tuple[str, str]
    known: list[tuple[str, str]]  # (phone, membership number or "")
    zone: str


def set_up_branch(speed: float, rng: random.Random) -> Accounts:
    from django.contrib.auth.models import User
    from django.utils import timezone

    from layani.branches.models import (
        Branch,
        Counter,
        OpeningHours,
        QueuePolicy,
        Service,
        Visit,
        VisitStatus,
    )
    from layani.customers.actions import CustomerDetails, create_customer
    from layani.staff.models import Role, SkillKind, Staff, StaffSkill
    from layani.staff.tokens import issue_token

    zone = branch_zone()
    branch = Branch.objects.create(
        code="kcp-sudirman",
        name="KCP Jakarta Sudirman",
        timezone=zone,
        address="Jl. Jend. Sudirman Kav. 21",
    )
    local = timezone.now().astimezone(ZoneInfo(zone))
    opens = max(local - timedelta(hours=1), local.replace(hour=0, minute=0, second=0))
    closes = min(local + timedelta(hours=5), local.replace(hour=23, minute=59, second=0))
    OpeningHours.objects.create(
        branch=branch,
        weekday=local.weekday(),
        opens_at=opens.time().replace(second=0, microsecond=0),
        closes_at=closes.time().replace(second=0, microsecond=0),
    )
    services = {}
    for order, spec in enumerate(SERVICES):
        services[spec.code] = Service.objects.create(
            code=spec.code,
            purpose=spec.purpose,
            name_id=spec.name_id,
            name_en=spec.name_en,
            ticket_prefix=spec.prefix,
            default_handling_minutes=spec.minutes,
            sort_order=order,
        )
    branch.services.set(services.values())
    QueuePolicy.objects.create(
        branch=branch,
        purpose_weights={"routine": 0, "complaint": 8, "special_request": 4, "prospect": 3},
        service_weights={"kartu": 2},
        category_weights={
            "elderly": 20,
            "disabled": 20,
            "pregnant": 20,
            "appointment": 30,
            "tier_silver": 2,
            "tier_gold": 5,
            "tier_platinum": 10,
        },
        skill_weight=1.0,
        aging_per_minute=1.0 * speed,
        max_wait_minutes=max(1, round(45 / speed)),
        recall_limit=2,
        near_front_position=3,
    )

    def person(username: str, role: str, name: str) -> tuple[User, str]:
        user = User.objects.create_user(username=username, password=PASSWORD)
        staff = Staff.objects.create(user=user, role=role, display_name=name)
        staff.branches.set([branch])
        return user, issue_token(user, name="busy morning bench").secret

    clerks, counters, staff_rows = [], [], []
    for n, (name, skills) in enumerate(CLERKS, start=1):
        user, token = person(f"loket{n}", Role.BRANCH_STAFF, name)
        StaffSkill.objects.bulk_create(
            StaffSkill(staff=user.staff, kind=SkillKind.SERVICE, value=code, level=level)
            for code, level in skills.items()
        )
        counters.append(Counter.objects.create(branch=branch, number=n, name=f"Loket {n}").pk)
        clerks.append((user.username, token))
        staff_rows.append(user.staff)
    supervisor = person("supervisor", Role.SUPERVISOR, "Sinta Supervisor")
    kiosk = person("kiosk", Role.KIOSK, "Kiosk lobi")

    known = []
    for i in range(150):
        tier = rng.choices(["", "silver", "gold", "platinum"], [70, 15, 10, 5])[0]
        values: dict[str, Any] = {
            "full_name": f"{rng.choice(FIRST)} {rng.choice(LAST)}",
            "phone": mobile(rng),
            "status": "customer",
        }
        if tier:
            values.update(tier=tier, membership_number=f"M-{100000 + i}")
        if rng.random() < 0.2:
            values.update(
                what_matters="Lebih suka dilayani petugas yang sama; minta struk.",
                what_matters_tags=["struk tercetak"],
            )
        customer = create_customer(CustomerDetails.from_values(values), actor=None)
        known.append((customer.identities.get(kind="phone").value, customer.membership_number))

    # Yesterday's history, so the estimator starts from this branch's (compressed) service
    # times rather than the services' default minutes, as a running branch would.
    yesterday = local.date() - timedelta(days=1)
    history = []
    for code, svc in services.items():
        for seq in range(1, 21):
            start = timezone.now() - timedelta(days=1, minutes=300 - seq * 10)
            served = service_seconds(rng, svc.default_handling_minutes) / speed
            clerk = next(
                s for s, (_n, skills) in zip(staff_rows, CLERKS, strict=True) if code in skills
            )
            history.append(
                Visit(
                    branch=branch,
                    service=svc,
                    purpose=svc.purpose,
                    service_day=yesterday,
                    ticket_sequence=seq,
                    ticket_number=f"{svc.ticket_prefix}{seq:03d}",
                    status=VisitStatus.DONE,
                    source="kiosk",
                    served_by=clerk,
                    checked_in_at=start,
                    queue_since=start,
                    called_at=start,
                    serving_started_at=start,
                    finished_at=start + timedelta(seconds=served),
                )
            )
    Visit.objects.bulk_create(history)
    return Accounts(
        branch_id=branch.pk,
        services={c: s.pk for c, s in services.items()},
        counters=counters,
        clerks=clerks,
        supervisor=(supervisor[0].username, supervisor[1]),
        kiosk=(kiosk[0].username, kiosk[1]),
        known=known,
        zone=zone,
    )
