"""A small client of the Telegram Bot API (https://core.telegram.org/bots/api).

Every method is `POST <api_base>/bot<token>/<method>` answering
`{"ok": true, "result": ...}` or `{"ok": false, "error_code": ..., "description": ...}`;
files are downloaded from `<api_base>/file/bot<token>/<file_path>`.
A 4xx other than 429 is a refusal (`SendFailed`); 429, 5xx and network errors raise
`BotApiUnavailable` so the worker retries.
"""

from typing import Any

import httpx

from layani.channels.base import SendFailed
from layani.channels.models import ChannelAccount

DEFAULT_API_BASE = "https://api.telegram.org"
TIMEOUT = httpx.Timeout(15.0, connect=5.0)
MAX_DOWNLOAD_BYTES = 25 * 1024 * 1024


class BotApiUnavailable(Exception):
    """The Bot API did not answer usefully now; try again later."""


class BotApi:
    def __init__(self, account: ChannelAccount) -> None:
        token = account.secret("bot_token")
        if not token:
            raise SendFailed("the Telegram account has no bot token")
        base = str(account.setting("api_base") or DEFAULT_API_BASE).rstrip("/")
        self.method_base = f"{base}/bot{token}"
        self.file_base = f"{base}/file/bot{token}"

    def call(
        self,
        method: str,
        payload: dict[str, Any],
        files: dict[str, tuple[str, bytes, str]] | None = None,
    ) -> Any:
        url = f"{self.method_base}/{method}"
        try:
            with httpx.Client(timeout=TIMEOUT) as client:
                if files:
                    form = {name: str(value) for name, value in payload.items()}
                    response = client.post(url, data=form, files=files)
                else:
                    response = client.post(url, json=payload)
        except httpx.HTTPError as exc:
            raise BotApiUnavailable(f"{method}: {type(exc).__name__}: {exc}") from exc
        return _result(method, response)

    def download(self, file_id: str) -> tuple[str, bytes]:
        """(file_path, bytes) of a file the bot received."""
        info = self.call("getFile", {"file_id": file_id})
        path = info.get("file_path") if isinstance(info, dict) else None
        if not path:
            raise SendFailed(f"getFile {file_id}: no file_path (too big for the Bot API?)")
        try:
            with httpx.Client(timeout=TIMEOUT) as client:
                response = client.get(f"{self.file_base}/{path}")
        except httpx.HTTPError as exc:
            raise BotApiUnavailable(f"download {path}: {exc}") from exc
        if response.status_code >= 500:
            raise BotApiUnavailable(f"download {path}: HTTP {response.status_code}")
        if response.status_code != 200:
            raise SendFailed(f"download {path}: HTTP {response.status_code}")
        if len(response.content) > MAX_DOWNLOAD_BYTES:
            raise SendFailed(f"download {path}: larger than {MAX_DOWNLOAD_BYTES} bytes")
        return path, response.content


def _result(method: str, response: httpx.Response) -> Any:
    try:
        answer = response.json()
    except ValueError:
        answer = {}
    description = answer.get("description") if isinstance(answer, dict) else None
    reason = f"{method}: HTTP {response.status_code} {description or ''}".strip()
    if response.status_code == 429 or response.status_code >= 500:
        raise BotApiUnavailable(reason)
    if response.status_code >= 400 or not isinstance(answer, dict) or not answer.get("ok"):
        raise SendFailed(reason)
    return answer.get("result")
