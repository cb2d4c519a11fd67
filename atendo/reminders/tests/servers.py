"""Real servers on loopback for the reminders' tests: an SMTP server (aiosmtpd) that keeps what it
receives, and a small WhatsApp Cloud API (`POST /{phone-number-id}/messages`) that checks the
bearer token and the template message's shape, answers like the real one (a `wamid`), and can be
told to answer errors or rate limits for the next requests; and an SMS gateway's webhook that checks
the bearer token and the body's HMAC signature."""

from __future__ import annotations

import email
import email.policy
import hashlib
import hmac
import json
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller


class _Keep:
    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.lock:
            self.messages.append(message)  # type: ignore[arg-type]
        return "250 OK"


@dataclass
class SmtpServer:
    host: str
    port: int
    handler: _Keep

    @property
    def messages(self) -> list[email.message.EmailMessage]:
        return list(self.handler.messages)


def smtp_server() -> Iterator[SmtpServer]:
    handler = _Keep()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield SmtpServer("127.0.0.1", port, handler)
    finally:
        controller.stop()


@dataclass
class FakeWhatsApp:
    phone_number_id: str = "1098765"
    token: str = "wa-test-token"
    requests: list[dict[str, Any]] = field(default_factory=list)
    # (status, body) answers for the next requests, first first; then 200 with a wamid.
    script: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    url: str = ""

    def answer(self, path: str, headers: Any, body: bytes) -> tuple[int, dict[str, Any]]:
        if headers.get("Authorization") != f"Bearer {self.token}":
            return 401, {
                "error": {"message": "Invalid OAuth access token.", "type": "OAuthException", "code": 190}
            }
        if path != f"/{self.phone_number_id}/messages":
            return 400, {
                "error": {"message": "Unsupported post request.", "type": "GraphMethodException", "code": 100}
            }
        try:
            payload = json.loads(body)
        except ValueError:
            return 400, {"error": {"message": "Invalid JSON", "code": 100}}
        problems = [
            payload.get("messaging_product") != "whatsapp",
            payload.get("type") != "template",
            not str(payload.get("to", "")).isdigit(),
            not (payload.get("template") or {}).get("name"),
            not ((payload.get("template") or {}).get("language") or {}).get("code"),
        ]
        if any(problems):
            return 400, {
                "error": {"message": "(#100) Invalid parameter", "type": "OAuthException", "code": 100}
            }
        with self.lock:
            self.requests.append(payload)
            if self.script:
                return self.script.pop(0)
            n = len(self.requests)
        return 200, {
            "messaging_product": "whatsapp",
            "contacts": [{"input": payload["to"], "wa_id": payload["to"]}],
            "messages": [{"id": f"wamid.TEST{n:06d}", "message_status": "accepted"}],
        }


RATE_LIMITED = (
    429,
    {"error": {"message": "(#130429) Rate limit hit", "type": "OAuthException", "code": 130429}},
)
UNDELIVERABLE = (
    400,
    {"error": {"message": "(#131026) Message Undeliverable", "type": "OAuthException", "code": 131026}},
)


def whatsapp_server() -> Iterator[FakeWhatsApp]:
    fake = FakeWhatsApp()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            status, answer = fake.answer(self.path, self.headers, body)
            data = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()


@dataclass
class FakeSmsGateway:
    """An SMS gateway's webhook: checks the bearer token and the body's signature, keeps what it
    receives, answers `{"id": …}` or what `script` says for the next requests."""

    token: str = "sms-test-token"
    secret: str = "sms-test-secret"
    requests: list[dict[str, Any]] = field(default_factory=list)
    signatures: list[str] = field(default_factory=list)
    script: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    url: str = ""

    def answer(self, headers: Any, body: bytes) -> tuple[int, dict[str, Any]]:
        if headers.get("Authorization") != f"Bearer {self.token}":
            return 401, {"error": "unauthorized"}
        expected = "sha256=" + hmac.new(self.secret.encode(), body, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(headers.get("X-Atendo-Signature", ""), expected):
            return 403, {"error": "bad signature"}
        try:
            payload = json.loads(body)
        except ValueError:
            return 400, {"error": "invalid JSON"}
        if not str(payload.get("to", "")).startswith("+") or not payload.get("text"):
            return 422, {"error": "to and text are required"}
        with self.lock:
            self.requests.append(payload)
            self.signatures.append(headers["X-Atendo-Signature"])
            if self.script:
                return self.script.pop(0)
            n = len(self.requests)
        return 202, {"id": f"sms-{n:04d}", "status": "queued"}


def sms_gateway() -> Iterator[FakeSmsGateway]:
    fake = FakeSmsGateway()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            status, answer = fake.answer(self.headers, body)
            data = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    fake.url = f"http://127.0.0.1:{server.server_address[1]}/sms/send"
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
