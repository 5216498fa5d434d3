"""The three browser windows: the clerk clicking the counter page of Loket 6, the
supervisor page and the TV display; what they record, and screenshots of them."""

import random
import re
import time
from collections import Counter as Tally
from dataclasses import dataclass, field
from typing import Any

from .branch import PASSWORD
from .clients import Call, Morning
from .environment import OUT, ROOT
from .scenario import LATE_SHARE, POLL_SIM, SERVICES, WALK_SIM, service_seconds

TV = {"width": 1920, "height": 1080}
DESK = {"width": 1366, "height": 900}


class BrowserClerk:
    """Loket 6, worked by clicking the counter page: call next, start, finish (and a recall)."""

    def __init__(self, m: Morning, page: Any) -> None:
        self.m = m
        self.page = page
        self.rng = random.Random(m.seed + 200)
        self.counter = m.accounts.counters[5]
        self.state = "idle"
        self.due = 0.0
        self.visit: tuple[int, str] | None = None
        self.code = ""

    def click(self, selector: str) -> tuple[float, float]:
        sent = time.time()
        with self.page.expect_navigation():
            self.page.click(selector)
        return sent, time.time()

    def step(self) -> None:
        if time.time() < self.due:
            return
        page, m = self.page, self.m
        if self.state == "idle":
            total = page.get_attribute("[data-waiting-total]", "data-waiting-total")
            if m.done.is_set() or not total or int(total) == 0:
                self.due = time.time() + POLL_SIM / m.speed
                return
            sent, received = self.click("#call-next")
            current = page.query_selector("#current-visit")
            if current is None:
                problem = page.query_selector("#page-error")
                code = problem.get_attribute("data-code") if problem else "?"
                if code != "queue_empty":
                    m.log.add("unexpected", f"browser call-next: {code}")
                self.due = time.time() + POLL_SIM / m.speed
                return
            vid, ticket = (
                int(current.get_attribute("data-visit")),
                current.get_attribute("data-ticket"),
            )
            m.log.add("calls", Call(vid, ticket, self.counter, "browser", sent, received))
            m.log.add("requests", ("browser-call-next", 200, (received - sent) * 1000))
            self.visit = (vid, ticket)
            self.state = "recall" if self.rng.random() < LATE_SHARE else "called"
            self.due = time.time() + self.rng.uniform(*WALK_SIM) / m.speed
        elif self.state == "recall":
            sent, received = self.click("#recall")
            assert self.visit is not None
            m.log.add("calls", Call(*self.visit, self.counter, "browser", sent, received, True))
            self.state = "called"
            self.due = time.time() + self.rng.uniform(20, 40) / m.speed
        elif self.state == "called":
            self.click("#start-service")
            service = page.text_content("#current-visit .ticket-facts > div:nth-child(2)") or ""
            minutes = next((s.minutes for s in SERVICES if service.startswith(s.name_id)), 2)
            self.state = "serving"
            self.due = time.time() + service_seconds(self.rng, minutes) / m.speed
        elif self.state == "serving":
            page.fill("#id_outcome_note", "Selesai dilayani di Loket 6.")
            self.click("#finish-service")
            assert self.visit is not None
            m.offer_feedback(self.rng, self.visit[0], 0)
            self.visit = None
            self.state = "idle"
            self.due = time.time()

    @property
    def idle(self) -> bool:
        return self.state == "idle"


@dataclass
class Windows:
    supervisor: Any
    counter: Any
    display: Any
    server_errors: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    page_requests: Tally[str] = field(default_factory=Tally)


LINK_LOG = """() => {
  window.benchLinks = [[document.body.dataset.connected, Date.now()]];
  new MutationObserver(() => window.benchLinks.push([document.body.dataset.connected, Date.now()]))
    .observe(document.body, {attributes: true, attributeFilter: ["data-connected"]});
}"""


def open_windows(m: Morning, chromium: Any) -> Windows:
    from layani.testing.browser import sign_in

    base, branch = m.base_url, m.accounts.branch_id
    pages = []
    for username, viewport in (
        (m.accounts.supervisor[0], DESK),
        (m.accounts.clerks[5][0], DESK),
        (m.accounts.kiosk[0], TV),
    ):
        page = chromium.new_page(viewport)
        page.set_default_timeout(30_000)
        sign_in(page, base, username, PASSWORD)
        pages.append(page)
    windows = Windows(*pages)
    for page in pages:
        page.on("response", lambda r, w=windows: _watch_response(w, r))
        page.on(
            "console",
            lambda msg, w=windows: msg.type == "error" and w.console_errors.append(msg.text),
        )
        page.on("pageerror", lambda exc, w=windows: w.console_errors.append(str(exc)))
    windows.supervisor.goto(f"{base}/branch/{branch}/supervisor/")
    windows.counter.goto(f"{base}/branch/{branch}/counter/")
    windows.counter.click(f"#counter-picker li[data-counter='{m.accounts.counters[5]}'] button")
    windows.counter.wait_for_selector("#call-next")
    display = windows.display
    display.goto(f"{base}/branch/{branch}/display/")
    if display.locator("#sound-overlay").is_visible():
        display.locator("#enable-sound").click()
    display.wait_for_function("document.body.dataset.sound === 'on'")
    display.wait_for_function("document.body.dataset.connected === 'true'")
    display.evaluate(LINK_LOG)
    windows.supervisor.wait_for_function("document.body.dataset.live === 'on'")
    return windows


def _watch_response(windows: Windows, response: Any) -> None:
    if response.status >= 500:
        windows.server_errors.append(f"{response.status} {response.url}")
    path = re.sub(r"/\d+/", "/<id>/", "/" + response.url.split("?")[0].split("/", 3)[-1])[1:]
    if "/static/" not in response.url:
        windows.page_requests[path.split("/", 2)[-1] if path.startswith("branch/") else path] += 1


def supervisor_totals(page: Any) -> dict[str, str]:
    return page.evaluate("({...document.getElementById('totals').dataset})")


def screenshots(windows: Windows, label: str, database: str) -> list[str]:
    OUT.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, page, full in (
        ("supervisor", windows.supervisor, True),
        ("counter", windows.counter, True),
        ("display", windows.display, False),
    ):
        path = OUT / f"busy-morning-{database}-{label}-{name}.png"
        page.screenshot(path=str(path), full_page=full)
        paths.append(str(path.relative_to(ROOT)))
    return paths
