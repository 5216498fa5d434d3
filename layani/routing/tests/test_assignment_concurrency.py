"""Assignments at the same instant never give an agent more than their capacity
(PostgreSQL), even when the agents belong to two teams assigning at once.

Each worker thread has its own database connection and routes its share of the
conversations as fast as it can.
"""

import threading
from collections import Counter

import pytest
from django.conf import settings
from django.db import connection, connections

from layani.conversations.models import ACTIVE_STATUSES, Conversation, EventKind, TimelineEvent
from layani.routing.auto_assign import route_conversation
from layani.routing.tests.assignment_world import in_team, make_agent, make_team, write_in

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not settings.IS_POSTGRES,
        reason="row-lock concurrency is PostgreSQL's; CI runs this file on PostgreSQL",
    ),
]

AGENTS = 8
CHATS_EACH = 2
CONVERSATIONS = 60
WORKERS = 12


def test_concurrent_assignment_through_two_teams_never_overfills_an_agent():
    chat = make_team("Chat", mode="least_loaded")
    complaints = make_team("Keluhan", mode="round_robin")
    agents = [make_agent(chat, f"Agen {n}", capacity={"chat": CHATS_EACH}) for n in range(AGENTS)]
    for agent in agents:
        agent.teams.add(complaints)
    conversations = [
        in_team(write_in(), chat if n % 2 else complaints) for n in range(CONVERSATIONS)
    ]
    shares = [conversations[i::WORKERS] for i in range(WORKERS)]
    outcomes: list[str] = []
    errors: list[BaseException] = []
    start = threading.Barrier(WORKERS)
    lock = threading.Lock()

    def work(share):
        try:
            start.wait()
            for conversation in share:
                result = route_conversation(conversation)
                with lock:
                    outcomes.append(result.outcome)
        except BaseException as error:
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=(share,)) for share in shares]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)

    assert not errors, errors[:3]
    assert len(outcomes) == CONVERSATIONS
    load = Counter(
        Conversation.objects.filter(assignee__isnull=False, status__in=ACTIVE_STATUSES).values_list(
            "assignee_id", flat=True
        )
    )
    assert max(load.values()) <= CHATS_EACH
    # Every slot was filled, and nobody else got anything.
    assert sum(load.values()) == AGENTS * CHATS_EACH
    assert Counter(outcomes) == {
        "assigned": AGENTS * CHATS_EACH,
        "queued": CONVERSATIONS - AGENTS * CHATS_EACH,
    }
    # One assignment row per assigned conversation: nothing was assigned twice.
    assigned_rows = TimelineEvent.objects.filter(
        kind=EventKind.AUTO_ASSIGNED, details__routing__outcome="assigned"
    ).values_list("conversation_id", flat=True)
    assert sorted(Counter(assigned_rows).values()) == [1] * (AGENTS * CHATS_EACH)
    assert connection.vendor == "postgresql"
