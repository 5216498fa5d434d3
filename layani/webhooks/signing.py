"""Signing webhook requests, and checking a signature on the receiving side.

Every request Layani sends carries

    X-Layani-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>

Right after a secret rotation the header holds two `v1=` values (new and previous secret)
for a grace period, so a receiver can switch secrets without rejecting a request.

How a receiver verifies a request:

1. Read the raw request body as bytes, before parsing any JSON.
2. Call `verify_signature(secret, request.headers["X-Layani-Signature"], body)`.
3. Reject the request (e.g. 400) when it returns False; otherwise answer 2xx quickly and
   process the event afterwards. Anything but 2xx, or no answer within 10 seconds, is
   retried later.
4. Use `X-Layani-Delivery` (the event id, also `id` in the body) to ignore an event already
   processed: a retry or a redelivery sends the same id again.

This module uses only the standard library, so receivers in Python may copy
`verify_signature` (with `compute_signature`) into their own code as it is.
"""

import hashlib
import hmac
import time

SIGNATURE_HEADER = "X-Layani-Signature"
EVENT_HEADER = "X-Layani-Event"
DELIVERY_HEADER = "X-Layani-Delivery"
DEFAULT_TOLERANCE_SECONDS = 300


def compute_signature(secret: str, timestamp: int, body: bytes) -> str:
    """Hex HMAC-SHA256 of "<timestamp>.<body>" keyed with the secret."""
    signed = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def signature_header(secrets: list[str], body: bytes, *, timestamp: int) -> str:
    """The X-Layani-Signature value: one `v1=` per secret, the current secret first."""
    parts = [f"t={timestamp}"]
    parts.extend(f"v1={compute_signature(secret, timestamp, body)}" for secret in secrets)
    return ",".join(parts)


def verify_signature(
    secret: str,
    header: str,
    body: bytes,
    tolerance: int = DEFAULT_TOLERANCE_SECONDS,
    *,
    now: float | None = None,
) -> bool:
    """True when `header` signs `body` with `secret` and its time is within `tolerance`
    seconds of now (0 turns the time check off; keep it on, it stops replays)."""
    timestamp: int | None = None
    signatures: list[str] = []
    for part in header.split(","):
        key, sep, value = part.strip().partition("=")
        if not sep:
            continue
        if key == "t":
            try:
                timestamp = int(value)
            except ValueError:
                return False
        elif key == "v1":
            signatures.append(value)
    if timestamp is None or not signatures:
        return False
    current = time.time() if now is None else now
    if tolerance and abs(current - timestamp) > tolerance:
        return False
    expected = compute_signature(secret, timestamp, body)
    return any(hmac.compare_digest(expected, candidate) for candidate in signatures)
