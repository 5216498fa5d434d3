"""The widget on a business's page in real headless Chromium: the page is served by its
own little HTTP server (another origin), the script tag loads the widget from Layani
(uvicorn in a thread, `asgi_server`), the visitor chats over the real websocket."""

import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from layani.channels.models import ChannelAccount
from layani.channels.webchat.models import WebchatVisitor
from layani.conversations.actions import receive_inbound_message, reply
from layani.conversations.models import Conversation, Direction, Message
from layani.customers.actions import CustomerDetails, create_customer
from layani.routing.agent_status import set_agent_status
from layani.testing.asgi import AsgiServer
from layani.testing.browser import ChromiumSession

pytestmark = [
    pytest.mark.browser,
    pytest.mark.filterwarnings("ignore:StreamingHttpResponse must consume synchronous iterators"),
]

QUESTION = "Halo, apakah ukuran 42 masih ada?"
ANSWER = "Masih ada, Kak. Mau kami simpankan?"


class BusinessSite:
    """A shop's page with the one script tag, on its own port (its own origin)."""

    def __init__(self, script_url: str) -> None:
        page = (
            '<!doctype html><html lang="id"><head><meta charset="utf-8"><title>Toko</title>'
            f'</head><body><h1>Toko Sejahtera</h1><script src="{script_url}" async></script>'
            "</body></html>"
        ).encode()

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(page)))
                self.end_headers()
                self.wfile.write(page)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def site(asgi_server: AsgiServer) -> Iterator[BusinessSite]:
    from layani.channels.registry import load_adapters

    load_adapters()
    shop = BusinessSite(f"{asgi_server.url}/channels/chat/toko-chat/widget.js")
    yield shop
    shop.stop()


def make_account(origin: str) -> ChannelAccount:
    return ChannelAccount.objects.create(
        kind="webchat",
        name="Toko Sejahtera",
        key="toko-chat",
        settings={"allowed_origins": [origin]},
    )


