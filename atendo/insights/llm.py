"""The optional external language model: an OpenAI-compatible `/v1/chat/completions` endpoint.

Off by default. A workspace owner switches it on (`llm_enabled` in the workspace settings); the
endpoint is the workspace's `llm_base_url` / `llm_model`, else `ATENDO_LLM_BASE_URL` /
`ATENDO_LLM_MODEL` from the environment; the key only ever comes from `ATENDO_LLM_API_KEY`. It is
sent only excerpts the asking member may read (the caller chooses them), and it answers within
`ATENDO_LLM_TIMEOUT_SECONDS` or not at all: every failure is an `LlmUnavailable`, and the caller
falls back to the local engine.
"""

from __future__ import annotations

import json
import socket
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

from django.conf import settings

from atendo.workspaces.models import Workspace

MAX_ANSWER = 4000


class LlmUnavailable(Exception):
    """The model could not give an answer (switched off, unreachable, slow, or answering nonsense)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason  # "timeout" | "http_<status>" | "unreachable" | "bad_answer" | "off"


@dataclass(frozen=True)
class LlmConfig:
    base_url: str
    model: str
    api_key: str
    timeout: float

    @property
    def url(self) -> str:
        base = self.base_url.rstrip("/")
        if base.endswith("/v1"):
            base = base[: -len("/v1")]
        return f"{base}/v1/chat/completions"


def config_for(workspace: Workspace) -> LlmConfig | None:
    """The endpoint this workspace uses, or None when the model is off (the default)."""
    if not workspace.llm_enabled:
        return None
    base_url = workspace.llm_base_url or settings.ATENDO_LLM_BASE_URL
    model = workspace.llm_model or settings.ATENDO_LLM_MODEL
    if not base_url or not model:
        return None
    return LlmConfig(base_url, model, settings.ATENDO_LLM_API_KEY, settings.ATENDO_LLM_TIMEOUT_SECONDS)


def chat(config: LlmConfig, messages: list[dict[str, str]]) -> str:
    """The model's reply to `messages`; `LlmUnavailable` on any failure."""
    body = json.dumps({"model": config.model, "messages": messages, "temperature": 0, "stream": False})
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    if config.api_key:
        headers["Authorization"] = f"Bearer {config.api_key}"
    request = urllib.request.Request(config.url, data=body.encode(), headers=headers, method="POST")  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=config.timeout) as response:  # noqa: S310 - http(s) only
            raw = response.read(1_000_000)
    except urllib.error.HTTPError as exc:
        raise LlmUnavailable(f"http_{exc.code}") from None
    except TimeoutError:
        raise LlmUnavailable("timeout") from None
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", None)
        if isinstance(reason, TimeoutError | socket.timeout):
            raise LlmUnavailable("timeout") from None
        raise LlmUnavailable("unreachable") from None
    try:
        data: Any = json.loads(raw)
        content = data["choices"][0]["message"]["content"]
    except (ValueError, KeyError, IndexError, TypeError):
        raise LlmUnavailable("bad_answer") from None
    if not isinstance(content, str) or not content.strip():
        raise LlmUnavailable("bad_answer")
    return content.strip()[:MAX_ANSWER]
