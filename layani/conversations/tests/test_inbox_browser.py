"""The agent workspace in real headless Chromium, live over a websocket served by a real
ASGI server (uvicorn in a thread, see branches/tests/test_display_browser.py).

An agent opens the inbox; a customer writes through WhatsApp (the channel adapters' entry
point, `receive_inbound_message`, run as a request of the server would run it) and the
conversation appears without a reload; the agent opens it with the keyboard, replies, and
the outbox records the reply while the thread shows it sent. Then the same on a phone.

Set LAYANI_SCREENSHOT_DIR to keep screenshots.
"""

from typing import Any

import pytest
from django.urls import reverse

from layani.conversations.actions import assign, receive_inbound_message
from layani.conversations.models import (
    CannedReply,
    Direction,
    Mention,
    OutboxMessage,
    OutboxStatus,
)
from layani.customers.actions import CustomerDetails, create_customer
from layani.testing.asgi import AsgiServer
from layani.testing.browser import (
    PHONE,
    ChromiumSession,
    horizontal_overflow,
    save_screenshot,
    sign_in,
)

pytestmark = pytest.mark.filterwarnings(
    "ignore:StreamingHttpResponse must consume synchronous iterators"
)

DESKTOP = {"width": 1280, "height": 800}
WHAT_MATTERS = "Nasabah prioritas; lebih suka dibalas lewat WhatsApp, jangan ditelepon."
FIRST = "Selamat pagi, kartu ATM saya tertelan di mesin cabang Sudirman."
REPLY = "Selamat pagi Bu Ratna, kartu Ibu sudah kami blokir dan bisa diambil besok di cabang."
AGAIN = "Terima kasih, besok jam berapa saya bisa datang?"


def _customer() -> Any:
    return create_customer(
        CustomerDetails.from_values(
            {
                "full_name": "Ratna Wijaya",
                "tier": "gold",
                "membership_number": "M-000777",
                "whatsapp": "081298765432",
                "email": "ratna@contoh.co.id",
                "what_matters": WHAT_MATTERS,
                "what_matters_tags": ["whatsapp", "prioritas"],
            }
        ),
        actor=None,
    )


def _row(conversation_id: int) -> str:
    return f"#inbox-rows li.inbox-row[data-conversation='{conversation_id}']"


