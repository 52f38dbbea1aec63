"""Questions as tired people type them: one pasted log line, vague asks, several services, typos."""
from __future__ import annotations

from datetime import UTC, datetime

from incidentbot.core.catalog import Catalog
from incidentbot.evidence.pasted import pasted_error
from incidentbot.question.parse import parse_question

AT = datetime(2026, 5, 2, 11, 30, tzinfo=UTC)
KNOWN = ["media-gateway", "image-store", "cdn-purger", "search-gateway", "mail-relay"]


def parse(text: str):
    """As the pipeline reads a question: the pasted-log reader first, then the parser."""
    return parse_question(text, AT, KNOWN, Catalog(), pasted=pasted_error(text))


def test_one_pasted_log_line_is_searched_by_what_failed() -> None:
    p = parse("seeing this: GET /v1/thumbnails 500: webp transcode failed: unsupported colorspace")
    assert p.ask == "investigate" and p.text == ["webp transcode failed: unsupported colorspace"]
    p = parse("anyone? smtp handshake with mx2.gmail.com failed: tls: protocol version not supported on mail-relay")
    assert p.text and "protocol version not supported" in p.text[0] and p.services == ["mail-relay"]


def test_an_ordinary_question_with_a_colon_is_not_a_pasted_line() -> None:
    p = parse("why is media-gateway failing: 500s since 10:05?")
    assert p.text == [] and p.services == ["media-gateway"] and p.window is not None


def test_vague_asks_still_find_the_service_and_window() -> None:
    assert parse("what's up with search").services == ["search-gateway"]
    p = parse("is it us or the CDN? cdn-purger warnings since 12:00 CEST")
    assert p.services == ["cdn-purger"] and p.levels == ["warn"] and p.window.start.hour == 10
    p = parse("something feels off with image-store since lunch")
    assert p.services == ["image-store"] and p.window.start.hour == 12 and p.window.start.day == 1
    p = parse("media-gateway and image-store errs snce 7:00 ET")
    assert sorted(p.services) == ["image-store", "media-gateway"] and p.window.start.hour == 11
