"""The agent workspace does not lose work or take it from a colleague by accident, in real
headless Chromium over the real ASGI server (see test_inbox_browser.py):

- what is typed in the reply or note box and not sent survives leaving the conversation
  (j / k) and comes back in the same mode; resolving with unsent text asks first and keeps it;
  sending clears it;
- `a` takes a conversation at once only when no person has it; from a colleague it asks;
- the @mention picker lists name/username starts before matches inside a word, and shows
  its list where the agent can see it.
"""

from typing import Any

import pytest
from django.urls import reverse

from layani.conversations.actions import assign, receive_inbound_message
from layani.conversations.models import Message
from layani.customers.actions import CustomerDetails, create_customer
from layani.testing.asgi import AsgiServer
from layani.testing.browser import ChromiumSession, save_screenshot, sign_in

pytestmark = pytest.mark.filterwarnings(
    "ignore:StreamingHttpResponse must consume synchronous iterators"
)

LAPTOP = {"width": 1366, "height": 900}
DRAFT_REPLY = "Baik Bu, kartu Ibu sudah kami blokir; besok bisa diambil"
DRAFT_NOTE = "Cek dulu mutasi rekening sebelum membalas"


class Dialogs:
    """Records every browser dialog; answers with `accept` (Playwright would dismiss)."""

    def __init__(self, page: Any) -> None:
        self.messages: list[str] = []
        self.accept = False
        page.on("dialog", self._answer)

    def _answer(self, dialog: Any) -> None:
        self.messages.append(dialog.message)
        if self.accept:
            dialog.accept()
        else:
            dialog.dismiss()


def _conversation_url(server: AsgiServer, conversation: Any) -> str:
    return server.url + reverse("inbox:conversation", args=[conversation.pk])


@pytest.mark.browser
def test_an_unsent_draft_survives_leaving_and_resolving(
    chromium: ChromiumSession, asgi_server: AsgiServer, agent_x: Any, team_x: Any
) -> None:
    from playwright.sync_api import expect

    conversations = []
    for n, text in enumerate(("Kartu ATM saya tertelan", "Mohon info saldo", "Cabang terdekat?")):
        someone = create_customer(
            CustomerDetails.from_values(
                {"full_name": f"Nasabah {n}", "whatsapp": f"08129876543{n}"}
            ),
            actor=None,
        )
        c = receive_inbound_message(
            customer=someone, channel="whatsapp", body_text=text, actor=None
        ).conversation
        assign(c, team=team_x, actor=None)
        conversations.append(c)

    page = chromium.new_page(LAPTOP)
    dialogs = Dialogs(page)
    sign_in(page, asgi_server.url, agent_x.username)
    page.goto(asgi_server.url + reverse("inbox:inbox") + "?view=teams")
    ids = page.eval_on_selector_all(
        "#inbox-rows li.inbox-row", "rows => rows.map(r => Number(r.dataset.conversation))"
    )
    assert sorted(ids) == sorted(c.pk for c in conversations)
    first, second = ids[0], ids[1]
    box = page.locator("#compose-body")
    composer = page.locator("#composer")
    controls = page.locator("#conversation-controls")

    # A reply typed on the first, Esc, j: the next conversation opens with its own empty box.
    page.goto(asgi_server.url + reverse("inbox:conversation", args=[first]))
    page.keyboard.press("r")
    page.keyboard.type(DRAFT_REPLY)
    page.keyboard.press("Escape")
    with page.expect_navigation():
        page.keyboard.press("j")
    assert page.url.endswith(reverse("inbox:conversation", args=[second]))
    expect(box).to_have_value("")

    # A note typed on the second, then k back: the first shows its reply again, as a reply.
    page.keyboard.press("i")
    page.keyboard.type(DRAFT_NOTE)
    page.keyboard.press("Escape")
    with page.expect_navigation():
        page.keyboard.press("k")
    assert page.url.endswith(reverse("inbox:conversation", args=[first]))
    expect(box).to_have_value(DRAFT_REPLY)
    expect(composer).to_have_attribute("data-mode", "reply")
    expect(page.locator("#mode-reply")).to_be_checked()

    # And j again: the second's note, as a note (never turned into a reply to the customer).
    with page.expect_navigation():
        page.keyboard.press("j")
    expect(box).to_have_value(DRAFT_NOTE)
    expect(composer).to_have_attribute("data-mode", "note")
    expect(page.locator("#mode-note")).to_be_checked()

    # e with unsent text asks first, in Indonesian; "no" leaves the conversation as it was.
    expect(controls).to_have_attribute("data-status", "new")
    page.keyboard.press("e")
    _wait_for(lambda: len(dialogs.messages) == 1, page)
    assert "belum dikirim" in dialogs.messages[0]
    page.wait_for_timeout(300)
    expect(controls).to_have_attribute("data-status", "new")
    # "Yes" resolves it, and the text is still in the box.
    dialogs.accept = True
    page.keyboard.press("e")
    expect(controls).to_have_attribute("data-status", "resolved")
    assert len(dialogs.messages) == 2
    expect(box).to_have_value(DRAFT_NOTE)
    save_screenshot(page, "draft-kept-after-resolve")

    # Saving the note clears the draft: after a reload the box is empty.
    box.focus()
    page.keyboard.press("Control+Enter")
    expect(page.locator("#thread .msg-note").last.locator(".msg-body")).to_contain_text(DRAFT_NOTE)
    expect(box).to_have_value("")
    page.reload()
    expect(box).to_have_value("")
    assert asgi_server.run(lambda: Message.objects.filter(body_text=DRAFT_NOTE).count()) == 1

    # Without unsent text, e resolves at once (the third conversation).
    page.goto(_conversation_url(asgi_server, conversations[2]))
    page.keyboard.press("e")
    expect(controls).to_have_attribute("data-status", "resolved")
    assert len(dialogs.messages) == 2
    page.context.close()


