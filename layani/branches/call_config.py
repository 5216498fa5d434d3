"""What call-next needs to know about a counter besides the queue, kept in process memory.

A counter's services, its staff member's skill levels and the branch's policy change a few
times a day, but call-next needs them on every call. Loading them costs four queries, so
each process keeps what it loaded per (counter, staff member), stamped with the version of
`QueueConfigStamp`. Call-next reads that version in the same statement that takes its locks;
when the version has moved, the entry is reloaded. Every save or delete of the rows the
configuration is built from moves the version (`connect_invalidation`), whichever path made
it: an action, the admin or a shell. Bulk `.update()` calls bypass that, so entries also
expire after `MAX_AGE_SECONDS` as a safety net.

This is cache invalidation, not business flow, which is why model signals are used here.
"""

from dataclasses import dataclass
from typing import Any

from django.db.models import F
from django.db.models.signals import m2m_changed, post_delete, post_save

from layani.branches.models import Branch, Counter, QueueConfigStamp, QueuePolicy, Service
from layani.core.process_cache import ProcessCache
from layani.routing.queue_policy import PolicyWeights
from layani.staff.models import SkillKind, StaffSkill

MAX_AGE_SECONDS = 300.0


@dataclass(frozen=True)
class CallConfig:
    services: dict[int, str]  # service id -> code, the services this counter calls
    skill_levels: dict[str, int]  # service code -> the staff member's level
    weights: PolicyWeights


_configs: ProcessCache[CallConfig] = ProcessCache(MAX_AGE_SECONDS, max_entries=2048)


def weights_of(policy: QueuePolicy) -> PolicyWeights:
    return PolicyWeights(
        purpose_weights=policy.purpose_weights,
        service_weights=policy.service_weights,
        category_weights=policy.category_weights,
        skill_weight=policy.skill_weight,
        aging_per_minute=policy.aging_per_minute,
        max_wait_minutes=policy.max_wait_minutes,
        ratio_normal=policy.ratio_normal,
        ratio_priority=policy.ratio_priority,
    )


def load_call_config(counter_id: int, branch_id: int, staff_id: int) -> CallConfig:
    """Read the configuration from the database (four queries)."""
    levels = dict(
        StaffSkill.objects.filter(staff_id=staff_id, kind=SkillKind.SERVICE).values_list(
            "value", "level"
        )
    )
    services = dict(
        Counter.services.through.objects.filter(counter_id=counter_id).values_list(
            "service_id", "service__code"
        )
    )
    if not services:
        services = dict(
            Service.objects.filter(
                branches=branch_id, code__in=list(levels), is_active=True
            ).values_list("id", "code")
        )
    policy, _created = QueuePolicy.objects.get_or_create(branch_id=branch_id)
    return CallConfig(services=services, skill_levels=levels, weights=weights_of(policy))


def call_config(counter_id: int, branch_id: int, staff_id: int, version: int) -> CallConfig:
    """The configuration for this counter and staff member at `version`."""
    return _configs.get(
        (counter_id, staff_id),
        lambda: load_call_config(counter_id, branch_id, staff_id),
        version=version,
    )


def serviceable(counter: Counter, staff_id: int) -> tuple[dict[int, str], dict[str, int]]:
    """({service id: code} this counter calls, the staff member's skill level per code)."""
    config = call_config(counter.pk, counter.branch_id, staff_id, current_version())
    return config.services, config.skill_levels


def current_version() -> int:
    stamp = QueueConfigStamp.objects.filter(pk=1).values_list("version", flat=True).first()
    return 0 if stamp is None else stamp


def bump_version() -> None:
    """Make every process reload its call-next configuration on its next call."""
    if not QueueConfigStamp.objects.filter(pk=1).update(version=F("version") + 1):
        QueueConfigStamp.objects.get_or_create(pk=1, defaults={"version": 1})


def forget_all() -> None:
    """Drop this process's entries (tests that change rows with bulk updates)."""
    _configs.clear()


def _changed(**_kwargs: Any) -> None:
    bump_version()


def connect_invalidation() -> None:
    for model in (QueuePolicy, Service, StaffSkill):
        post_save.connect(_changed, sender=model, dispatch_uid=f"call-config-save-{model}")
        post_delete.connect(_changed, sender=model, dispatch_uid=f"call-config-del-{model}")
    for through in (Counter.services.through, Branch.services.through):
        m2m_changed.connect(_changed, sender=through, dispatch_uid=f"call-config-m2m-{through}")
