"""In a real browser: the agent's inbox is open, the PBX reports a ringing call, and the
screen pop with the caller's file appears within a second, before the call is answered."""

import json
import time
import urllib.request

import pytest
from django.urls import reverse

from layani.channels.phone.tests.conftest import TOKEN, call_event
from layani.testing.asgi import AsgiServer
from layani.testing.browser import ChromiumSession, sign_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    # Django's ASGI handler says this of the live server's event stream (as in the other
    # browser tests); it is about how the test server serves, not about the page.
    pytest.mark.filterwarnings("ignore:StreamingHttpResponse must consume synchronous iterators"),
]


def ring(base_url: str, **extra: str) -> None:
    request = urllib.request.Request(
        base_url + "/channels/cti/pbx-jkt/",
        data=json.dumps(call_event("ringing", **extra)).encode(),
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {TOKEN}"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200


def test_the_screen_pop_shows_the_callers_file_within_a_second(
    chromium: ChromiumSession, asgi_server: AsgiServer, cti, ringing_agent, known_customer
):
    page = chromium.new_page()
    sign_in(page, asgi_server.url, ringing_agent.username)
    page.goto(asgi_server.url + reverse("inbox:inbox"))
    page.wait_for_function("document.body.dataset.screenPop === 'on'")
    started = time.monotonic()
    ring(asgi_server.url)
    pop = page.locator("#screen-pop .screen-pop")
    pop.wait_for(state="visible", timeout=2000)
    elapsed = time.monotonic() - started
    print(f"screen pop shown {elapsed * 1000:.0f} ms after the ringing webhook was sent")
    assert elapsed < 1.0, f"the screen pop took {elapsed:.2f} s"
    assert "Budi Santoso" in pop.inner_text()
    assert "hearing aid, speak slowly" in pop.locator(".screen-pop-matters").inner_text()
    page.locator("[data-screen-pop-close]").click()
    assert page.locator("#screen-pop").is_hidden()

    ring(asgi_server.url, call_id="c-2", caller="0857-1111-2222")
    page.locator("#screen-pop .screen-pop-unknown").wait_for(state="visible", timeout=2000)
    assert "+6285711112222" in page.locator("#screen-pop").inner_text()
    assert page.locator("#screen-pop a[href*='/new-customer/']").count() == 1