@pytest.mark.browser
def test_text_typed_while_a_reply_is_being_sent_stays_in_the_box(
    chromium: ChromiumSession, asgi_server: AsgiServer, agent_x: Any, customer: Any, team_x: Any
) -> None:
    """The agent sends, and goes on typing before the answer is back (a slow line at a
    branch): the reply goes out as it was when sent, and what came after stays in the box,
    as the same kind of text (a note stays a note), with a word that it did."""
    from playwright.sync_api import expect

    conversation = receive_inbound_message(
        customer=customer, channel="whatsapp", body_text="Kartu saya tertelan", actor=None
    ).conversation
    assign(conversation, team=team_x, actor=None)
    page = chromium.new_page(LAPTOP)
    sign_in(page, asgi_server.url, agent_x.username)
    page.goto(_conversation_url(asgi_server, conversation))
    held: list[Any] = []
    page.route("**" + reverse("inbox:compose", args=[conversation.pk]), lambda r: held.append(r))

    box = page.locator("#compose-body")
    page.keyboard.press("i")
    page.keyboard.type(DRAFT_NOTE)
    page.keyboard.press("Control+Enter")
    _wait_for(lambda: len(held) == 1, page)
    page.keyboard.type(" Lalu telepon nasabah.")  # while the note is on its way
    held[0].continue_()

    expect(page.locator("#thread .msg-note").last.locator(".msg-body")).to_have_text(DRAFT_NOTE)
    expect(box).to_have_value("Lalu telepon nasabah.")
    expect(page.locator("#composer")).to_have_attribute("data-mode", "note")
    expect(page.locator("#ws-toast")).to_contain_text("selama pengiriman")
    # Kept as a draft too: still there after a reload.
    page.reload()
    expect(box).to_have_value("Lalu telepon nasabah.")
    expect(page.locator("#composer")).to_have_attribute("data-mode", "note")
    assert asgi_server.run(lambda: Message.objects.filter(body_text=DRAFT_NOTE).count()) == 1

    # A reply sent, then a note begun while it is on its way: the note comes back a note.
    box.fill("")
    page.keyboard.press("Escape")
    page.keyboard.press("r")
    page.keyboard.type("Baik Bu, kami cek dulu.")
    page.keyboard.press("Control+Enter")
    _wait_for(lambda: len(held) == 2, page)
    page.keyboard.press("Escape")
    page.keyboard.press("i")
    page.keyboard.type(" Cek ATM Sudirman")
    held[1].continue_()
    expect(page.locator("#thread .msg-out").last.locator(".msg-body")).to_have_text(
        "Baik Bu, kami cek dulu."
    )
    expect(box).to_have_value("Cek ATM Sudirman")
    expect(page.locator("#composer")).to_have_attribute("data-mode", "note")

    # Refused (only spaces were sent): the box keeps everything typed meanwhile.
    box.fill("   ")
    page.keyboard.press("Control+Enter")
    _wait_for(lambda: len(held) == 3, page)
    page.keyboard.type("Halo")
    held[2].continue_()
    expect(page.locator("#composer [role=alert]")).to_be_visible()
    expect(box).to_have_value("   Halo")
    page.context.close()


def _wait_for(condition: Any, page: Any, timeout_ms: int = 5000) -> None:
    waited = 0
    while not condition():
        if waited >= timeout_ms:
            raise AssertionError("timed out waiting")
        page.wait_for_timeout(50)
        waited += 50


