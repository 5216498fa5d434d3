"""`layani seed`: the demo business and the benchmark volume mode."""

import re
from collections.abc import Iterator
from io import StringIO
from typing import Any
from zoneinfo import ZoneInfo

import phonenumbers
import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.db import transaction
from django.db.models import Count, Max
from django.utils import timezone

from layani.branches.models import (
    Branch,
    Service,
    TicketSequence,
    Visit,
    VisitStatus,
    WaitEstimate,
)
from layani.conversations.canned import render_canned_reply
from layani.conversations.models import (
    CannedReply,
    Conversation,
    ConversationRead,
    EventKind,
    Message,
    TimelineEvent,
)
from layani.conversations.queries import canned_replies_for, inbox, scope_of
from layani.core.choices import Purpose
from layani.customers.identities import normalise_name
from layani.customers.models import Customer, CustomerIdentity, IdentityKind
from layani.demo import catalogue
from layani.demo.logins import DEMO_LOGINS, DEMO_PASSWORD
from layani.demo.tests.lifecycle_checks import assert_lifecycle_consistent
from layani.search.models import SearchDocument
from layani.search.queries import search_conversations
from layani.staff.models import Staff


def _seed(**options: Any) -> str:
    out = StringIO()
    call_command("seed", stdout=out, stderr=StringIO(), **options)
    return out.getvalue()


@pytest.fixture(scope="class")
def demo(django_db_setup: Any, django_db_blocker: Any) -> Iterator[str]:
    """The demo business, loaded once for the class and rolled back after it."""
    with django_db_blocker.unblock(), transaction.atomic():
        output = _seed()
        yield output
        transaction.set_rollback(True)


pytestmark = pytest.mark.django_db


