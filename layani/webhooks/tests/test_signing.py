"""The signature scheme, as a receiver sees it (no database)."""

from hypothesis import given
from hypothesis import strategies as st

from layani.webhooks.signing import compute_signature, signature_header, verify_signature

SECRET = "whsec_test"
BODY = b'{"id":"1","event":"conversation.created"}'
NOW = 1_750_000_000


def test_a_fresh_signature_verifies_and_an_old_one_does_not():
    header = signature_header([SECRET], BODY, timestamp=NOW)
    assert verify_signature(SECRET, header, BODY, now=NOW + 299)
    assert not verify_signature(SECRET, header, BODY, now=NOW + 301)  # a replay
    assert not verify_signature(SECRET, header, BODY, now=NOW - 301)
    assert verify_signature(SECRET, header, BODY, tolerance=0, now=NOW + 86_400)


def test_the_signed_text_is_timestamp_dot_body():
    expected = compute_signature(SECRET, NOW, BODY)
    assert f"t={NOW},v1={expected}" == signature_header([SECRET], BODY, timestamp=NOW)
    # Moving the time without re-signing breaks the signature.
    assert not verify_signature(SECRET, f"t={NOW + 1},v1={expected}", BODY, now=NOW)


def test_malformed_headers_are_refused():
    good = compute_signature(SECRET, NOW, BODY)
    for header in [
        "",
        f"v1={good}",
        f"t={NOW}",
        f"t=soon,v1={good}",
        f"t={NOW},v0={good}",
        f"t={NOW},v1=",
        "garbage",
    ]:
        assert not verify_signature(SECRET, header, BODY, now=NOW), header


@given(secret=st.text(min_size=1), body=st.binary(), other=st.binary())
def test_only_the_signed_body_verifies(secret, body, other):
    header = signature_header([secret], body, timestamp=NOW)
    assert verify_signature(secret, header, body, now=NOW)
    assert verify_signature(secret, header, other, now=NOW) == (other == body)