@pytest.mark.browser
def test_a_asks_before_taking_a_colleagues_conversation(
    chromium: ChromiumSession,
    asgi_server: AsgiServer,
    agent_x: Any,
    agent_in: Any,
    customer: Any,
    team_x: Any,
) -> None:
    from playwright.sync_api import expect

    tami = agent_in(team_x, name="Tami Lestari")
    hers = receive_inbound_message(
        customer=customer, channel="whatsapp", body_text="Saldo terpotong dua kali", actor=None
    ).conversation
    assign(hers, team=team_x, assignee=tami.staff, actor=None)
    pool = receive_inbound_message(
        customer=customer, channel="email", body_text="Mohon info bunga deposito", actor=None
    ).conversation
    assign(pool, team=team_x, actor=None)

    page = chromium.new_page(LAPTOP)
    dialogs = Dialogs(page)
    sign_in(page, asgi_server.url, agent_x.username)
    controls = page.locator("#conversation-controls")

    page.goto(_conversation_url(asgi_server, hers))
    expect(controls).to_have_attribute("data-assignee", str(tami.staff.pk))
    page.keyboard.press("a")
    _wait_for(lambda: len(dialogs.messages) == 1, page)
    assert "Tami Lestari" in dialogs.messages[0]
    assert "Ambil alih" in dialogs.messages[0]
    page.wait_for_timeout(300)
    expect(controls).to_have_attribute("data-assignee", str(tami.staff.pk))
    assert asgi_server.run(lambda: type(hers).objects.get(pk=hers.pk).assignee_id) == tami.staff.pk

    dialogs.accept = True
    page.keyboard.press("a")
    expect(controls).to_have_attribute("data-assignee", str(agent_x.staff.pk))
    assert len(dialogs.messages) == 2

    # In the team's pool nobody has it: a takes it at once.
    page.goto(_conversation_url(asgi_server, pool))
    expect(controls).to_have_attribute("data-assignee", "")
    page.keyboard.press("a")
    expect(controls).to_have_attribute("data-assignee", str(agent_x.staff.pk))
    assert len(dialogs.messages) == 2
    page.context.close()


@pytest.mark.browser
def test_the_mention_picker_ranks_word_starts_first_and_is_on_screen(
    chromium: ChromiumSession,
    asgi_server: AsgiServer,
    agent_x: Any,
    agent_in: Any,
    customer: Any,
    team_x: Any,
) -> None:
    from playwright.sync_api import expect

    dimas = agent_in(team_x, name="Dimas Pratama")
    ratna = agent_in(team_x, name="Ratna Kusumawati")
    for n in range(6):
        agent_in(team_x, name=f"Rekan Tim {n}")
    for person, username in ((dimas, "cabang"), (ratna, "supervisor")):
        person.username = username
        person.save(update_fields=["username"])
    conversation = receive_inbound_message(
        customer=customer,
        channel="whatsapp",
        body_text="Kartu kredit saya ditolak di merchant",
        actor=None,
    ).conversation
    assign(conversation, team=team_x, actor=None)
    for n in range(12):  # a thread long enough to put the note box at the window's bottom
        receive_inbound_message(
            customer=customer, channel="whatsapp", body_text=f"Pesan lanjutan {n}", actor=None
        )

    page = chromium.new_page(LAPTOP)
    sign_in(page, asgi_server.url, agent_x.username)
    page.goto(_conversation_url(asgi_server, conversation))
    page.keyboard.press("i")
    area = page.locator("#compose-body").bounding_box()
    assert area is not None and area["y"] + area["height"] > LAPTOP["height"] - 200, area
    page.keyboard.type("Mohon dicek limitnya @rat")
    options = page.locator("#mention-suggestions li")
    expect(options).to_have_count(2)
    expect(options.first).to_contain_text("Ratna Kusumawati (@supervisor)")
    expect(options.nth(1)).to_contain_text("Dimas Pratama (@cabang)")
    # The whole list is inside the window, without scrolling the page.
    box = page.locator("#mention-suggestions").bounding_box()
    assert box is not None
    assert box["y"] >= 0 and box["y"] + box["height"] <= LAPTOP["height"], box
    save_screenshot(page, "mention-picker")
    page.keyboard.press("Enter")
    expect(page.locator("#compose-body")).to_have_value("Mohon dicek limitnya @supervisor ")

    # A username's start counts as much as a name word's: "@cab" lists Dimas.
    page.keyboard.type("dan @cab")
    expect(options).to_have_count(1)
    expect(options.first).to_contain_text("Dimas Pratama (@cabang)")

    # "@" alone lists eight: too tall for the room under the box, so it opens above it.
    page.keyboard.press("Escape")  # closes the list; the box keeps the focus
    expect(page.locator("#mention-suggestions")).to_be_hidden()
    page.keyboard.type(" @")
    expect(options).to_have_count(8)
    box = page.locator("#mention-suggestions").bounding_box()
    area = page.locator("#compose-body").bounding_box()
    assert box is not None and area is not None
    assert box["y"] >= 0 and box["y"] + box["height"] <= LAPTOP["height"], box
    assert box["y"] + box["height"] <= area["y"] + 1, "the list covers the text being typed"
    save_screenshot(page, "mention-picker-above")
    page.context.close()
