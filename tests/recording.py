"""Records one real request and answer per operation while the suite runs, for the OpenAPI document's examples.

``XIAOFEI_RECORD_EXAMPLES=1 python -m pytest tests/e2e`` writes ``src/xiaofei/http/examples.json``: for each
operation, the first successful call the end-to-end tests (the worked examples among them) made, its JSON body and
its JSON answer, secrets redacted. The file is committed; ``tests/e2e/test_openapi_document.py`` checks that every
operation has its examples and that each one fits its documented schema.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

EXAMPLES = Path(__file__).resolve().parents[1] / "src" / "xiaofei" / "http" / "examples.json"
_SECRET = re.compile(r"^xf_[A-Za-z0-9_-]{20,}$")


def _redact(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _redact(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_redact(v) for v in value[:3]]  # an example, not the whole list
    if isinstance(value, str) and _SECRET.match(value):
        return "xf_shown-once-keep-it-safe"
    return value


class Recorder:
    def __init__(self) -> None:
        self.seen: dict[str, dict[str, Any]] = {}

    def wrap(self, app: Any) -> Any:
        async def recording(scope: Any, receive: Any, send: Any) -> None:
            if scope["type"] != "http":
                await app(scope, receive, send)
                return
            body: list[bytes] = []
            answer: dict[str, Any] = {"body": []}

            async def receive_and_keep() -> Any:
                message = await receive()
                body.append(message.get("body", b""))
                return message

            async def send_and_keep(message: Any) -> None:
                if message["type"] == "http.response.start":
                    answer["status"] = message["status"]
                    answer["type"] = dict(message.get("headers", [])).get(b"content-type", b"").decode()
                elif message["type"] == "http.response.body":
                    answer["body"].append(message.get("body", b""))
                await send(message)

            await app(scope, receive_and_keep, send_and_keep)
            self._keep(scope, b"".join(body), answer)

        return recording

    def _keep(self, scope: Any, body: bytes, answer: dict[str, Any]) -> None:
        handler = scope.get("route_handler")
        operation = getattr(handler, "operation_id", None)
        if not isinstance(operation, str) or operation in self.seen or not 200 <= answer.get("status", 0) < 300:
            return
        if not answer["type"].startswith("application/json"):
            self.seen[operation] = {"status": answer["status"]}
            return
        headers = dict(scope.get("headers", []))
        request = None
        if headers.get(b"content-type", b"").startswith(b"application/json") and body:
            request = _redact(json.loads(body))
        self.seen[operation] = {"status": answer["status"], "request": request,
                                "response": _redact(json.loads(b"".join(answer["body"])))}

    def write(self, *, merge: bool = False) -> None:
        """Write the examples seen; with ``merge``, keep the file's examples of operations this run did not call
        (a test with a server of its own, such as national reporting's, records only its operations)."""
        kept = json.loads(EXAMPLES.read_text(encoding="utf-8")) if merge and EXAMPLES.exists() else {}
        EXAMPLES.write_text(json.dumps(dict(sorted({**kept, **self.seen}.items())), ensure_ascii=False, indent=1)
                            + "\n", encoding="utf-8")
