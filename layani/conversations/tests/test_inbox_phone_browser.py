"""The inbox on a phone (390 x 844) in real headless Chromium: every part of a row is
readable on its own (nothing drawn over anything else, the subject not cut to a letter, the
assignee not one word per line), and the header's own status select stays its own size.

Set LAYANI_SCREENSHOT_DIR to keep screenshots.
"""

from datetime import timedelta
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from layani.conversations.actions import assign, change_tags, receive_inbound_message
from layani.customers.actions import CustomerDetails, create_customer
from layani.staff.models import Role
from layani.testing.browser import (
    DESKTOP,
    PHONE,
    ChromiumSession,
    horizontal_overflow,
    save_screenshot,
    sign_in,
)

ROW_PARTS = (".row-name", ".row-who .badge", ".row-subject", ".row-meta", ".row-assignee")
ROW_PARTS += (".row-tags", ".row-due", ".row-preview")


def _loyal(name: str) -> Any:
    return create_customer(
        CustomerDetails.from_values({"full_name": name, "tier": "gold"}), actor=None
    )


def _busy_rows(team: Any, owner: Any) -> list[Any]:
    """Rows with everything at once: a loyal member's long name, a subject, an SLA target
    days late, a high priority, an assignee with a team, and tags."""
    from layani.routing.models import SlaPolicy

    SlaPolicy.objects.create(name="Standar", first_response_minutes=30)
    received = timezone.now() - timedelta(days=2, hours=3)
    conversations = []
    for name, subject in (
        ("Aurora Syahrini Kuswandari", "Buka rekening untuk usaha"),
        ("Ratna Wijaya", "Kartu ATM tertelan di mesin cabang Sudirman"),
    ):
        conversation = receive_inbound_message(
            customer=_loyal(name),
            channel="email",
            subject=subject,
            body_text="Mohon dibantu secepatnya, terima kasih banyak.",
            priority=3,
            received_at=received,
            actor=None,
        ).conversation
        assign(conversation, team=team, assignee=owner.staff, actor=None)
        change_tags(conversation, add=["vip", "rekening-baru"], actor=None)
        conversations.append(conversation)
    return conversations


_OVERLAPS = """(row, selectors) => {
  const boxes = selectors.map(s => [s, row.querySelector(s)]).filter(([, e]) => e)
    .map(([s, e]) => [s, e.getBoundingClientRect()]);
  const found = [];
  for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) {
    const [a, p] = boxes[i], [b, q] = boxes[j];
    const x = Math.min(p.right, q.right) - Math.max(p.left, q.left);
    const y = Math.min(p.bottom, q.bottom) - Math.max(p.top, q.top);
    if (x > 1 && y > 1) found.push(a + " over " + b);
  }
  return found;
}"""

_LINES = """e => {
  const style = getComputedStyle(e);
  const line = parseFloat(style.lineHeight) || parseFloat(style.fontSize) * 1.2;
  return e.getBoundingClientRect().height / line;
}"""


def _check_rows(page: Any, conversations: list[Any], *, whole_subject: bool) -> None:
    """On a phone the subject is whole (it may take two lines); on a wide screen a long one
    may end in an ellipsis beside the last message, but keeps most of its words."""
    for conversation in conversations:
        row = page.locator(f"#inbox-rows li.inbox-row[data-conversation='{conversation.pk}']")
        assert row.evaluate(_OVERLAPS, list(ROW_PARTS)) == []
        shown = row.locator(".row-subject").evaluate("e => e.clientWidth / e.scrollWidth")
        assert shown >= (1 if whole_subject else 0.6), (
            f"the subject {conversation.subject!r} is cut to {shown:.0%}"
        )
        assert row.locator(".row-assignee").evaluate(_LINES) < 2.5, (
            "the assignee wraps word by word"
        )
        assert row.locator(".row-due").evaluate(_LINES) < 2.5
        # The last message's start is there to read, not squeezed to no height.
        assert row.locator(".row-preview").evaluate(_LINES) >= 0.9, "the preview has no height"


@pytest.mark.browser
def test_inbox_rows_are_readable_on_a_phone(
    chromium: ChromiumSession, live_server: Any, make_person: Any, team_x: Any
) -> None:
    from playwright.sync_api import expect

    supervisor = make_person(Role.SUPERVISOR, name="Dewi Supervisor")
    supervisor.staff.teams.add(team_x)
    owner = make_person(Role.AGENT, name="Bambang Setiawan Wijaya")
    owner.staff.teams.add(team_x)
    conversations = _busy_rows(team_x, owner)  # before the browser starts

    page = chromium.new_page(PHONE, phone=True)
    sign_in(page, live_server.url, supervisor.username)
    page.goto(live_server.url + reverse("inbox:inbox") + "?view=all")
    first = page.locator(f"#inbox-rows li.inbox-row[data-conversation='{conversations[0].pk}']")
    expect(first.locator(".row-sla")).to_be_visible()  # the longest due text there is
    expect(first.locator(".row-who .badge")).to_be_visible()
    save_screenshot(page, "inbox-rows-phone")
    assert horizontal_overflow(page) == 0
    _check_rows(page, conversations, whole_subject=True)
    _check_status_select(page)

    desktop = chromium.new_page(DESKTOP, storage_state=page.context.storage_state())
    desktop.goto(live_server.url + reverse("inbox:inbox") + "?view=all")
    save_screenshot(desktop, "inbox-rows-desktop")
    _check_rows(desktop, conversations, whole_subject=False)
    _check_status_select(desktop)
    desktop.context.close()
    page.context.close()


def _check_status_select(page: Any) -> None:
    """The agent's own status: a label and a select on one line, the select as wide as its
    longest choice, not the page's width."""
    select = page.locator("#presence-status").bounding_box()
    label = page.locator("#presence label").bounding_box()
    assert select is not None and label is not None
    assert select["width"] < 220, f"the status select is {select['width']} px wide"
    label_middle = label["y"] + label["height"] / 2
    assert select["y"] <= label_middle <= select["y"] + select["height"], (
        "the status label and its select are not on one line"
    )
