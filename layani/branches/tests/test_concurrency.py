"""Twenty counters calling at the same instant never get the same visitor (PostgreSQL).

Each counter runs in its own thread with its own database connection, calling and
finishing as fast as it can until the queue is empty.
"""

import threading
from collections import Counter as Tally

import pytest
from django.conf import settings
from django.db import connection, connections
from django.utils import timezone

from layani.branches import actions
from layani.branches.models import TicketSequence, Visit, VisitStatus
from layani.core.errors import Conflict

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not settings.IS_POSTGRES,
        reason="row-lock concurrency is PostgreSQL's; CI runs this file on PostgreSQL",
    ),
]

COUNTERS = 20
WAITING = 1000


def fill_queue(branch, services):
    now = timezone.now()
    day = now.date()
    visits = [
        Visit(
            branch=branch,
            service=services[i % len(services)],
            purpose=services[i % len(services)].purpose,
            service_day=day,
            ticket_sequence=i + 1,
            ticket_number=f"{services[i % len(services)].ticket_prefix}{i + 1:04d}",
            checked_in_at=now,
            queue_since=now,
        )
        for i in range(WAITING)
    ]
    Visit.objects.bulk_create(visits, batch_size=500)
    assert not TicketSequence.objects.exists()


def test_twenty_counters_calling_at_once_call_every_visitor_exactly_once(
    branch, service, complaint_service, clerk_at
):
    services = [service, complaint_service]
    fill_queue(branch, services)
    clerks = [clerk_at(n + 1, services) for n in range(COUNTERS)]
    called: list[int] = []
    errors: list[BaseException] = []
    start = threading.Barrier(COUNTERS)
    lock = threading.Lock()

    def work(user, counter):
        try:
            start.wait()
            while True:
                try:
                    visit = actions.call_next(counter, actor=user)
                except Conflict as error:
                    if error.code == "queue_empty":
                        return
                    raise
                with lock:
                    called.append(visit.pk)
                actions.finish_service(visit, outcome_note="", actor=user)
        except BaseException as error:
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=clerk) for clerk in clerks]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not errors, errors[:3]
    duplicates = [pk for pk, n in Tally(called).items() if n > 1]
    assert duplicates == []
    assert len(called) == WAITING
    assert Visit.objects.filter(status=VisitStatus.DONE).count() == WAITING
    # Every counter took part: the lock serialises calls, it does not starve counters.
    per_counter = Tally(
        Visit.objects.filter(status=VisitStatus.DONE).values_list("counter_id", flat=True)
    )
    assert len(per_counter) == COUNTERS
    assert connection.vendor == "postgresql"
