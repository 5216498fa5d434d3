"""CPU per inbound record in the worker and per webhook in the intake, by kind (issue 5).

`bench/channels_bench.py` measures the whole: gunicorn, two workers, PostgreSQL and the
client on two cores. This script measures the parts in one process, so a change's effect
on CPU can be seen without the noise of the rest (the process's own CPU time is counted;
PostgreSQL's and Redis's are not, wall time is shown beside it):

1. first messages: stored webhooks of senders not on file (a customer is created, a
   conversation starts), processed as the queue processes them, then the jobs they queue
   (routing) run;
2. follow-ups: the same senders writing again into their active conversations;
3. through the queue: stored follow-ups rung as the intake rings them, then the queued jobs
   dequeued from Redis and executed by Huey in this process, as a worker does; all at
   once (a backlog), then in bursts of `--burst` (a stream the worker keeps up with);
4. intake: signed webhooks through the WSGI application the server calls (provider
   webhooks on the lean handler, `channels.webhook_wsgi`) and, taking turns with it,
   through Django's handler with the site's full middleware; the record stored and the
   queue rung; no worker runs.

    .venv/bin/python bench/channels_worker_profile.py [--follow-ups 3000] [--queued 1000]
        [--webhooks 2000] [--burst 10]
        [--profile first|follow|queue|bursts|intake]

The senders are the end-to-end bench's 600 customers (`channels_bench.payload`).

`--profile` prints the functions of that phase with the most cumulative and own time
(cProfile; with `BENCH_PROFILE_OUT=file` the whole profile is also written there). Needs
PostgreSQL (`BENCH_POSTGRES_URL`) and Redis (`BENCH_PROFILE_REDIS_URL`, default database 3,
which is flushed); (re)creates the database `layani_bench_worker_profile`.
"""

import argparse
import cProfile
import hashlib
import io
import os
import pstats
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from channels_bench import APP_SECRET, CUSTOMERS, bench_account, payload, prepare

DB = "layani_bench_worker_profile"
REDIS_URL = os.environ.get("BENCH_PROFILE_REDIS_URL", "redis://127.0.0.1:6379/3")


@contextmanager
def measured(name: str, count: int, profile: bool) -> Iterator[None]:
    profiler = cProfile.Profile(time.process_time) if profile else None  # CPU, not wall
    cpu, wall = time.process_time(), time.perf_counter()
    if profiler is not None:
        profiler.enable()
    yield
    if profiler is not None:
        profiler.disable()
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    print(
        f"{name:<34} {count:>6} in {wall:6.2f} s wall: "
        f"{cpu / count * 1000:6.2f} ms CPU, {wall / count * 1000:6.2f} ms wall each"
    )
    if profiler is not None:
        report(profiler)


