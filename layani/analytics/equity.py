"""Equity report: are groups of customers served the way the priority policy intends?

For the conversations created and the walk-ins checked in during [start, end), within what
the reader may see (`conversations_for`, `branch_ids_for`), grouped `by` one of
segment, tier, purpose, channel, branch, tag (conversation tags) or what_matters_tag (the
customer's "what matters" tags; a customer with several tags counts in each):

- conversations: count, median and p90 first-response time (answered ones), SLA compliance
  (met / (met + breached), the same outcome rule as `routing.sla_reports`);
- walk-ins: count, median and p90 wait from joining the queue to being called.

Expected order: the business priority policy (`PriorityPolicy` without a team) gives each
group a weight (segment, tier, purpose and kind-of-work weights; branches and tags get none,
so the policy treats them equally). A group the policy favours should not wait longer.

A group is flagged when it has at least `MIN_SAMPLES` conversations and walk-ins together
(fewer are reported as "too few to judge", never flagged) and any of:

1. `waits_longer`: its p90 first response or p90 walk-in wait is more than `WAIT_TOLERANCE`
   (25 %) above the p90 of the groups the policy ranks at or below it (weight <= its own,
   pooled): the policy says it should not wait longer than them;
2. `less_compliant`: its SLA compliance is more than `COMPLIANCE_TOLERANCE` (10 points)
   below the compliance of those same groups;
3. `waits_far_longer`: whatever its weight, its p90 is more than `RESPECT_FACTOR` (2x) the
   p90 of everyone else: every customer is owed the same basic respect, and the fairness
   bound promises everyone a limit.

Groups are compared with the other groups pooled, not with the total, so a large group that
waits long cannot hide by dragging the total's p90 up with it. With tag groupings a record
with several tags is in several groups; it is compared only with records outside the group.

Fixed queries whatever the volume: one row query per source (conversations, walk-ins), the
policy, and the reader's scope. Medians and p90s need the values, and SQLite has no
percentile function, so rows are read (bounded, the `MAX_ROWS` most recent per source) and
aggregated in Python, the same on both databases; `sampled` tells when the bound was hit.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from layani.analytics.stats import percentile
from layani.branches.models import Visit
from layani.branches.queries import branch_ids_for
from layani.conversations.models import ConversationStatus
from layani.conversations.queries import conversations_for
from layani.core.choices import Channel, Purpose
from layani.core.errors import InvalidInput
from layani.core.types import Actor
from layani.customers.models import Customer, MembershipTier
from layani.routing.assignment import work_kind
from layani.routing.assignment_loading import priority_weights_for
from layani.routing.priority import PriorityWeights
from layani.staff.permissions import Capability, require

Grouping = Literal["segment", "tier", "purpose", "channel", "branch", "tag", "what_matters_tag"]
GROUPINGS: tuple[str, ...] = (
    "segment",
    "tier",
    "purpose",
    "channel",
    "branch",
    "tag",
    "what_matters_tag",
)
MIN_SAMPLES = 20
WAIT_TOLERANCE = 0.25
COMPLIANCE_TOLERANCE = 10.0
RESPECT_FACTOR = 2.0
MAX_ROWS = 100_000
ENDED = (ConversationStatus.RESOLVED, ConversationStatus.CLOSED)
NONE_KEY = ""

SEGMENT_LABELS = {
    "loyal": gettext_lazy("Loyal member"),
    "new": gettext_lazy("New customer"),
    "prospect": gettext_lazy("Prospect"),
    "customer": gettext_lazy("Customer"),
}


@dataclass
class EquityRow:
    key: str
    label: str
    policy_weight: float
    conversations: int = 0
    answered: int = 0
    first_response_median_seconds: float | None = None
    first_response_p90_seconds: float | None = None
    met: int = 0
    breached: int = 0
    visits: int = 0
    called: int = 0
    wait_median_seconds: float | None = None
    wait_p90_seconds: float | None = None
    too_few: bool = False
    flags: list[str] = field(default_factory=list)

    @property
    def compliance_percent(self) -> float | None:
        decided = self.met + self.breached
        return round(100.0 * self.met / decided, 1) if decided else None

    @property
    def flagged(self) -> bool:
        return bool(self.flags)


@dataclass
class EquityReport:
    by: str
    start: datetime
    end: datetime
    rows: list[EquityRow]
    overall: EquityRow
    sampled: bool = False


@dataclass
class _Samples:
    first_responses: list[float] = field(default_factory=list)
    waits: list[float] = field(default_factory=list)
    conversations: int = 0
    met: int = 0
    breached: int = 0
    visits: int = 0


def _segment(status: str | None, tier: str | None, created_at: datetime | None) -> str:
    if status is None or created_at is None:
        return "prospect"  # no customer file: somebody not known yet
    return Customer(status=status, tier=tier or "", created_at=created_at).standing


def _label(by: str, key: str, branch_names: dict[str, str]) -> str:
    if by == "segment":
        return str(SEGMENT_LABELS.get(key, key))
    if by == "tier":
        return str(MembershipTier(key).label) if key in MembershipTier.values else key
    if by == "purpose":
        return str(Purpose(key).label) if key in Purpose.values else key
    if by == "channel":
        return str(Channel(key).label) if key in Channel.values else key
    if by == "branch":
        return branch_names.get(key) or str(_("No branch"))
    return key or str(_("No tag"))


def policy_weight(by: str, key: str, weights: PriorityWeights) -> float:
    """How much the business policy favours this group; 0 where it treats groups equally."""
    if by == "segment":
        return float(weights.segment_weights.get(key, 0.0))
    if by == "tier":
        return float(weights.tier_weights.get(key, 0.0)) if key else 0.0
    if by == "purpose":
        return float(weights.purpose_weights.get(key, 0.0))
    if by == "channel":
        return float(weights.kind_weights.get(work_kind(key), 0.0))
    return 0.0


def _seconds(start: datetime | None, end: datetime | None) -> float | None:
    if start is None or end is None:
        return None
    return max(0.0, (end - start).total_seconds())


def _conversation_rows(
    user: Actor, by: str, start: datetime, end: datetime
) -> list[dict[str, Any]]:
    columns = [
        "pk",
        "created_at",
        "first_response_at",
        "status",
        "sla__pk",
        "sla__first_response_breached_at",
        "sla__resolution_breached_at",
        "sla__next_response_breaches",
    ]
    columns += {
        "segment": ["customer__status", "customer__tier", "customer__created_at"],
        "tier": ["customer__tier"],
        "purpose": ["purpose"],
        "channel": ["channel"],
        "branch": ["branch_id", "branch__name"],
        "tag": ["tags__name"],
        "what_matters_tag": ["customer__what_matters_tags"],
    }[by]
    rows = (
        conversations_for(user)
        .filter(created_at__gte=start, created_at__lt=end)
        .order_by("-created_at", "-pk")
        .values(*columns)[:MAX_ROWS]
    )
    return list(rows)


def _visit_rows(user: Actor, by: str, start: datetime, end: datetime) -> list[dict[str, Any]]:
    if by == "tag":
        return []  # walk-ins carry no conversation tags
    columns = ["queue_since", "called_at"]
    columns += {
        "segment": ["customer__status", "customer__tier", "customer__created_at"],
        "tier": ["customer_tier"],
        "purpose": ["purpose"],
        "channel": [],
        "branch": ["branch_id", "branch__name"],
        "what_matters_tag": ["customer__what_matters_tags"],
    }[by]
    visits = Visit.objects.filter(checked_in_at__gte=start, checked_in_at__lt=end)
    ids = branch_ids_for(user) if user is not None else []
    if ids is not None:
        visits = visits.filter(branch_id__in=ids)
    return list(visits.order_by("-checked_in_at", "-pk").values(*columns)[:MAX_ROWS])


def _keys(by: str, row: dict[str, Any], branch_names: dict[str, str]) -> list[str]:
    """The group(s) a row belongs to."""
    if by == "segment":
        return [
            _segment(row["customer__status"], row["customer__tier"], row["customer__created_at"])
        ]
    if by == "tier":
        value = row.get("customer__tier", row.get("customer_tier"))
        return [value or NONE_KEY]
    if by == "purpose":
        return [row["purpose"] or NONE_KEY]
    if by == "channel":
        return [row.get("channel") or Channel.IN_PERSON.value]
    if by == "branch":
        key = str(row["branch_id"]) if row["branch_id"] is not None else NONE_KEY
        if row["branch__name"]:
            branch_names[key] = row["branch__name"]
        return [key]
    if by == "tag":
        return [row["tags__name"] or NONE_KEY]
    tags = row["customer__what_matters_tags"]
    if isinstance(tags, list) and tags:
        return sorted({str(t) for t in tags if str(t).strip()}) or [NONE_KEY]
    return [NONE_KEY]


def _breached(row: dict[str, Any]) -> bool:
    return bool(
        row["sla__first_response_breached_at"]
        or row["sla__resolution_breached_at"]
        or (row["sla__next_response_breaches"] or 0) > 0
    )


def _add_conversation(samples: _Samples, row: dict[str, Any]) -> None:
    samples.conversations += 1
    waited = _seconds(row["created_at"], row["first_response_at"])
    if waited is not None:
        samples.first_responses.append(waited)
    if row["sla__pk"] is None:
        return
    if _breached(row):
        samples.breached += 1
    elif row["status"] in ENDED:
        samples.met += 1


def _add_visit(samples: _Samples, row: dict[str, Any]) -> None:
    samples.visits += 1
    waited = _seconds(row["queue_since"], row["called_at"])
    if waited is not None:
        samples.waits.append(waited)


def _row(key: str, label: str, weight: float, samples: _Samples) -> EquityRow:
    return EquityRow(
        key=key,
        label=label,
        policy_weight=weight,
        conversations=samples.conversations,
        answered=len(samples.first_responses),
        first_response_median_seconds=percentile(samples.first_responses, 0.5),
        first_response_p90_seconds=percentile(samples.first_responses, 0.9),
        met=samples.met,
        breached=samples.breached,
        visits=samples.visits,
        called=len(samples.waits),
        wait_median_seconds=percentile(samples.waits, 0.5),
        wait_p90_seconds=percentile(samples.waits, 0.9),
        too_few=samples.conversations + samples.visits < MIN_SAMPLES,
    )


def _longer(value: float | None, overall: float | None, factor: float) -> bool:
    return value is not None and overall is not None and value > overall * factor


def flags_for(row: EquityRow, not_favoured: EquityRow, everyone_else: EquityRow) -> list[str]:
    """The documented rule (module docstring); too few samples are never flagged.

    `not_favoured`: the records of the groups the policy ranks at or below this one;
    `everyone_else`: the records of every other group.
    """
    if row.too_few:
        return []
    flags = []
    mine = (row.first_response_p90_seconds, row.wait_p90_seconds)
    far = zip(
        mine,
        (everyone_else.first_response_p90_seconds, everyone_else.wait_p90_seconds),
        strict=True,
    )
    longer = zip(
        mine,
        (not_favoured.first_response_p90_seconds, not_favoured.wait_p90_seconds),
        strict=True,
    )
    if any(_longer(a, b, RESPECT_FACTOR) for a, b in far):
        flags.append("waits_far_longer")
    elif any(_longer(a, b, 1 + WAIT_TOLERANCE) for a, b in longer):
        flags.append("waits_longer")
    compliance, theirs = row.compliance_percent, not_favoured.compliance_percent
    if compliance is not None and theirs is not None and compliance < theirs - COMPLIANCE_TOLERANCE:
        flags.append("less_compliant")
    return flags


@dataclass(frozen=True)
class _Record:
    keys: frozenset[str]
    weight: float  # the highest policy weight among its groups
    row: dict[str, Any]
    is_visit: bool


def _collect(records: Iterable[_Record]) -> _Samples:
    samples = _Samples()
    for record in records:
        (_add_visit if record.is_visit else _add_conversation)(samples, record.row)
    return samples


def _check(by: str, start: datetime, end: datetime) -> None:
    if by not in GROUPINGS:
        raise InvalidInput(
            _("Group by one of: %(choices)s") % {"choices": ", ".join(GROUPINGS)},
            code="invalid_choice",
            field="by",
        )
    if end <= start:
        raise InvalidInput(_("The period must end after it starts."), code="invalid", field="end")


def _sort_key(row: EquityRow) -> tuple[float, str]:
    return (-row.policy_weight, row.label)


def equity_report(user: Actor, *, start: datetime, end: datetime, by: str) -> EquityReport:
    """Waits and SLA compliance per group, the policy's weight for each, and flagged groups."""
    require(user, Capability.SUPERVISE)
    _check(by, start, end)
    conversation_rows = _conversation_rows(user, by, start, end)
    visit_rows = _visit_rows(user, by, start, end)
    weights = priority_weights_for(None)

    branch_names: dict[str, str] = {}
    keys_of: dict[int, set[str]] = defaultdict(set)  # a conversation per tag is one record
    first_row: dict[int, dict[str, Any]] = {}
    for row in conversation_rows:
        keys_of[row["pk"]].update(_keys(by, row, branch_names))
        first_row.setdefault(row["pk"], row)
    raw = [(frozenset(keys_of[pk]), row, False) for pk, row in first_row.items()]
    raw += [(frozenset(_keys(by, row, branch_names)), row, True) for row in visit_rows]
    weight_of = {key: policy_weight(by, key, weights) for keys, _r, _v in raw for key in keys}
    records = [
        _Record(keys, max(weight_of[k] for k in keys), row, is_visit) for keys, row, is_visit in raw
    ]

    groups: dict[str, _Samples] = defaultdict(_Samples)
    for record in records:
        for key in record.keys:
            (_add_visit if record.is_visit else _add_conversation)(groups[key], record.row)
    rows = [
        _row(key, _label(by, key, branch_names), weight_of[key], samples)
        for key, samples in groups.items()
    ]
    for r in rows:
        if r.too_few:
            continue
        others = [record for record in records if r.key not in record.keys]
        not_favoured = [record for record in others if record.weight <= r.policy_weight]
        r.flags = flags_for(
            r, _row("", "", 0.0, _collect(not_favoured)), _row("", "", 0.0, _collect(others))
        )
    return EquityReport(
        by=by,
        start=start,
        end=end,
        rows=sorted(rows, key=_sort_key),
        overall=_row("", str(_("Everyone")), 0.0, _collect(records)),
        sampled=len(conversation_rows) >= MAX_ROWS or len(visit_rows) >= MAX_ROWS,
    )


def flag_label(flag: str) -> str:
    return {
        "waits_longer": _("Waits longer than the policy intends"),
        "waits_far_longer": _("Waits far longer than everyone else"),
        "less_compliant": _("SLA met less often than the policy intends"),
    }.get(flag, flag)


def flag_labels(flags: Iterable[str]) -> list[str]:
    return [flag_label(f) for f in flags]
