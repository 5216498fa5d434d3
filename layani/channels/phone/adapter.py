"""Two phone adapters: a generic CTI webhook (JSON, secret token) and Twilio voice status
callbacks (form-encoded, `X-Twilio-Signature`). Both turn a request into one `call` event
(`CustomEvent(name="call")`) with the same plain fields, applied by `calls.apply_call_event`.

The CTI webhook body, as a PBX (Asterisk AMI/ARI bridge, a cloud PBX) sends it:

    {"event": "new" | "ringing" | "answered" | "hangup", "call_id": "...",
     "direction": "inbound" | "outbound", "caller": "+62...", "callee": "...",
     "extension": "201", "timestamp": "2026-11-23T09:15:00+07:00",
     "outcome": "abandoned" | "voicemail" | "missed" (hangup, optional),
     "duration": 180 (hangup, seconds talked, optional), "sequence": 3 (optional)}

authenticated by `Authorization: Bearer <token>` or `X-Layani-Token: <token>`, the
account's `token` credential.
"""

import base64
import hashlib
import hmac
import json
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import parse_qs

from django.http import HttpResponse
from django.utils.dateparse import parse_datetime

from layani.channels.base import RawRequest, Rejected, Unparseable, body_digest
from layani.channels.events import CustomEvent, Event, Ignored
from layani.channels.models import AccountKind, ChannelAccount, InboundRecord
from layani.channels.registry import register_adapter, register_handler

CALL_EVENT = "call"
EVENTS = ("new", "ringing", "answered", "hangup")
OUTCOMES = ("answered", "missed", "abandoned", "voicemail")


class PhoneAdapter:
    """What both phone adapters share: nothing can be sent over a phone line as text."""

    can_send = False

    def send(self, account: ChannelAccount, message: Any) -> str:  # pragma: no cover
        raise NotImplementedError("a phone account sends no text")

    def handshake(self, account: ChannelAccount, request: RawRequest) -> None:
        return None


def _when(value: Any) -> str:
    """An ISO timestamp, or "" when the value is missing or unreadable."""
    if not value:
        return ""
    if isinstance(value, int | float):
        from datetime import UTC

        return datetime.fromtimestamp(value, UTC).isoformat()
    parsed = parse_datetime(str(value))
    if parsed is None:
        try:
            parsed = parsedate_to_datetime(str(value))  # RFC 2822, as Twilio sends
        except (TypeError, ValueError):
            return ""
    return parsed.isoformat() if parsed.tzinfo is not None else ""


class CtiAdapter(PhoneAdapter):
    kind: str = AccountKind.CTI
    kept_headers: tuple[str, ...] = ("content-type",)

    def verify(self, account: ChannelAccount, request: RawRequest) -> None:
        expected = account.secret("token")
        if not expected:
            raise Rejected("This phone account has no token configured.", 403)
        given = request.header("x-layani-token")
        authorization = request.header("authorization")
        if not given and authorization.lower().startswith("bearer "):
            given = authorization[7:].strip()
        if not given:
            raise Rejected("Missing token.", 401)
        if not hmac.compare_digest(given.encode(), expected.encode()):
            raise Rejected("Wrong token.", 403)

    def idempotency_key(self, account: ChannelAccount, request: RawRequest) -> str:
        try:
            data = json.loads(request.body)
            call_id, event = str(data["call_id"]), str(data["event"])
        except (ValueError, KeyError, TypeError):
            return body_digest(request.body)
        return f"{call_id}:{event}:{data.get('sequence', '')}"

    def parse_inbound(self, account: ChannelAccount, record: InboundRecord) -> list[Event]:
        try:
            data = json.loads(record.body_bytes())
        except ValueError as exc:
            raise Unparseable(f"not JSON: {exc}") from exc
        if not isinstance(data, dict):
            raise Unparseable("the body is not a JSON object")
        event = str(data.get("event", "")).lower()
        call_id = str(data.get("call_id") or "").strip()
        if not call_id:
            raise Unparseable("call_id is missing")
        if event not in EVENTS:
            return [Ignored(f"call event {event!r}")]
        outcome = str(data.get("outcome") or "").lower()
        direction = str(data.get("direction") or "inbound").lower()
        duration = data.get("duration")
        return [
            CustomEvent(
                name=CALL_EVENT,
                external_id=call_id,
                data={
                    "call_id": call_id[:120],
                    "event": event,
                    "direction": "outbound" if direction.startswith("out") else "inbound",
                    "caller": str(data.get("caller") or "")[:40],
                    "callee": str(data.get("callee") or "")[:40],
                    "extension": str(data.get("extension") or "")[:40],
                    "at": _when(data.get("timestamp")),
                    "outcome": outcome if outcome in OUTCOMES else "",
                    "duration": int(duration) if isinstance(duration, int | float) else None,
                },
            )
        ]


