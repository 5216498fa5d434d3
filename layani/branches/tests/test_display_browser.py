"""The TV display in real headless Chromium, live over a websocket served by a real ASGI server.

pytest-django's `live_server` speaks WSGI only, so `asgi_server` runs uvicorn with our ASGI
application in a thread of the test process, against the test database (SQLite or
PostgreSQL) and the configured channel layer (in-memory or Redis). Counter actions that
publish run inside that server's event loop (`asgi_server.run`): the in-memory layer only
reaches consumers on its own loop, and Playwright's loop occupies the test thread.

Set LAYANI_SCREENSHOT_DIR to keep screenshots of the display and the counter page.
"""

import itertools
import statistics
import time
from collections.abc import Callable
from typing import Any, TypeVar

import pytest
from django.db import transaction
from django.urls import reverse

from layani.branches.actions import call_next, check_in_visit, finish_service, open_counter
from layani.branches.models import Branch, Counter, Service
from layani.customers.actions import CustomerDetails, create_customer
from layani.staff.models import Role, StaffSkill
from layani.testing.asgi import AsgiServer
from layani.testing.browser import (
    PHONE,
    ChromiumSession,
    horizontal_overflow,
    save_screenshot,
    sign_in,
)

T = TypeVar("T")

# Static files through Django's ASGI handler (WhiteNoise) stream a file's sync iterator.
pytestmark = pytest.mark.filterwarnings(
    "ignore:StreamingHttpResponse must consume synchronous iterators"
)

TV = {"width": 1920, "height": 1080}
DESKTOP = {"width": 1280, "height": 800}
LATENCY_CALLS = 20
WHAT_MATTERS = "Selalu minta struk tercetak; pendengaran kurang, bicara pelan dan jelas."
NOTE = "Kartu ATM tertelan di mesin cabang ini kemarin sore."


# --- Data (created before the browser starts: see layani.testing.browser) ----------------------


def _clerk(make_person: Callable[..., Any], branch: Branch, service: Service, name: str) -> Any:
    user = make_person(Role.BRANCH_STAFF, branches=[branch], name=name)
    StaffSkill.objects.create(staff=user.staff, kind="service", value=service.code, level=3)
    return user


def _timed_call(counter: Counter, actor: Any) -> tuple[str, float]:
    """call_next; returns the ticket and the wall-clock time its transaction committed."""
    committed: list[float] = []
    with transaction.atomic():
        transaction.on_commit(lambda: committed.append(time.time()))
        visit = call_next(counter, actor=actor)
    return visit.ticket_number, committed[0]


def _open_display(chromium: ChromiumSession, base_url: str, username: str, branch: Branch) -> Any:
    page = chromium.new_page(TV)
    sign_in(page, base_url, username)
    page.goto(base_url + reverse("branch:display", args=[branch.pk]))
    overlay = page.locator("#sound-overlay")
    if overlay.is_visible():  # browsers block sound until a person taps the screen once
        save_screenshot(page, "display-tv-enable-sound")
        page.locator("#enable-sound").click()
    page.wait_for_function("document.body.dataset.sound === 'on'")
    page.wait_for_function("document.body.dataset.connected === 'true'")
    return page


def _announcements(page: Any) -> list[dict[str, Any]]:
    return page.evaluate("window.layaniAnnouncementLog")


