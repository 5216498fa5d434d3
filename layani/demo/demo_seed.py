"""`layani seed`: the demo business, Bank Sentosa Nusantara, with four months of history.

The configuration (branches, services, teams, staff) goes through the ORM row by row like
the admin would. The history (customers, conversations, messages, visits and their
timeline) bypasses the actions and is written in batches with `bulk_load.insert_objects`
(COPY on PostgreSQL, executemany on SQLite), because calling the actions per row would
take minutes; the generators write exactly the rows the actions would have written,
timeline events included (see `timeline_entries`). The search index is then built by the
search app's own bulk path, `layani reindex`.
"""

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from io import StringIO

from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from layani.demo import catalogue
from layani.demo.business import Business, create_branches_and_services
from layani.demo.demo_canned import create_canned_replies
from layani.demo.demo_conversations import ConversationGenerator
from layani.demo.demo_customers import CustomerGenerator, Window
from layani.demo.demo_routing import DemoRouting, create_routing_config, run_demo_routing
from layani.demo.demo_visits import VisitGenerator
from layani.demo.staff_roster import Roster, create_roster

DEMO_CUSTOMERS = 2_150
DEMO_CONVERSATIONS = 3_200
HISTORY_DAYS = 120
DEFAULT_SEED = 20_240_817


@dataclass
class DemoCounts:
    customers: int = 0
    conversations: int = 0
    messages: int = 0
    visits: int = 0
    routing: DemoRouting | None = None


def create_base(rng: random.Random) -> tuple[Business, Roster]:
    """Branches, services, teams and staff (with the demo sign-ins), but no customers."""
    with transaction.atomic():
        business = create_branches_and_services()
        roster = create_roster(business, rng)
        create_canned_replies(business)
    return business, roster


def seed_demo_history(
    business: Business,
    roster: Roster,
    rng: random.Random,
    now: datetime | None = None,
    *,
    messages_per_conversation: float | None = None,
) -> DemoCounts:
    now = now or timezone.now()
    window = Window(start=now - timedelta(days=HISTORY_DAYS), now=now)
    counts = DemoCounts()
    with transaction.atomic():
        create_routing_config(business, roster, year=now.year)
    with transaction.atomic():
        customers = CustomerGenerator(rng, window, roster).generate(DEMO_CUSTOMERS)
        counts.customers = len(customers)
    with transaction.atomic():
        conversations = ConversationGenerator(
            rng,
            window,
            business,
            roster,
            customers,
            messages_per_conversation=messages_per_conversation,
        )
        counts.messages = conversations.generate(DEMO_CONVERSATIONS)
        counts.conversations = DEMO_CONVERSATIONS
    with transaction.atomic():
        visits = VisitGenerator(rng, window, business, roster, customers)
        counts.visits = visits.generate_history()
        counts.visits += visits.generate_today(catalogue.HOME_BRANCH_CODE, done=9, waiting=7)
        counts.visits += visits.generate_today(catalogue.SECOND_BRANCH_CODE, done=5, waiting=3)
        visits.save_ticket_sequences()
    with transaction.atomic():
        counts.routing = run_demo_routing(now)
    call_command("reindex", stdout=StringIO())
    return counts
