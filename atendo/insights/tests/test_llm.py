"""The optional language model, against a real HTTP server on loopback that speaks the OpenAI
chat-completions API (answers, errors, a server too slow to answer): it receives only what the asking
member may read, every call is audited without the text, and any failure falls back to the local
engine with a notice. Off by default; only an owner switches it on."""

from __future__ import annotations

import contextlib
import json
import re
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from atendo.audit.models import AuditEvent
from atendo.workspaces.services import workspace_update_settings
from tests.factories import MemberFactory, RoleFactory

pytestmark = pytest.mark.django_db


class FakeOpenAI:
    """A loopback server answering POST /v1/chat/completions; `mode` decides how."""

    def __init__(self) -> None:
        self.mode = "ok"
        self.requests: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = json.loads(self.rfile.read(length))
                fake.requests.append(body)
                fake.headers.append(dict(self.headers))
                if self.path != "/v1/chat/completions":
                    return self._send(404, {"error": {"message": "not found"}})
                if fake.mode == "error":
                    return self._send(500, {"error": {"message": "model crashed", "type": "server_error"}})
                if fake.mode == "slow":
                    time.sleep(1.5)
                if fake.mode == "garbage":
                    return self._send(200, {"choices": []})
                user = body["messages"][-1]["content"]
                tags = re.findall(r"\[S(\d+)\]", user)
                content = f"Ela falou de sono pela última vez em [S{tags[0]}]." if tags else "Não sei."
                self._send(
                    200,
                    {
                        "id": "chatcmpl-1",
                        "object": "chat.completion",
                        "model": body["model"],
                        "choices": [{"index": 0, "message": {"role": "assistant", "content": content}}],
                        "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15},
                    },
                )

            def _send(self, status: int, payload: dict[str, Any]) -> None:
                raw = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.wfile.write(raw)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def model(settings: Any) -> Iterator[FakeOpenAI]:
    settings.ATENDO_LLM_TIMEOUT_SECONDS = 0.5
    settings.ATENDO_LLM_API_KEY = "sk-test-key"
    fake = FakeOpenAI()
    yield fake
    fake.stop()


@pytest.fixture
def switched_on(model, owner):
    workspace_update_settings(member=owner, llm_enabled=True, llm_base_url=model.url, llm_model="tiny-test")
    return model


QUESTION = {"question": "Quando ela falou de sono pela última vez?"}


def test_the_model_writes_an_answer_citing_what_it_was_sent(practice, api, therapist, switched_on):
    body = api(therapist).post(f"clients/{practice.marina.pk}/ask", QUESTION).json()
    assert body["engine"] == "language_model" and body["notice"] is None
    assert body["answer"].startswith("Ela falou de sono")
    assert body["citations"]
    cited = int(re.search(r"\[S(\d+)\]", body["answer"]).group(1))
    assert {c["session_id"] for c in body["citations"]} == {cited}
    for c in body["citations"]:
        assert c["text"] in practice.notes[c["session_id"]]
    sent = switched_on.requests[0]
    assert sent["model"] == "tiny-test" and sent["messages"][0]["role"] == "system"
    assert switched_on.headers[0]["Authorization"] == "Bearer sk-test-key"


def test_the_model_receives_only_this_clients_readable_notes(practice, api, therapist, switched_on):
    api(therapist).post(f"clients/{practice.marina.pk}/ask", QUESTION)
    sent = json.dumps(switched_on.requests, ensure_ascii=False)
    assert "sono" in sent
    for word in ("subway", "panic", "Daniel"):  # the other client's notes
        assert word not in sent
    excerpts = re.findall(
        r"\[S(\d+)\] \d{4}-\d\d-\d\d: (.+)", switched_on.requests[0]["messages"][1]["content"]
    )
    assert excerpts
    for session_id, text in excerpts:
        assert text in practice.notes[int(session_id)]


def test_every_call_is_audited_without_the_text(practice, api, therapist, switched_on):
    api(therapist).post(f"clients/{practice.marina.pk}/ask", QUESTION)
    event = AuditEvent.objects.get(action="insights.llm_call")
    sent = sum(len(m["content"]) for m in switched_on.requests[0]["messages"])
    assert event.changes == {
        "characters_sent": sent,
        "excerpts": event.changes["excerpts"],
        "model": "tiny-test",
        "outcome": "ok",
    }
    assert event.actor == therapist.user and event.object_id == str(practice.marina.pk)
    assert "sono" not in json.dumps(event.changes)


@pytest.mark.parametrize(
    ("mode", "reason"), [("error", "http_500"), ("slow", "timeout"), ("garbage", "bad_answer")]
)
def test_a_failing_model_falls_back_to_the_local_engine(practice, api, therapist, switched_on, mode, reason):
    switched_on.mode = mode
    body = api(therapist).post(f"clients/{practice.marina.pk}/ask", QUESTION).json()
    assert body["engine"] == "local" and body["notice"]
    assert reason.replace("_", " ") in body["notice"]
    assert body["citations"] and all(c["text"] in practice.notes[c["session_id"]] for c in body["citations"])
    assert AuditEvent.objects.get(action="insights.llm_call").changes["outcome"] == reason


def test_an_unreachable_endpoint_falls_back_too(practice, api, therapist, owner, model):
    model.stop()
    workspace_update_settings(member=owner, llm_enabled=True, llm_base_url=model.url, llm_model="tiny-test")
    body = api(therapist).post(f"clients/{practice.marina.pk}/ask", QUESTION).json()
    assert body["engine"] == "local" and "unreachable" in body["notice"]


def test_the_model_is_off_by_default(practice, api, therapist, model):
    body = api(therapist).post(f"clients/{practice.marina.pk}/ask", QUESTION).json()
    assert body["engine"] == "local" and body["notice"] is None
    assert model.requests == []
    assert not AuditEvent.objects.filter(action="insights.llm_call").exists()


def test_a_non_reader_never_reaches_the_model(practice, api, other_therapist, switched_on):
    body = api(other_therapist).post(f"clients/{practice.marina.pk}/ask", QUESTION).json()
    assert body["citations"] == [] and body["withheld"] == ["notes"]
    assert switched_on.requests == []


def test_only_an_owner_switches_the_model_on(practice, api, workspace, owner, model):
    manager_role = RoleFactory(workspace=workspace, name="Manager", permissions=["workspace.manage"])
    manager = MemberFactory(workspace=workspace, role=manager_role, email="manager@serena.test")
    refused = api(manager).patch("settings", {"llm_enabled": True, "llm_base_url": model.url})
    assert refused.status_code == 403
    assert "llm_base_url" in refused.json()["error"]["message"]
    assert api(manager).patch("settings", {"slot_minutes": 15}).status_code == 200
    bad = api(owner).patch("settings", {"llm_base_url": "ftp://example"})
    assert bad.status_code == 422 and bad.json()["error"]["fields"][0]["path"] == "llm_base_url"
    done = api(owner).patch("settings", {"llm_enabled": True, "llm_base_url": model.url, "llm_model": "m"})
    assert done.status_code == 200 and done.json()["llm_enabled"] is True