@pytest.mark.browser
def test_the_display_shows_each_call_live_and_announces_one_at_a_time(
    chromium: ChromiumSession,
    asgi_server: AsgiServer,
    make_person: Callable[..., Any],
    branch: Branch,
    service: Service,
) -> None:
    first_clerk = _clerk(make_person, branch, service, "Budi")
    second_clerk = _clerk(make_person, branch, service, "Sari")
    kiosk = make_person(Role.KIOSK, branches=[branch])
    loket1 = Counter.objects.create(branch=branch, number=1, name="Loket 1")
    loket3 = Counter.objects.create(branch=branch, number=3, name="Loket 3")
    supervisor = make_person(Role.SUPERVISOR, branches=[branch], name="Sinta")
    customer = create_customer(
        CustomerDetails.from_values(
            {
                "full_name": "Ibu Ratna Wijaya",
                "tier": "gold",
                "membership_number": "M-000123",
                "what_matters": WHAT_MATTERS,
                "what_matters_tags": ["struk tercetak", "bicara pelan"],
            }
        ),
        actor=None,
    )
    check_in_visit(
        branch=branch,
        service=service,
        customer=customer,
        actor=None,
        note=NOTE,
        priority_category="elderly",
    )
    for _ in range(3):
        check_in_visit(branch=branch, service=service, customer=None, actor=None)
    open_counter(loket3, actor=second_clerk)

    display = _open_display(chromium, asgi_server.url, kiosk.username, branch)
    assert display.evaluate("document.body.dataset.lastTicket") is None
    assert display.locator("#now-ticket").text_content() == ""

    # The clerk opens Loket 1 and calls the next visitor from the counter page.
    counter_page = chromium.new_page(DESKTOP)
    sign_in(counter_page, asgi_server.url, first_clerk.username)
    counter_page.goto(asgi_server.url + reverse("branch:counter", args=[branch.pk]))
    counter_page.locator(f"#counter-picker li[data-counter='{loket1.pk}'] button").click()
    counter_page.wait_for_selector("#call-next")
    save_screenshot(counter_page, "counter-desktop-empty")
    counter_page.locator("#call-next").click()
    counter_page.wait_for_selector("#current-visit[data-ticket='B001']")
    assert WHAT_MATTERS in counter_page.locator("#what-matters").text_content()

    display.wait_for_function("document.body.dataset.lastTicket === 'B001'")
    assert display.locator("#now-ticket").text_content() == "B001"
    assert display.locator("#now-counter").text_content() == "Loket 1"
    display.wait_for_function("window.layaniAnnouncements.length >= 1")
    display.wait_for_timeout(300)  # a duplicate would have arrived by now
    assert display.evaluate("window.layaniAnnouncements") == [
        "Nomor antrean be nol nol satu, silakan ke Loket satu"
    ]
    assert display.evaluate("document.body.dataset.callsApplied") == "1"

    # The counter page follows the queue live: a new check-in updates the waiting count.
    assert counter_page.locator("[data-waiting-total]").get_attribute("data-waiting-total") == "3"
    asgi_server.run(
        lambda: check_in_visit(branch=branch, service=service, customer=None, actor=None)
    )
    counter_page.wait_for_selector("[data-waiting-total='4']")
    assert horizontal_overflow(counter_page) == 0
    save_screenshot(counter_page, "counter-desktop-called")

    phone = chromium.new_page(PHONE, phone=True, storage_state=counter_page.context.storage_state())
    phone.goto(asgi_server.url + reverse("branch:counter", args=[branch.pk]))
    phone.wait_for_selector("#current-visit[data-ticket='B001']")
    assert horizontal_overflow(phone) == 0, "the counter page scrolls sideways on a phone"
    ticket = phone.locator("#current-visit").bounding_box()
    assert ticket is not None and ticket["y"] < PHONE["height"] / 2, "the ticket is on top"
    save_screenshot(phone, "counter-phone-called")
    phone.context.close()

    boss = chromium.new_page(DESKTOP)
    sign_in(boss, asgi_server.url, supervisor.username)
    boss.goto(asgi_server.url + reverse("branch:supervisor", args=[branch.pk]))
    boss.wait_for_selector(f"#counter-table tr[data-counter='{loket1.pk}'][data-ticket='B001']")
    assert horizontal_overflow(boss) == 0
    save_screenshot(boss, "supervisor-desktop")
    boss_phone = chromium.new_page(PHONE, phone=True, storage_state=boss.context.storage_state())
    boss_phone.goto(boss.url)
    assert horizontal_overflow(boss_phone) == 0, "the supervisor page scrolls sideways"
    save_screenshot(boss_phone, "supervisor-phone")
    boss_phone.context.close()

    # Two calls in quick succession: both shown at once, announced strictly one after the other.
    asgi_server.run(lambda: finish_service(_visit_at(loket1), outcome_note="", actor=first_clerk))
    asgi_server.run(lambda: call_next(loket1, actor=first_clerk))
    asgi_server.run(lambda: call_next(loket3, actor=second_clerk))
    display.wait_for_function("document.body.dataset.callsApplied === '3'")
    assert display.locator("#now-ticket").text_content() == "B003"
    assert display.locator("#previous-list li").all_text_contents() == [
        "B002Loket 1",
        "B001Loket 1",
    ]
    display.wait_for_function(
        "window.layaniAnnouncementLog.length === 3"
        " && window.layaniAnnouncementLog.every(a => a.end !== null)",
        timeout=60_000,
    )
    log = _announcements(display)
    print("\nannouncements:", [(a["ticket"], round(a["end"] - a["start"])) for a in log])
    assert [a["ticket"] for a in log] == ["B001", "B002", "B003"]
    assert display.evaluate("window.layaniAnnouncements")[1:] == [
        "Nomor antrean be nol nol dua, silakan ke Loket satu",
        "Nomor antrean be nol nol tiga, silakan ke Loket tiga",
    ]
    for before, after in itertools.pairwise(log):
        assert after["start"] >= before["end"], f"announcements overlap: {before} / {after}"
    assert horizontal_overflow(display) == 0
    save_screenshot(display, "display-tv")

    # A call made while the screen is offline shows after it reconnects (not announced late).
    display.evaluate("window.layaniDisplay.pause()")
    display.wait_for_function("document.body.dataset.connected === 'false'")
    asgi_server.run(lambda: finish_service(_visit_at(loket1), outcome_note="", actor=first_clerk))
    asgi_server.run(lambda: call_next(loket1, actor=first_clerk))
    display.evaluate("window.layaniDisplay.resume()")
    display.wait_for_function("document.body.dataset.lastTicket === 'B004'")
    assert display.evaluate("document.body.dataset.callsApplied") == "3"
    assert len(display.evaluate("window.layaniAnnouncements")) == 3
    assert display.locator("#previous-list li").all_text_contents()[0] == "B003Loket 3"
    counter_page.context.close()
    display.context.close()