@pytest.mark.browser
def test_a_new_conversation_appears_live_and_the_agent_replies(
    chromium: ChromiumSession,
    asgi_server: AsgiServer,
    agent_x: Any,
    agent_in: Any,
    customer: Any,
    team_x: Any,
    team_y: Any,
) -> None:
    from playwright.sync_api import expect

    # Data first: the browser's event loop then owns this thread (layani.testing.browser).
    ratna = _customer()
    budi = agent_in(team_x, name="Budi Santoso")
    agent_in(team_y, name="Budiman Lain")  # another team's: cannot see the conversation
    canned = CannedReply.objects.create(
        title="Kartu tertelan",
        body="Halo {nama_pelanggan}, untuk tiket {nomor_tiket} kartu Anda kami proses.",
        team=team_x,
    )
    older = receive_inbound_message(
        customer=customer, channel="email", body_text="Mohon info saldo", actor=None
    ).conversation
    assign(older, team=team_x, actor=None)

    page = chromium.new_page(DESKTOP)
    sign_in(page, asgi_server.url, agent_x.username)
    page.goto(asgi_server.url + reverse("inbox:inbox") + "?view=unassigned")
    page.wait_for_function("document.body.dataset.live === 'on'")
    expect(page.locator(_row(older.pk))).to_be_visible()
    page.evaluate("window.layaniNoReload = true")

    arrived = asgi_server.run(
        lambda: (
            receive_inbound_message(
                customer=ratna, channel="whatsapp", body_text=FIRST, actor=None
            ).conversation
        )
    )
    row = page.locator(_row(arrived.pk))
    expect(row).to_be_visible()
    assert page.evaluate("window.layaniNoReload") is True, "the inbox reloaded"
    assert row.get_attribute("data-unread") == "true"
    expect(row.locator(".row-name")).to_have_text("Ratna Wijaya")
    expect(row.locator(".row-subject")).to_contain_text("kartu ATM saya tertelan")
    expect(row.locator(".row-preview")).to_have_count(0)  # the same words, not read twice
    assert page.locator(f"{_row(arrived.pk)} .unread-dot").count() == 1
    assert horizontal_overflow(page) == 0
    save_screenshot(page, "inbox-desktop")

    # Keyboard: ? shows the shortcuts, j walks the rows, Enter opens the selected one.
    page.keyboard.press("?")
    expect(page.locator("#shortcut-help")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.locator("#shortcut-help")).to_be_hidden()
    ids = page.eval_on_selector_all(
        "#inbox-rows li.inbox-row", "rows => rows.map(r => Number(r.dataset.conversation))"
    )
    for _ in range(ids.index(arrived.pk) + 1):
        page.keyboard.press("j")
    expect(row).to_have_class("inbox-row is-unread is-selected")
    with page.expect_navigation():
        page.keyboard.press("Enter")

    assert page.url.endswith(reverse("inbox:conversation", args=[arrived.pk]))
    expect(page.locator("#thread .msg-in .msg-body")).to_contain_text(FIRST)
    pinned = page.locator("#what-matters")
    expect(pinned.locator(".what-matters-text")).to_have_text(WHAT_MATTERS)
    assert pinned.bounding_box()["y"] < DESKTOP["height"] / 2, "what matters is on top"
    expect(page.locator("#compose-channel")).to_have_value("whatsapp")
    # The 24-hour window notice belongs to the channel chosen: none for email.
    window = page.locator("#messaging-window")
    expect(window).to_be_visible()
    expect(window).to_have_attribute("data-open", "true")
    page.select_option("#compose-channel", "email")
    expect(window).to_be_hidden()
    page.select_option("#compose-channel", "whatsapp")
    expect(window).to_be_visible()
    expect(window).to_contain_text("WhatsApp")

    # r: reply; the text goes out through WhatsApp, the outbox records it, the thread shows it.
    page.keyboard.press("r")
    assert page.evaluate("document.activeElement.id") == "compose-body"
    page.keyboard.type(REPLY)
    page.keyboard.press("Control+Enter")
    sent = page.locator("#thread .msg-out").last
    expect(sent.locator(".msg-body")).to_contain_text(REPLY)
    expect(sent).to_have_attribute("data-delivery", "sent")  # pushed back live by the outbox
    expect(page.locator("#compose-body")).to_have_value("")
    # Read the database where the server reads it (the test thread now runs the browser).
    outbox = asgi_server.run(
        lambda: OutboxMessage.objects.select_related("message").get(
            message__conversation=arrived, message__direction=Direction.OUTBOUND
        )
    )
    assert outbox.message.body_text == REPLY
    assert (outbox.channel, outbox.recipient, outbox.body) == ("whatsapp", "+6281298765432", REPLY)
    assert outbox.status == OutboxStatus.SENT
    expect(page.locator("#conversation-controls")).to_have_attribute("data-status", "open")

    # The customer answers: the thread shows it without a reload.
    page.evaluate("window.layaniNoReload = true")
    asgi_server.run(
        lambda: receive_inbound_message(
            customer=ratna, channel="whatsapp", body_text=AGAIN, actor=None
        )
    )
    expect(page.locator("#thread .msg-in").last.locator(".msg-body")).to_contain_text(AGAIN)
    assert page.evaluate("window.layaniNoReload") is True
    # Hand it to the contact centre team, then Esc leaves the reply box (it keeps the focus
    # after sending) and a assigns it to me within the team.
    assert page.evaluate("document.activeElement.id") == "compose-body"
    page.locator("#ctl-assign summary").click()
    page.locator("#assign-to").select_option(f"team-{team_x.pk}")
    page.locator("#ctl-assign button[type=submit]").click()
    controls = page.locator("#conversation-controls")
    expect(controls).to_have_attribute("data-team", str(team_x.pk))
    expect(controls).to_have_attribute("data-assignee", "")
    page.locator("#compose-body").focus()
    page.keyboard.press("Escape")
    page.keyboard.press("a")
    expect(controls).to_have_attribute("data-assignee", str(agent_x.staff.pk))
    expect(controls).to_have_attribute("data-team", str(team_x.pk))

    # i: an internal note; "@Bud" suggests Budi, then Budiman marked as one who cannot see
    # this conversation; Enter picks Budi; he gets a mention.
    page.keyboard.press("Escape")
    page.keyboard.press("i")
    expect(page.locator("#composer")).to_have_attribute("data-mode", "note")
    page.keyboard.type("Tolong cek kartu di mesin, @Bud")
    options = page.locator("#mention-suggestions li")
    expect(options).to_have_count(2)
    expect(options.first).to_contain_text("Budi Santoso")
    expect(options.first).not_to_contain_text("tidak dapat melihat")
    expect(options.nth(1)).to_contain_text("Budiman Lain")
    expect(options.nth(1)).to_contain_text("tidak dapat melihat percakapan ini")
    page.keyboard.press("Enter")
    page.keyboard.type("terima kasih")
    expect(page.locator("#compose-body")).to_have_value(
        f"Tolong cek kartu di mesin, @{budi.username} terima kasih"
    )
    page.keyboard.press("Control+Enter")
    note = page.locator("#thread .msg-note").last
    expect(note.locator(".mention")).to_have_text(f"@{budi.username}")
    assert asgi_server.run(lambda: Mention.objects.filter(staff=budi.staff).count()) == 1
    expect(page.locator("#composer")).to_have_attribute("data-mode", "note")  # stays a note

    # r, then the canned-reply picker inserts the text with its placeholders filled.
    page.keyboard.press("Escape")
    page.keyboard.press("r")
    page.locator("#canned-picker").select_option(str(canned.pk))
    filled = f"Halo Ratna Wijaya, untuk tiket L-{arrived.pk} kartu Anda kami proses."
    expect(page.locator("#compose-body")).to_have_value(filled)
    expect(page.locator("#canned-picker")).to_be_enabled()
    page.locator("#canned-picker").select_option(str(canned.pk))  # a second one: a paragraph
    expect(page.locator("#compose-body")).to_have_value(f"{filled}\n\n{filled}")
    assert horizontal_overflow(page) == 0
    save_screenshot(page, "conversation-desktop")
    page.locator("#compose-body").fill("")

    # e: resolve.
    page.keyboard.press("Escape")
    page.keyboard.press("e")
    expect(page.locator("#conversation-controls")).to_have_attribute("data-status", "resolved")

    # A phone-width agent reads what matters first and replies without sideways scrolling.
    phone = chromium.new_page(PHONE, phone=True, storage_state=page.context.storage_state())
    phone.goto(asgi_server.url + reverse("inbox:conversation", args=[arrived.pk]))
    expect(phone.locator("#thread .msg-out .msg-body")).to_contain_text(REPLY)
    assert horizontal_overflow(phone) == 0, "the conversation scrolls sideways on a phone"
    box = phone.locator("#what-matters").bounding_box()
    assert box is not None and box["y"] < PHONE["height"] / 2, "what matters is on top"
    phone.locator("#compose-body").fill("Besok mulai jam 08.00 ya Bu.")
    phone.locator("#compose-send").tap()
    expect(phone.locator("#thread .msg-out").last.locator(".msg-body")).to_contain_text(
        "Besok mulai jam 08.00"
    )
    save_screenshot(phone, "conversation-phone")
    phone.goto(asgi_server.url + reverse("inbox:inbox") + "?view=mine")
    expect(phone.locator(_row(arrived.pk))).to_be_visible()
    assert horizontal_overflow(phone) == 0, "the inbox scrolls sideways on a phone"
    save_screenshot(phone, "inbox-phone")
    phone.context.close()
    page.context.close()


