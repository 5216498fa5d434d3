"""What each role sees first after signing in: where to go next, with today's numbers."""

from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db.models import Count, Q
from django.utils import timezone

from layani.branches.models import Branch, VisitStatus
from layani.branches.queries import branches_for
from layani.conversations.models import ConversationStatus
from layani.conversations.queries import conversations_for
from layani.core.formatting import INDONESIAN_TIMEZONES
from layani.staff.models import Role
from layani.staff.permissions import Capability, can, staff_of

OPEN = [ConversationStatus.NEW, ConversationStatus.OPEN, ConversationStatus.PENDING]


@dataclass
class BranchToday:
    branch: Branch
    waiting: int
    served: int


@dataclass
class Home:
    role: str
    display_name: str
    branches: list[BranchToday] = field(default_factory=list)
    open_conversations: int = 0
    unassigned_conversations: int = 0
    my_conversations: int = 0
    can_search_customers: bool = False
    can_configure: bool = False
    can_serve_visits: bool = False
    can_supervise: bool = False
    is_kiosk: bool = False


def _today_in_each_zone() -> Q:
    """Visits of "today", where today is the local date of each visit's own branch zone."""
    now = timezone.now()
    condition = Q()
    for tz_name, _label in INDONESIAN_TIMEZONES:
        local_day = now.astimezone(ZoneInfo(tz_name)).date()
        condition |= Q(timezone=tz_name, visits__service_day=local_day)
    return condition


def home_for(user: AbstractBaseUser | AnonymousUser) -> Home:
    staff = staff_of(user)
    role = staff.role if staff else (Role.ADMIN if getattr(user, "is_superuser", False) else "")
    home = Home(
        role=role,
        display_name=staff.display_name if staff else user.get_username(),
        can_search_customers=can(user, Capability.VIEW_CUSTOMERS),
        can_configure=can(user, Capability.CONFIGURE),
        can_serve_visits=can(user, Capability.SERVE_VISITS),
        can_supervise=can(user, Capability.SUPERVISE),
        is_kiosk=role == Role.KIOSK,
    )
    today = _today_in_each_zone()
    rows = branches_for(user).annotate(
        waiting=Count("visits", filter=today & Q(visits__status=VisitStatus.WAITING)),
        served=Count("visits", filter=today & Q(visits__status=VisitStatus.DONE)),
    )
    home.branches = [BranchToday(branch=b, waiting=b.waiting, served=b.served) for b in rows]
    if can(user, Capability.VIEW_CONVERSATIONS):
        counts = conversations_for(user).aggregate(
            open=Count("id", filter=Q(status__in=OPEN)),
            unassigned=Count("id", filter=Q(status__in=OPEN, assignee__isnull=True)),
            mine=Count("id", filter=Q(status__in=OPEN, assignee_id=staff.pk if staff else 0)),
        )
        home.open_conversations = counts["open"]
        home.unassigned_conversations = counts["unassigned"]
        home.my_conversations = counts["mine"]
    return home