class TestDemoBusiness:
    """`layani seed` on an empty database: the demo bank with its history."""

    def test_demo_logins_have_their_roles(self, demo: str) -> None:
        expected_branches = {
            "supervisor": {"Jakarta Pusat", "Bandung"},
            "cabang": {"Jakarta Pusat"},
            "kiosk": {"Jakarta Pusat"},
        }
        hashes = set()
        for username, role, _description in DEMO_LOGINS:
            staff = Staff.objects.select_related("user").get(user__username=username)
            assert staff.role == role
            assert set(staff.branches.values_list("name", flat=True)) == expected_branches.get(
                username, set()
            )
            hashes.add(staff.user.password)
        assert [u for u, _r, _d in DEMO_LOGINS] == [
            "admin",
            "supervisor",
            "agent",
            "cabang",
            "kiosk",
        ]
        admin = User.objects.get(username="admin")
        assert admin.is_staff and admin.is_superuser
        assert admin.check_password(DEMO_PASSWORD)
        assert len(hashes) == 1  # one password for all five

    def test_branches_span_wib_and_wita_with_opening_hours(self, demo: str) -> None:
        branches = Branch.objects.all()
        assert branches.count() >= 3
        assert {"Asia/Jakarta", "Asia/Makassar"} <= set(branches.values_list("timezone", flat=True))
        for branch in branches:
            assert branch.address
            assert branch.opening_hours.filter(weekday=0).exists()
            assert branch.opening_hours.filter(weekday=4).count() == 2  # Friday prayers
            assert not branch.opening_hours.filter(weekday=6).exists()

    def test_services_cover_every_purpose_and_every_branch_offers_them(self, demo: str) -> None:
        assert set(Service.objects.values_list("purpose", flat=True)) == set(Purpose.values)
        prefixes = list(Service.objects.values_list("ticket_prefix", flat=True))
        assert len(prefixes) == len(set(prefixes))
        for branch in Branch.objects.all():
            assert branch.services.count() == Service.objects.count()

    def test_staff_roster_with_skills(self, demo: str) -> None:
        assert Staff.objects.count() >= 20
        assert Staff.objects.filter(skills__isnull=False).distinct().count() >= 20
        assert Staff.objects.filter(teams__isnull=False).distinct().count() >= 15

    def test_customers_are_indonesian_with_valid_contacts(self, demo: str) -> None:
        assert Customer.objects.count() >= 2000
        for name, search_name in Customer.objects.values_list("full_name", "search_name"):
            assert search_name == normalise_name(name)
        phones = CustomerIdentity.objects.filter(
            kind__in=[IdentityKind.PHONE, IdentityKind.WHATSAPP]
        )
        assert phones.filter(kind=IdentityKind.PHONE).count() >= 1900
        for value in phones.values_list("value", flat=True):
            number = phonenumbers.parse(value)
            assert phonenumbers.is_valid_number(number), value
            assert phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164) == value
            assert value.startswith("+628")
        for value in CustomerIdentity.objects.filter(kind=IdentityKind.EMAIL).values_list(
            "value", flat=True
        ):
            assert value == value.lower() and "@" in value
        assert Customer.objects.exclude(tier="").filter(member_since__isnull=False).count() > 100
        assert Customer.objects.exclude(what_matters="").count() > 300
        assert Customer.objects.filter(status="prospect").exists()

    def test_every_history_row_is_on_the_timeline(self, demo: str) -> None:
        events = TimelineEvent.objects
        assert events.filter(kind=EventKind.CUSTOMER_CREATED).count() == Customer.objects.count()
        assert events.filter(kind=EventKind.CONVERSATION_CREATED).count() == (
            Conversation.objects.count()
        )
        message_events = events.filter(
            kind__in=[EventKind.MESSAGE_IN, EventKind.MESSAGE_OUT, EventKind.NOTE]
        )
        assert message_events.count() == Message.objects.count()
        visits_with_customer = Visit.objects.filter(customer__isnull=False)
        assert (
            events.filter(kind=EventKind.VISIT_CHECKED_IN).count() == visits_with_customer.count()
        )
        done = visits_with_customer.filter(status=VisitStatus.DONE)
        assert events.filter(kind=EventKind.VISIT_FINISHED).count() == done.count()
        called = Visit.objects.filter(called_at__isnull=False)  # logged even when anonymous
        assert events.filter(kind=EventKind.VISIT_CALLED).count() == called.count()
        branch_events = events.filter(visit__isnull=False)
        assert not branch_events.filter(branch__isnull=True).exists()
        assert set(Conversation.objects.values_list("channel", flat=True)) >= {
            "email",
            "phone",
            "whatsapp",
            "telegram",
            "instagram",
            "webchat",
            "in_person",
        }

    def test_conversations_follow_the_lifecycle_with_live_work(self, demo: str) -> None:
        assert_lifecycle_consistent()
        agent = User.objects.get(username="agent")
        mine = inbox(agent, view="mine").items
        assert mine and all(row.conversation.assignee.user_id == agent.pk for row in mine)
        assert inbox(agent, view="unassigned").items
        assert inbox(agent, view="teams").items
        statuses = set(Conversation.objects.values_list("status", flat=True))
        assert statuses == {"new", "open", "pending", "resolved", "closed"}
        assert Conversation.tags.through.objects.exists()
        assert ConversationRead.objects.exists()
        # As the scripts go: opening and reply, often a note, a follow-up and a closing.
        assert 2.5 <= Message.objects.count() / Conversation.objects.count() <= 4.5

    def test_tag_ids_on_the_rows_match_the_tags_table(self, demo: str) -> None:
        through: dict[int, list[int]] = {}
        for conversation_id, tag_id in Conversation.tags.through.objects.values_list(
            "conversation_id", "tag_id"
        ):
            through.setdefault(conversation_id, []).append(tag_id)
        rows = dict(Conversation.objects.values_list("pk", "tag_ids"))
        assert through
        assert {pk: ids for pk, ids in rows.items() if ids} == {
            pk: sorted(ids) for pk, ids in through.items()
        }

    def test_agents_have_canned_replies_that_fill_in(self, demo: str) -> None:
        agent = User.objects.get(username="agent")
        replies = {r.shortcut: r for r in canned_replies_for(agent)}
        assert {"salam", "cek", "penutup", "hello-en"} <= set(replies)
        conversation = inbox(agent, view="mine").items[0].conversation
        text = render_canned_reply(replies["cek"], conversation, agent=agent.staff)
        assert conversation.reference in text and "{" not in text

    def test_agents_address_customers_by_name_not_title(self, demo: str) -> None:
        """A customer called "Ir. Budi Santoso" is "Pak Budi", never "Pak Ir.", in what
        the demo's agents wrote; no reply title says its language twice ("(English) (EN)")."""
        titled = Customer.objects.filter(full_name__regex=r"^(Dr|Ir|drg)\. ")
        assert Message.objects.filter(conversation__customer__in=titled).exists()
        answers = Message.objects.filter(direction="out").values_list("body_text", flat=True)
        assert not [text for text in answers if re.search(r"\b(Dr|Ir|drg)\.", text)]
        titles = CannedReply.objects.values_list("title", flat=True)
        assert not [t for t in titles if "English" in t or "Indonesia" in t]

    def test_search_index_covers_the_history(self, demo: str) -> None:
        admin = User.objects.get(username="admin")
        hits = search_conversations("saldo terpotong", scope=scope_of(admin)).hits
        assert hits
        expected = Message.objects.count() + Conversation.objects.count()
        expected += Customer.objects.count()
        assert SearchDocument.objects.count() == expected

    def test_visits_have_tickets_of_their_branch_day(self, demo: str) -> None:
        ticket = re.compile(r"^[A-Z]{1,3}\d{3}$")
        for visit in Visit.objects.select_related("branch", "service"):
            assert ticket.match(visit.ticket_number)
            assert (
                visit.ticket_number == f"{visit.service.ticket_prefix}{visit.ticket_sequence:03d}"
            )
            local_day = visit.checked_in_at.astimezone(ZoneInfo(visit.branch.timezone)).date()
            assert visit.service_day == local_day
        last = Visit.objects.values("branch", "service__ticket_prefix", "service_day").annotate(
            last=Max("ticket_sequence"), count=Count("id")
        )
        sequences = {
            (s.branch_id, s.prefix, s.service_day): s.last_value
            for s in TicketSequence.objects.all()
        }
        for row in last:
            assert row["last"] == row["count"]
            key = (row["branch"], row["service__ticket_prefix"], row["service_day"])
            assert sequences[key] == row["last"]
        # Every ticket got a wait estimate at check-in, settled when it was called.
        assert WaitEstimate.objects.count() == Visit.objects.count()
        assert not WaitEstimate.objects.filter(
            visit__called_at__isnull=False, actual_seconds__isnull=True
        ).exists()
        home = Branch.objects.get(code=catalogue.HOME_BRANCH_CODE)
        assert Visit.objects.filter(branch=home, status=VisitStatus.WAITING).count() >= 3

    def test_routing_slas_and_agent_statuses_are_configured(self, demo: str) -> None:
        from layani.routing.models import (
            AgentPresence,
            BusinessCalendar,
            ConversationSla,
            RoutingRule,
            SlaPolicy,
        )
        from layani.routing.sla_queries import sla_badges

        calendars = BusinessCalendar.objects.filter(branch__isnull=False)
        assert calendars.count() == Branch.objects.count()
        assert all(c.use_indonesian_holidays for c in calendars)
        assert BusinessCalendar.objects.filter(is_default=True).count() == 1
        assert SlaPolicy.objects.count() >= 4 and RoutingRule.objects.count() >= 3
        statuses = set(AgentPresence.objects.values_list("status", flat=True))
        assert {"online", "away", "on_break"} <= statuses
        assert AgentPresence.objects.get(staff__user__username="agent").status == "online"
        # Open conversations carry SLA state: the inbox shows coloured badges of each kind.
        open_ones = list(
            Conversation.objects.filter(status__in=["open", "pending"]).select_related("branch")
        )
        assert ConversationSla.objects.filter(conversation__in=open_ones).count() > 50
        colours = {badge.colour for badge in sla_badges(open_ones, now=timezone.now()).values()}
        assert {"ok", "breached"} <= colours
        # Waiting on the customer since their last change: the clock paused then, not at
        # loading time (else every one of them looks late in the inbox).
        pending = ConversationSla.objects.filter(conversation__status="pending").select_related(
            "conversation"
        )
        assert pending.exists()
        for row in pending:
            assert row.paused_since is not None, row.conversation_id
            assert abs(row.paused_since - row.conversation.updated_at).total_seconds() < 1
        # The sweep and auto-assignment ran: breaches escalated, decisions explained.
        events = TimelineEvent.objects
        assert events.filter(kind=EventKind.SLA_BREACHED).exists()
        assert events.filter(kind=EventKind.SLA_ESCALATED).exists()
        reasons = events.filter(kind=EventKind.AUTO_ASSIGNED).values_list("details", flat=True)
        assert any(d["reason"] and d["routing"]["load"] for d in reasons)

    def test_conversations_come_by_a_channel_the_customer_can_be_answered_on(
        self, demo: str
    ) -> None:
        from layani.conversations.recipients import ADDRESSED_CHANNELS
        from layani.customers.models import CustomerIdentity

        kinds: dict[int, set[str]] = {}
        for customer_id, kind in CustomerIdentity.objects.values_list("customer_id", "kind"):
            kinds.setdefault(customer_id, set()).add(kind)
        addressed = Conversation.objects.filter(
            channel__in=list(ADDRESSED_CHANNELS), customer__isnull=False
        ).values_list("pk", "channel", "customer_id")
        assert addressed.filter(channel="email").exists()
        unreachable = [
            (pk, channel)
            for pk, channel, customer_id in addressed
            if not kinds.get(customer_id, set()) & set(ADDRESSED_CHANNELS[channel])
        ]
        assert unreachable == []

    def test_seeding_again_changes_nothing(self, demo: str) -> None:
        before = (Customer.objects.count(), Staff.objects.count(), Visit.objects.count())
        output = _seed()
        assert "already" in output
        assert (Customer.objects.count(), Staff.objects.count(), Visit.objects.count()) == before


