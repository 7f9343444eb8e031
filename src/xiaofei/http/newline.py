"""Every JSON answer ends with a newline, so that ``curl -s`` prints it on a line of its own instead of running it
into the next shell prompt (or the next answer, in a script).

Done once, at the ASGI boundary, for every answer whose media type is JSON (``application/json``,
``application/problem+json``, any ``…+json`` such as the OpenAPI document): the body gains a final ``\\n`` and
``Content-Length`` counts it. Nothing inside the application sees the difference: no ETag or cache holds
rendered bytes, and a JSON parser ignores the trailing whitespace. A compressed body, an answer without a body
(204, 304) and the answer to a ``HEAD`` are passed on untouched."""

from __future__ import annotations

from litestar.types import ASGIApp, Message, Receive, Scope, Send

_NO_BODY = (204, 304)


def _is_json(media_type: bytes) -> bool:
    media = media_type.split(b";", 1)[0].strip().lower()
    return media == b"application/json" or media.endswith(b"+json")


def json_newline_middleware(app: ASGIApp) -> ASGIApp:
    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("method") == "HEAD":
            await app(scope, receive, send)
            return
        appending = False

        async def send_with_newline(message: Message) -> None:
            nonlocal appending
            if message["type"] == "http.response.start":
                headers = [(bytes(k), bytes(v)) for k, v in message.get("headers", [])]
                names = {k.lower(): v for k, v in headers}
                appending = (message["status"] not in _NO_BODY and b"content-encoding" not in names
                             and _is_json(names.get(b"content-type", b"")))
                if appending and b"content-length" in names:
                    message = {**message, "headers": [
                        (k, str(int(v) + 1).encode() if k.lower() == b"content-length" else v) for k, v in headers]}
            elif message["type"] == "http.response.body" and appending and not message.get("more_body", False):
                message = {**message, "body": bytes(message.get("body", b"")) + b"\n"}
            await send(message)  # type: ignore[arg-type]

        await app(scope, receive, send_with_newline)

    return middleware