# Twilio's CallStatus → our event and, for the end of a call, its outcome.
TWILIO_STATUS: dict[str, tuple[str, str]] = {
    "queued": ("new", ""),
    "initiated": ("new", ""),
    "ringing": ("ringing", ""),
    "in-progress": ("answered", ""),
    "completed": ("hangup", ""),
    "busy": ("hangup", "missed"),
    "no-answer": ("hangup", "missed"),
    "failed": ("hangup", "missed"),
    "canceled": ("hangup", "abandoned"),
}


def twilio_signature(url: str, params: dict[str, list[str]], auth_token: str) -> str:
    """Twilio's request signature: the full URL, then each POST parameter's name and value
    in name order, HMAC-SHA1 with the auth token, base64-encoded."""
    text = url
    for name in sorted(params):
        for value in sorted(params[name]):
            text += name + value
    digest = hmac.new(auth_token.encode(), text.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def _form(body: bytes) -> dict[str, list[str]]:
    return parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)


def _extension_of(address: str) -> str:
    """`client:201` or `sip:201@pbx.example` → 201; a phone number is no extension."""
    for prefix in ("client:", "sip:"):
        if address.startswith(prefix):
            return address[len(prefix) :].split("@", 1)[0]
    return ""


class TwilioAdapter(PhoneAdapter):
    kind: str = AccountKind.TWILIO
    kept_headers: tuple[str, ...] = ("content-type", "x-twilio-signature")

    def verify(self, account: ChannelAccount, request: RawRequest) -> None:
        token = account.secret("auth_token")
        if not token:
            raise Rejected("This Twilio account has no auth token configured.", 403)
        given = request.header("x-twilio-signature")
        if not given:
            raise Rejected("Missing X-Twilio-Signature.", 403)
        # Behind a proxy the public address differs from what Django sees: an admin sets it.
        url = str(account.setting("webhook_url") or "") or request.url
        expected = twilio_signature(url, _form(request.body), token)
        if not hmac.compare_digest(expected.encode(), given.encode()):
            raise Rejected("Bad X-Twilio-Signature.", 403)

    def idempotency_key(self, account: ChannelAccount, request: RawRequest) -> str:
        form = _form(request.body)
        sid = (form.get("CallSid") or [""])[0]
        if not sid:
            return body_digest(request.body)
        status = (form.get("CallStatus") or [""])[0]
        sequence = (form.get("SequenceNumber") or [""])[0]
        return f"{sid}:{status}:{sequence}"

    def parse_inbound(self, account: ChannelAccount, record: InboundRecord) -> list[Event]:
        form = {name: values[0] for name, values in _form(record.body_bytes()).items()}
        sid = form.get("CallSid", "").strip()
        if not sid:
            raise Unparseable("CallSid is missing")
        status = form.get("CallStatus", "")
        if status not in TWILIO_STATUS:
            return [Ignored(f"call status {status!r}")]
        event, outcome = TWILIO_STATUS[status]
        if form.get("AnsweredBy", "").startswith("machine"):
            outcome = "voicemail"
        caller, callee = form.get("From", ""), form.get("To", "")
        duration = form.get("CallDuration", "")
        if status == "completed" and duration.isdigit() and int(duration) > 0:
            outcome = outcome or "answered"  # talked, even if "in-progress" never came
        return [
            CustomEvent(
                name=CALL_EVENT,
                external_id=sid,
                data={
                    "call_id": sid[:120],
                    "event": event,
                    "direction": "inbound" if form.get("Direction") == "inbound" else "outbound",
                    "caller": caller[:40],
                    "callee": callee[:40],
                    "extension": _extension_of(callee) or _extension_of(caller),
                    "at": _when(form.get("Timestamp")),
                    "outcome": outcome,
                    "duration": int(duration) if duration.isdigit() else None,
                },
            )
        ]

    def acknowledgement(self, account: ChannelAccount, record: InboundRecord | None) -> Any:
        # Twilio reads the answer to a status callback as TwiML: an empty response.
        return HttpResponse(
            '<?xml version="1.0" encoding="UTF-8"?><Response/>', content_type="text/xml"
        )


def _apply(account: ChannelAccount, record: InboundRecord, event: CustomEvent) -> None:
    from layani.channels.phone.calls import apply_call_event

    apply_call_event(account, event.data)


register_adapter(AccountKind.CTI, CtiAdapter())
register_adapter(AccountKind.TWILIO, TwilioAdapter())
register_handler(CALL_EVENT, _apply)