def wait_for(server: AsgiServer, check: Callable[[], Any], timeout: float = 10) -> Any:
    """Poll the database once the browser runs. Reads go through the server's thread: this
    thread has Playwright's event loop now, and a query here would open a connection of its
    own that nobody closes."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = server.run(check)
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError("timed out")


def test_a_visitor_chats_the_agent_answers_live_and_a_reload_keeps_the_history(
    chromium: ChromiumSession, asgi_server: AsgiServer, site: BusinessSite, agent: Any
) -> None:
    from playwright.sync_api import expect

    make_account(site.url)
    set_agent_status(agent.staff, status="online", actor=agent)
    page = chromium.new_page()
    page.goto(site.url)
    page.locator(".launcher").click()
    expect(page.locator(".panel")).to_have_attribute("lang", "id")  # the page's language
    expect(page.locator(".status")).to_have_attribute("data-online", "yes")
    page.locator(".compose textarea").fill(QUESTION)
    page.locator(".compose button").click()
    expect(page.locator(".msg.visitor[data-stored=yes]")).to_have_text(QUESTION)

    inbound = wait_for(
        asgi_server,
        lambda: (
            Message.objects.select_related("conversation__channel_account")
            .filter(direction=Direction.INBOUND)
            .first()
        ),
    )
    assert inbound.body_text == QUESTION and inbound.channel == "webchat"
    conversation = inbound.conversation
    assert conversation.channel_account.key == "toko-chat"

    asgi_server.run(lambda: reply(conversation, body_text=ANSWER, actor=agent))
    expect(page.locator(".msg.agent").last).to_contain_text(ANSWER)

    page.reload()
    expect(page.locator(".msg.visitor")).to_have_text([QUESTION])  # the widget reopened the chat
    expect(page.locator(".msg.agent").last).to_contain_text(ANSWER)
    assert asgi_server.run(WebchatVisitor.objects.count) == 1


def test_the_offline_form_stores_a_conversation_when_nobody_is_online(
    chromium: ChromiumSession, asgi_server: AsgiServer, site: BusinessSite
) -> None:
    from playwright.sync_api import expect

    make_account(site.url)
    page = chromium.new_page()
    page.goto(site.url)
    page.locator(".launcher").click()
    form = page.locator("form.offline")
    expect(form).to_be_visible()
    expect(page.locator(".compose")).to_be_hidden()
    form.locator("[name=name]").fill("Andi Wijaya")
    form.locator("[name=email]").fill("bukan-email")
    form.locator("[name=message]").fill("Apakah toko buka hari Minggu?")
    form.locator("button").click()
    expect(form.locator("[data-error=email]")).not_to_be_empty()
    form.locator("[name=email]").fill("andi@example.com")
    form.locator("button").click()
    expect(page.locator(".thanks")).to_be_visible()
    message = wait_for(
        asgi_server,
        lambda: (
            Message.objects.select_related("conversation__customer")
            .filter(direction=Direction.INBOUND)
            .first()
        ),
    )
    assert message.body_text == "Apakah toko buka hari Minggu?"
    assert message.conversation.customer.full_name == "Andi Wijaya"
    assert asgi_server.run(Conversation.objects.count) == 1


def test_a_stale_error_goes_once_the_form_goes_through(
    chromium: ChromiumSession, asgi_server: AsgiServer, site: BusinessSite, agent: Any
) -> None:
    from playwright.sync_api import expect

    make_account(site.url)
    set_agent_status(agent.staff, status="online", actor=agent)
    page = chromium.new_page()
    page.goto(site.url)
    page.locator(".launcher").click()
    expect(page.locator(".status")).to_have_attribute("data-online", "yes")
    page.locator(".identify summary").click()
    who = page.locator("form.who")
    who.locator("[name=email]").fill("bukan-email")
    who.locator("button").click()
    expect(page.locator(".notice")).to_be_visible()
    expect(who.locator("[data-error=email]")).not_to_be_empty()

    who.locator("[name=email]").fill("andi@example.com")
    who.locator("button").click()
    expect(page.locator(".identify")).to_have_js_property("open", False)  # identified
    expect(page.locator(".notice")).to_be_hidden()
    expect(who.locator("[data-error=email]")).to_be_empty()
    assert asgi_server.run(lambda: WebchatVisitor.objects.get().email) == "andi@example.com"

    compose = page.locator(".compose")
    compose.locator("textarea").fill("x" * 4001)
    compose.locator("button").click()
    expect(page.locator(".notice")).to_be_visible()
    compose.locator("textarea").fill(QUESTION)
    compose.locator("button").click()
    expect(page.locator(".msg.visitor[data-stored=yes]")).to_have_text(QUESTION)
    expect(page.locator(".notice")).to_be_hidden()


def test_a_visitor_who_gives_a_customers_email_first_sees_only_their_own_chat(
    chromium: ChromiumSession, asgi_server: AsgiServer, site: BusinessSite, agent: Any
) -> None:
    """Someone types Dewi's email before writing: the widget shows their own chat and its
    answer, never what is said to Dewi in her open chat, live or after a reload."""
    from playwright.sync_api import expect

    to_dewi = "Bu Dewi, saldo tabungan Anda Rp12.500.000."

    def dewi_with_an_open_chat() -> Conversation:
        account = make_account(site.url)
        dewi = create_customer(
            CustomerDetails.from_values({"full_name": "Dewi", "email": "dewi@contoh.co.id"}),
            actor=None,
        )
        browser = WebchatVisitor.objects.create(account=account, customer=dewi)
        return receive_inbound_message(
            customer=dewi,
            channel="webchat",
            body_text="Saldo saya berapa?",
            external_id=f"webchat:{browser.public_id}:1",
            channel_account_id=account.pk,
            meta={"webchat_visitor": browser.public_id, "webchat_client_id": "1"},
            join_latest=False,
            actor=None,
        ).conversation

    hers = asgi_server.run(dewi_with_an_open_chat)
    set_agent_status(agent.staff, status="online", actor=agent)
    page = chromium.new_page()
    page.goto(site.url)
    page.locator(".launcher").click()
    expect(page.locator(".status")).to_have_attribute("data-online", "yes")
    page.locator(".identify summary").click()
    who = page.locator("form.who")
    who.locator("[name=name]").fill("Dewi")
    who.locator("[name=email]").fill("dewi@contoh.co.id")
    who.locator("button").click()
    expect(page.locator(".identify")).to_have_js_property("open", False)
    page.locator(".compose textarea").fill(QUESTION)
    page.locator(".compose button").click()
    expect(page.locator(".msg.visitor[data-stored=yes]")).to_have_text(QUESTION)
    theirs = wait_for(
        asgi_server,
        lambda: Conversation.objects.filter(messages__body_text=QUESTION).first(),
    )
    assert theirs.pk != hers.pk

    asgi_server.run(lambda: reply(hers, body_text=to_dewi, actor=agent))
    asgi_server.run(lambda: reply(theirs, body_text=ANSWER, actor=agent))
    expect(page.locator(".msg.agent").last).to_contain_text(ANSWER)
    expect(page.locator(".msg", has_text="Rp12.500.000")).to_have_count(0)

    page.reload()
    expect(page.locator(".msg.visitor")).to_have_text([QUESTION])
    expect(page.locator(".msg.agent").last).to_contain_text(ANSWER)
    expect(page.locator(".msg", has_text="Rp12.500.000")).to_have_count(0)


def test_a_site_that_is_not_allowed_gets_no_chat(
    chromium: ChromiumSession, asgi_server: AsgiServer, site: BusinessSite
) -> None:
    from playwright.sync_api import expect

    make_account("https://another-shop.example")
    page = chromium.new_page()
    page.goto(site.url)
    page.locator(".launcher").click()
    expect(page.locator(".notice")).to_be_visible()
    expect(page.locator(".compose")).to_be_hidden()
    assert not asgi_server.run(WebchatVisitor.objects.exists)
