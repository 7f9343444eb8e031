from __future__ import annotations

import json
import logging

from xiaofei.logs import JsonFormatter, request_id_var


def test_log_lines_are_json_with_the_request_id_and_extra_fields() -> None:
    record = logging.LogRecord("xiaofei.http", logging.INFO, __file__, 1, "request", (), None)
    record.status = 201
    token = request_id_var.set("abc123")
    try:
        line = json.loads(JsonFormatter().format(record))
    finally:
        request_id_var.reset(token)
    assert line["message"] == "request" and line["request_id"] == "abc123" and line["status"] == 201
    assert line["level"] == "INFO" and line["logger"] == "xiaofei.http"
