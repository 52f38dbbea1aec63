"""JSON log lines: one object per line, masked, carrying the id of the investigation that logged it."""
from __future__ import annotations

import io
import json
import logging

from incidentbot.telemetry.context import investigation
from incidentbot.telemetry.logs import json_handler


def test_json_lines_are_masked_and_carry_the_investigation_id():
    stream = io.StringIO()
    logger = logging.getLogger("incidentbot.test-json")
    logger.propagate = False
    logger.setLevel(logging.INFO)
    handler = json_handler(stream)
    logger.addHandler(handler)
    try:
        with investigation("0123456789abcdef"):
            logger.warning("store said %s", "password=hunter2 for postgresql://bot:s3cret@db/x")
        logger.info("outside", extra={"hits": 12})
    finally:
        logger.removeHandler(handler)
    first, second = (json.loads(line) for line in stream.getvalue().splitlines())
    assert first["investigation_id"] == "0123456789abcdef" and first["level"] == "WARNING"
    assert "hunter2" not in first["message"] and "s3cret" not in first["message"]
    assert second["investigation_id"] is None and second["hits"] == 12 and second["logger"] == "incidentbot.test-json"