def report(profiler: cProfile.Profile) -> None:
    """The functions with the most cumulative and own time; with `BENCH_PROFILE_OUT` the
    whole profile is also written there, for pstats' callers and callees."""
    if out_path := os.environ.get("BENCH_PROFILE_OUT"):
        profiler.dump_stats(out_path)
    for order in ("cumulative", "tottime"):
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats(order).print_stats(45)
        print(out.getvalue())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--follow-ups", type=int, default=3000)
    parser.add_argument("--queued", type=int, default=1000)
    parser.add_argument("--webhooks", type=int, default=2000)
    parser.add_argument("--burst", type=int, default=10, help="records per burst (phase 3b)")
    parser.add_argument("--profile", choices=["first", "follow", "queue", "bursts", "intake"])
    args = parser.parse_args()
    prepare(Path(tempfile.mkdtemp(prefix="layani-bench-profile-")), DB, REDIS_URL)

    import django

    django.setup()
    from huey.contrib.djhuey import HUEY

    from layani.channels.models import InboundRecord, InboundStatus

    account = bench_account()

    def stored(batch: str, numbers: range) -> list[int]:
        from django.utils import timezone

        records = InboundRecord.objects.bulk_create(
            InboundRecord(
                account=account,
                idempotency_key=hashlib.sha256(body).hexdigest(),
                received_at=timezone.now(),
                headers={},
                body=body,
                status=InboundStatus.RECEIVED,
            )
            for body in (payload(n, batch) for n in numbers)
        )
        return [record.pk for record in records]

    def as_the_queue(ids: list[int], work: Callable[[int], object]) -> None:
        for record_id in ids:
            work(record_id)
        left = InboundRecord.objects.filter(pk__in=ids, status=InboundStatus.RECEIVED).count()
        assert left == 0, f"{left} records left waiting"

    def run_queue() -> int:
        """What a worker does: dequeue each job and execute it, until none is left."""
        jobs = 0
        while (task := HUEY.dequeue()) is not None:
            HUEY.execute(task)
            jobs += 1
        return jobs

    from layani.channels import batch

    HUEY.immediate = False
    HUEY.flush()
    ids = stored("first", range(CUSTOMERS))
    with measured("first messages (new customers)", len(ids), args.profile == "first"):
        as_the_queue(ids, batch.process_batch)
        jobs = run_queue()
    print(f"{'':<34} {jobs:>6} jobs they queued ran (routing)")
    ids = stored("follow", range(args.follow_ups))
    with measured("follow-ups", len(ids), args.profile == "follow"):
        as_the_queue(ids, batch.process_batch)
        run_queue()

    from layani.channels.intake import ring

    ids = stored("queued", range(args.queued))
    with measured("follow-ups through the queue", len(ids), args.profile == "queue"):
        for record_id in ids:  # each stored record rings, as the intake does
            ring(record_id)
        jobs = run_queue()
        left = InboundRecord.objects.filter(pk__in=ids, status=InboundStatus.RECEIVED).count()
        assert left == 0, f"{left} records left waiting"
    print(f"{'':<34} {jobs:>6} queued jobs ran")

    # A stream the worker keeps up with: each burst is stored, rung and drained before the
    # next; only ringing and draining are counted (a worker's dequeue waits up to a second
    # for the next job when the queue is empty, so wall time means nothing here).
    burst, jobs, cpu = args.burst, 0, 0.0
    # CPU time, not wall: a worker waiting on the queue or the database costs nothing.
    profiler = cProfile.Profile(time.process_time) if args.profile == "bursts" else None
    for start in range(0, args.queued, burst):
        ids = stored("bursts", range(start, min(start + burst, args.queued)))
        started = time.process_time()
        if profiler is not None:
            profiler.enable()
        for record_id in ids:
            ring(record_id)
        jobs += run_queue()
        if profiler is not None:
            profiler.disable()
        cpu += time.process_time() - started
    left = InboundRecord.objects.filter(status=InboundStatus.RECEIVED).count()
    assert left == 0, f"{left} records left waiting"
    print(
        f"{f'... in bursts of {burst}':<34} {args.queued:>6}: "
        f"{cpu / args.queued * 1000:6.2f} ms CPU each; {jobs} queued jobs ran"
    )
    if profiler is not None:
        report(profiler)

    from django.core.handlers.wsgi import WSGIHandler
    from django.test.client import RequestFactory

    from layani.channels.meta.adapter import signature_of
    from layani.config.wsgi import application

    factory = RequestFactory(HTTP_HOST="127.0.0.1")
    path = f"/channels/whatsapp/{account.key}/"

    def environs(batch: str) -> list[dict[str, object]]:
        return [
            factory.post(
                path,
                body,
                content_type="application/json",
                headers={"X-Hub-Signature-256": signature_of(APP_SECRET, body)},
            ).environ
            for body in (payload(n, batch) for n in range(args.webhooks))
        ]

    statuses: list[str] = []

    def start_response(status: str, headers: list[tuple[str, str]]) -> None:
        statuses.append(status)

    def serve(handler: Callable[..., Iterable[bytes]], requests: list[dict[str, object]]) -> None:
        for environ in requests:
            for _chunk in handler(environ, start_response):
                pass

    handlers = {"full": WSGIHandler(), "lean": application}
    requests = {name: environs(f"intake-{name}") for name in handlers}
    for name, handler in handlers.items():  # warm up: imports, the kept account
        serve(handler, requests[name][:50])
    # The two take turns, 100 requests each, so a change of the machine's speed (its cores
    # are shared) falls on both alike.
    cpu = dict.fromkeys(handlers, 0.0)
    for start in range(50, args.webhooks, 100):
        for name, handler in handlers.items():
            began = time.process_time()
            serve(handler, requests[name][start : start + 100])
            cpu[name] += time.process_time() - began
    count = args.webhooks - 50
    print(
        f"intake requests, {count} each through Django's WSGI handler with the site's "
        f"middleware: {cpu['full'] / count * 1000:.2f} ms CPU each; through the application "
        f"(webhooks on the lean handler): {cpu['lean'] / count * 1000:.2f} ms CPU each"
    )
    if args.profile == "intake":
        with measured("intake through the application", count, True):
            serve(application, environs("intake-profiled")[50:])
    assert all(status.startswith("200") for status in statuses), set(statuses)
    HUEY.flush()


if __name__ == "__main__":
    main()
