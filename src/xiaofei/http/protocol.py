"""The HTTP/1.1 connection protocol ``xiaofei serve`` runs under uvicorn: httptools', taking raw UTF-8 in the
request line.

curl sends ``/catalogue?q=绿茶`` as it is typed, the UTF-8 bytes unencoded; the parser refuses any byte above 0x7F in
a request target, and uvicorn answered a bare ``400 Invalid HTTP request received.`` in plain text before the
application saw the request. Here such bytes in the request line are percent-encoded (``%E7%BB%BF``) before the
parser reads them, which is what a browser does before sending: the application reads the same path and query as
from an encoded URL. Only the request line is touched, never headers or bodies.
"""

from __future__ import annotations

import re
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

_HIGH = re.compile(rb"[\x80-\xff]")


def _percent_encoded(raw: bytes) -> bytes:
    return _HIGH.sub(lambda m: b"%%%02X" % m.group()[0], raw)


class Utf8RequestLineProtocol(HttpToolsProtocol):
    """``HttpToolsProtocol`` with bytes above 0x7F in the request line percent-encoded. A request line is expected
    at the start of a connection and after each complete request (a request that arrives in the same read as the
    end of the previous one — HTTP pipelining, which no browser or curl uses — is passed on as it is)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._in_request_line = True

    def data_received(self, data: bytes) -> None:
        if self._in_request_line:
            end = data.find(b"\n")
            line, rest = (data, b"") if end < 0 else (data[:end], data[end:])
            self._in_request_line = end < 0
            if _HIGH.search(line):
                data = _percent_encoded(line) + rest
        super().data_received(data)

    def on_message_complete(self) -> None:
        self._in_request_line = True
        super().on_message_complete()


HTTP_PROTOCOL = Utf8RequestLineProtocol
"""What ``uvicorn.run(..., http=...)`` is given, by ``xiaofei serve`` and by the tests' servers alike."""