@pytest.mark.browser
def test_going_offline_is_asked_first_and_says_what_was_handed_on(
    chromium: ChromiumSession, asgi_server: AsgiServer, agent_x: Any, team_x: Any, customer: Any
) -> None:
    from playwright.sync_api import expect

    from layani.routing.agent_status import set_agent_status
    from layani.routing.models import AgentPresence

    set_agent_status(agent_x.staff, status="online", actor=agent_x)
    held = receive_inbound_message(
        customer=customer, channel="whatsapp", body_text="Halo, saldo saya terpotong", actor=None
    ).conversation
    assign(held, assignee=agent_x.staff, team=team_x, actor=None)

    def status() -> str:
        return str(asgi_server.run(lambda: AgentPresence.objects.get(staff=agent_x.staff).status))

    page = chromium.new_page(DESKTOP)
    sign_in(page, asgi_server.url, agent_x.username)
    page.goto(asgi_server.url + reverse("inbox:inbox") + "?view=mine")
    expect(page.locator(_row(held.pk))).to_be_visible()

    questions: list[str] = []

    def answer(dialog: Any, accept: bool) -> None:
        questions.append(dialog.message)
        dialog.accept() if accept else dialog.dismiss()

    # Declined: nothing is sent, the choice goes back to "online".
    page.once("dialog", lambda dialog: answer(dialog, False))
    page.select_option("#presence-status", "offline")
    expect(page.locator("#presence-status")).to_have_value("online")
    assert questions and "Lanjutkan offline?" in questions[0]
    page.wait_for_timeout(300)
    assert status() == "online"

    # Accepted: offline, and the header says what went back to the team.
    page.once("dialog", lambda dialog: answer(dialog, True))
    page.select_option("#presence-status", "offline")
    expect(page.locator("#presence-handed-on")).to_have_text(
        "1 percakapan diserahkan kembali ke tim Anda."
    )
    assert status() == "offline"
    # Going online again asks nothing (once htmx has taken up the swapped-in form).
    page.wait_for_function(
        "() => { const f = document.querySelector('#presence');"
        " return !!(f && f['htmx-internal-data'] && f['htmx-internal-data'].initHash); }"
    )
    page.select_option("#presence-status", "online")
    expect(page.locator("#presence")).to_have_attribute("data-status", "online")
    assert len(questions) == 2
