"""Provider webhooks through the production WSGI application: the lean handler stores and
answers them as the site would, and every other address stays on the full site."""

from typing import Any

import pytest
from django.test.client import RequestFactory

from layani.channels.meta.tests.conftest import fixture_body, sign
from layani.channels.models import InboundRecord
from layani.channels.webhook_wsgi import webhook_kind
from layani.config.wsgi import application
from layani.conversations.models import Message

pytestmark = pytest.mark.django_db(transaction=True)


def call(environ: dict[str, Any]) -> tuple[int, dict[str, str], bytes]:
    answer: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]], *_exc: Any) -> None:
        answer["status"], answer["headers"] = int(status.split()[0]), dict(headers)

    body = b"".join(application(environ, start_response))
    return answer["status"], answer["headers"], body


def webhook(account: Any, body: bytes, signature: str) -> dict[str, Any]:
    return (
        RequestFactory(HTTP_HOST="testserver")
        .post(
            f"/channels/{account.kind}/{account.key}/",
            data=body,
            content_type="application/json",
            headers={"X-Hub-Signature-256": signature},
        )
        .environ
    )


def test_a_signed_webhook_is_stored_and_answered_without_the_sites_middleware(whatsapp):
    body = fixture_body("wa_text.json")
    status, headers, content = call(webhook(whatsapp, body, sign(body)))
    assert status == 200 and content == b'{"status": "received"}'
    assert InboundRecord.objects.count() == 1
    assert Message.objects.get().body_text == "Halo, saldo saya kok berkurang?"
    # The security middleware ran; the session, language and frame middleware did not.
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Content-Length"] == str(len(content))  # not chunked
    assert "Set-Cookie" not in headers and "Content-Language" not in headers
    assert "X-Frame-Options" not in headers


def test_a_bad_signature_is_rejected_by_the_lean_handler_too(whatsapp):
    body = fixture_body("wa_text.json")
    status, _headers, content = call(webhook(whatsapp, body, "sha256=" + "0" * 64))
    assert status == 403 and b'"rejected"' in content
    assert InboundRecord.objects.count() == 0


def test_an_unknown_key_of_a_real_kind_is_a_404_with_its_reason(whatsapp):
    whatsapp.key = "no-such-account"
    body = fixture_body("wa_text.json")
    status, _headers, content = call(webhook(whatsapp, body, sign(body)))
    assert status == 404 and b'"unknown_account"' in content


def test_the_channel_pages_beside_the_webhooks_stay_on_the_full_site(whatsapp):
    # `/channels/calls/undocumented/` has the webhook's shape, but `calls` is no kind: the
    # site's login requirement (session and authentication middleware) answers it.
    environ = RequestFactory(HTTP_HOST="testserver").get("/channels/calls/undocumented/").environ
    status, headers, _content = call(environ)
    assert status == 302 and "/login/" in headers["Location"]
    assert headers["Content-Language"] == "id"


@pytest.mark.parametrize(
    ("path", "kind"),
    [
        ("/channels/whatsapp/abc-123/", "whatsapp"),
        ("/channels/calls/undocumented/", "calls"),
        ("/channels/whatsapp/abc/extra/", None),
        ("/channels/whatsapp/abc", None),
        ("/inbox/", None),
        ("/channels/what%20sapp/abc/", None),
        ("/channels/whatsapp/kunci-é/", None),  # no slug: the site answers 404
    ],
)
def test_the_webhook_address_is_recognised_by_its_shape(path, kind):
    assert webhook_kind(path) == kind
