"""Talking to Meta's Graph API: where it is (an account setting, so tests and proxies can
point elsewhere), with the account's token and time limits, and what its errors mean.

A 4xx that a retry will not fix becomes `SendFailed` with Meta's own reason; rate limits,
5xx and network failures raise `GraphUnavailable`, which the worker retries.
"""

from typing import Any

import httpx

from layani.channels.base import SendFailed
from layani.channels.models import ChannelAccount

DEFAULT_BASE = "https://graph.facebook.com"
DEFAULT_VERSION = "v21.0"
TIMEOUT = httpx.Timeout(10.0, connect=5.0)
MEDIA_TIMEOUT = httpx.Timeout(60.0, connect=5.0)
# Meta's throttling codes: worth another try later.
RATE_LIMIT_CODES = {4, 17, 32, 613, 80007, 130429, 131056}


class GraphUnavailable(Exception):
    """Meta did not answer usefully this time (5xx, rate limit, network): retry later."""


def api_url(account: ChannelAccount, path: str) -> str:
    base = str(account.setting("graph_base") or DEFAULT_BASE).rstrip("/")
    version = str(account.setting("graph_version") or DEFAULT_VERSION).strip("/")
    return f"{base}/{version}/{path.lstrip('/')}"


def auth_headers(account: ChannelAccount) -> dict[str, str]:
    token = account.secret("access_token")
    if not token:
        raise SendFailed("The channel account has no access token (access_token).")
    return {"Authorization": f"Bearer {token}"}


def error_reason(response: httpx.Response) -> tuple[str, int | None]:
    """Meta's `{"error": {"message", "code", "error_data": {"details"}}}` as a sentence."""
    try:
        error = response.json().get("error") or {}
    except ValueError:
        return f"HTTP {response.status_code}: {response.text[:200]}", None
    if not isinstance(error, dict):
        return f"HTTP {response.status_code}", None
    code = error.get("code")
    message = str(error.get("message") or f"HTTP {response.status_code}")
    details = (error.get("error_data") or {}).get("details") if isinstance(error, dict) else ""
    reason = f"{message} (code {code})" if code is not None else message
    if details and details not in message:
        reason = f"{reason}: {details}"
    return reason, code if isinstance(code, int) else None


def checked(response: httpx.Response) -> dict[str, Any]:
    """The JSON of a successful answer; SendFailed or GraphUnavailable otherwise."""
    if response.is_success:
        try:
            answer = response.json()
        except ValueError as exc:
            raise GraphUnavailable(f"not JSON from Meta: {response.text[:200]}") from exc
        return answer if isinstance(answer, dict) else {}
    reason, code = error_reason(response)
    if response.status_code >= 500 or response.status_code == 429 or code in RATE_LIMIT_CODES:
        raise GraphUnavailable(reason)
    raise SendFailed(reason)


def call(
    account: ChannelAccount,
    method: str,
    path: str,
    *,
    timeout: httpx.Timeout = TIMEOUT,
    **request: Any,
) -> dict[str, Any]:
    """One Graph API request with the account's token: its JSON, or SendFailed /
    GraphUnavailable (network failures included)."""
    try:
        response = httpx.request(
            method,
            api_url(account, path),
            headers=auth_headers(account),
            timeout=timeout,
            **request,
        )
    except httpx.HTTPError as exc:
        raise GraphUnavailable(f"{type(exc).__name__}: {exc}") from exc
    return checked(response)


def get_json(account: ChannelAccount, path: str, params: dict[str, str]) -> dict[str, Any]:
    return call(account, "GET", path, params=params)


def post_json(account: ChannelAccount, path: str, payload: dict[str, Any]) -> dict[str, Any]:
    return call(account, "POST", path, json=payload)


def post_file(
    account: ChannelAccount,
    path: str,
    *,
    fields: dict[str, str],
    filename: str,
    content: bytes,
    content_type: str,
    file_field: str = "file",
) -> dict[str, Any]:
    return call(
        account,
        "POST",
        path,
        timeout=MEDIA_TIMEOUT,
        data=fields,
        files={file_field: (filename, content, content_type or "application/octet-stream")},
    )