def _visit_at(counter: Counter) -> Any:
    from layani.branches.models import Visit
    from layani.branches.models.visit import ACTIVE_AT_COUNTER

    return Visit.objects.get(counter=counter, status__in=ACTIVE_AT_COUNTER)


@pytest.mark.browser
def test_display_latency_from_commit_to_screen(
    chromium: ChromiumSession,
    asgi_server: AsgiServer,
    make_person: Callable[..., Any],
    branch: Branch,
    service: Service,
) -> None:
    clerk = _clerk(make_person, branch, service, "Budi")
    kiosk = make_person(Role.KIOSK, branches=[branch])
    counter = Counter.objects.create(branch=branch, number=2, name="Loket 2")
    for _ in range(LATENCY_CALLS):
        check_in_visit(branch=branch, service=service, customer=None, actor=None)
    open_counter(counter, actor=clerk)

    display = _open_display(chromium, asgi_server.url, kiosk.username, branch)
    latencies = []
    for n in range(1, LATENCY_CALLS + 1):
        ticket, committed = asgi_server.run(lambda: _timed_call(counter, clerk))
        display.wait_for_function(f"window.layaniApplied.length >= {n}")
        applied = display.evaluate(f"window.layaniApplied[{n - 1}]")
        assert applied["ticket"] == ticket
        latencies.append(applied["at"] - committed * 1000)
        asgi_server.run(lambda: finish_service(_visit_at(counter), outcome_note="", actor=clerk))
    latencies.sort()
    p50 = statistics.median(latencies)
    p95 = latencies[min(len(latencies) - 1, round(0.95 * (len(latencies) - 1)))]
    print(
        f"\ndisplay latency, commit -> screen, {len(latencies)} calls: "
        f"p50 {p50:.1f} ms, p95 {p95:.1f} ms, max {latencies[-1]:.1f} ms"
    )
    assert display.locator("#now-ticket").text_content() == f"B{LATENCY_CALLS:03d}"
    assert min(latencies) >= -5, "the clocks disagree: the screen applied before the commit"
    assert p95 < 2000, "a call took seconds to reach the display"
    display.context.close()
