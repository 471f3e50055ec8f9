"""A small OpenAI-compatible server on 127.0.0.1 that misbehaves on purpose.

    GET  /v1/models            the `models` answer (a model list by default)
    POST /v1/chat/completions  the `chat` answer: a stream of `chunks`, or a fault
    anything else              404, as a real server answers an endpoint it lacks

A `Reply` describes one answer: a status and body (401, 429 with Retry-After, 5xx,
JSON that is not JSON, the wrong content type), a stream that is cut mid-reply
(the socket closed without ending the body) or ends cleanly without [DONE], a stall
before the headers or mid-stream (bounded, released when the server closes), an
error event, or a whole JSON completion where a stream was asked for. `tls` serves
HTTPS with the given context (tests make it with trustme). Every request is kept in
`requests` (path, headers, JSON body).
"""

from __future__ import annotations

import json
import socket
import ssl
import sys
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

MAX_STALL_S = 20.0  # no fault holds a connection longer than this


@dataclass
class Reply:
    status: int = 200
    content_type: str = "text/event-stream"
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | None = None  # sent as is (not a stream) when set
    chunks: list[str] = field(default_factory=lambda: ["Hello", ",", " parrot", "!"])
    finish_reason: str = "stop"
    usage: dict[str, Any] | None = None
    raw_events: list[str] | None = None  # `data:` payloads sent instead of chunks
    cut_after: int | None = None  # close the socket after N chunks, body unfinished
    end_after: int | None = None  # end the body cleanly after N chunks: no finish, no [DONE]
    stall_before_s: float = 0.0  # wait before the status line
    stall_after: int | None = None  # after N chunks, stall until released (or MAX_STALL_S)
    chunk_delay_s: float = 0.0


def models_reply(*ids: str, owned_by: str = "test") -> Reply:
    data = {
        "object": "list",
        "data": [{"id": i, "object": "model", "owned_by": owned_by} for i in ids],
    }
    return Reply(content_type="application/json", body=json.dumps(data).encode())


def completion_chunk(text: str | None, finish: str | None = None) -> str:
    delta = {"content": text} if text is not None else {}
    return json.dumps(
        {
            "id": "chatcmpl-test",
            "object": "chat.completion.chunk",
            "model": "m",
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        }
    )


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that hung up mid-answer (Stop, a timeout, a kill) is what these tests
        # do on purpose: not worth a traceback on stderr.
        if not isinstance(sys.exc_info()[1], (ConnectionError, ssl.SSLError)):
            super().handle_error(request, client_address)


class FaultServer:
    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        self.models = models_reply("m")
        self.chat = Reply()
        self.requests: list[dict[str, Any]] = []
        self.release = threading.Event()
        self._tls = tls
        self._httpd: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        assert self._httpd is not None
        scheme = "https" if self._tls else "http"
        return f"{scheme}://127.0.0.1:{self._httpd.server_address[1]}"

    def __enter__(self) -> FaultServer:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                self._record(None)
                if self.path == "/v1/models":
                    self._answer(server.models)
                else:
                    self._answer(
                        Reply(
                            status=404,
                            content_type="application/json",
                            body=b'{"detail":"Not Found"}',
                        )
                    )

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                raw = self.rfile.read(length)
                try:
                    body = json.loads(raw)
                except ValueError:
                    body = None
                self._record(body)
                if self.path == "/v1/chat/completions":
                    self._answer(server.chat)
                else:
                    self._answer(
                        Reply(
                            status=404,
                            content_type="application/json",
                            body=b'{"detail":"Not Found"}',
                        )
                    )

            def _record(self, body: Any) -> None:
                server.requests.append(
                    {"path": self.path, "headers": dict(self.headers), "body": body}
                )

            def _answer(self, reply: Reply) -> None:
                if reply.stall_before_s:
                    server.release.wait(min(reply.stall_before_s, MAX_STALL_S))
                self.send_response(reply.status)
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Type", reply.content_type)
                if reply.body is not None:
                    self.send_header("Content-Length", str(len(reply.body)))
                    self.end_headers()
                    self.wfile.write(reply.body)
                    return
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                self._stream(reply)

            def _send_event(self, data: str) -> None:
                payload = f"data: {data}\n\n".encode()
                self.wfile.write(f"{len(payload):x}\r\n".encode() + payload + b"\r\n")
                self.wfile.flush()

            def _stream(self, reply: Reply) -> None:
                events = reply.raw_events
                if events is None:
                    events = [completion_chunk(t) for t in reply.chunks]
                for n, data in enumerate(events):
                    if n == reply.cut_after:
                        self._cut()
                        return
                    if n == reply.end_after:
                        self.wfile.write(b"0\r\n\r\n")
                        return
                    if n == reply.stall_after:
                        server.release.wait(MAX_STALL_S)
                    if reply.chunk_delay_s:
                        server.release.wait(reply.chunk_delay_s)
                    self._send_event(data)
                if reply.raw_events is None:
                    self._send_event(completion_chunk(None, reply.finish_reason))
                    if reply.usage is not None:
                        self._send_event(json.dumps({"choices": [], "usage": reply.usage}))
                    self._send_event("[DONE]")
                self.wfile.write(b"0\r\n\r\n")

            def _cut(self) -> None:
                self.wfile.flush()
                self.connection.shutdown(socket.SHUT_RDWR)
                self.close_connection = True

        self._httpd = _Server(("127.0.0.1", 0), Handler)
        if self._tls is not None:
            self._httpd.socket = self._tls.wrap_socket(self._httpd.socket, server_side=True)
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(5)