def test_volume_mode_writes_exactly_the_asked_counts() -> None:
    output = _seed(customers=300, conversations=700)
    assert "rows/s" in output
    assert Customer.objects.count() == 300
    assert Conversation.objects.count() == 700
    identities = CustomerIdentity.objects.values("kind", "value")
    assert identities.distinct().count() == identities.count()
    assert CustomerIdentity.objects.filter(kind=IdentityKind.PHONE).count() == 300
    per_conversation = Conversation.objects.annotate(n=Count("messages")).values_list(
        "n", flat=True
    )
    assert min(per_conversation) >= 1
    events = TimelineEvent.objects
    assert events.filter(kind=EventKind.CONVERSATION_CREATED).count() == 700
    message_kinds = [EventKind.MESSAGE_IN, EventKind.MESSAGE_OUT, EventKind.NOTE]
    assert events.filter(kind__in=message_kinds).count() == Message.objects.count()
    assert events.filter(kind=EventKind.CUSTOMER_CREATED).count() == 300
    assert not events.filter(conversation__isnull=False, customer__isnull=True).exists()
    # The base business came first, without the demo customers, and the demo logins work.
    assert Staff.objects.filter(user__username="agent").exists()

    _seed(customers=50, conversations=20)  # adding more keeps counts exact and ids unique
    assert Customer.objects.count() == 350
    assert Conversation.objects.count() == 720
    assert identities.distinct().count() == identities.count()
