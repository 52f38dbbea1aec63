"""The deterministic parser on the phrasings on-call engineers type."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from incidentbot.core.catalog import Catalog, ServiceInfo
from incidentbot.evidence.pasted import pasted_error
from incidentbot.question.parse import MAX_QUESTION, parse_question
from incidentbot.question.timewords import parse_window

AT = datetime(2026, 3, 14, 14, 32, tzinfo=timezone.utc)
KNOWN = ["checkout", "payments", "cart", "api-gateway", "search-indexer"]


def t(h: int, m: int, day: int = 14) -> datetime:
    return datetime(2026, 3, day, h, m, tzinfo=timezone.utc)


@pytest.mark.parametrize("text,start,end", [
    ("last 30 minutes", t(14, 2), AT),
    ("in the past hour", t(13, 32), AT),
    ("past 45 mins", t(13, 47), AT),
    ("since 14:05", t(14, 5), AT),
    ("since 2pm", t(14, 0), AT),
    ("between 13:00 and 13:30 UTC", t(13, 0), t(13, 30)),
    ("between 13:00 and 13:30 CET", t(12, 0), t(12, 30)),
    ("from 14:00 to 14:10", t(14, 0), t(14, 10)),
    ("around 14:05", t(13, 50), t(14, 20)),
    ("since 23:00", t(23, 0, 13), AT),
    ("between 2026-03-14T10:00:00Z and 2026-03-14T10:05:00Z", t(10, 0), t(10, 5)),
    ("payments 2h", t(12, 32), AT),
])
def test_windows(text: str, start: datetime, end: datetime) -> None:
    w = parse_window(text, AT)
    assert w is not None
    assert (w.start, w.end) == (start, end)


def test_no_window_and_status_numbers_are_not_windows() -> None:
    assert parse_window("why is checkout throwing 500s?", AT) is None
    assert parse_window("took 30000ms", AT) is None


def test_absurd_window_is_capped() -> None:
    w = parse_window("errors in the last 10 years", AT)
    assert w is not None and w.capped and (AT - w.start).days == 30


def test_count_with_level_window_and_service() -> None:
    p = parse_question("how many errors did payments log between 14:00 and 14:30 UTC?", AT, KNOWN, Catalog())
    assert p.ask == "count" and p.services == ["payments"] and p.levels == ["error"] and not p.status
    assert (p.window.start, p.window.end) == (t(14, 0), t(14, 30))


@pytest.mark.parametrize("text,labels", [
    ("how many 5xx did checkout return?", ["5xx"]),
    ("any 502s on checkout?", ["502"]),
    ("why is checkout throwing 500s?", ["500"]),
    ("checkout returning status 503", ["503"]),
    ("4xx and 5xx on the gateway", ["4xx", "5xx"]),
])
def test_status(text: str, labels: list[str]) -> None:
    p = parse_question(text, AT, KNOWN, Catalog())
    assert sorted(s.label for s in p.status) == sorted(labels)
    assert p.levels == []


def test_levels_any_spelling_and_fatal_is_not_error() -> None:
    assert parse_question("count warnings from cart", AT, KNOWN, Catalog()).levels == ["warn"]
    assert parse_question("fatal errors in checkout", AT, KNOWN, Catalog()).levels == ["fatal"]


def test_quoted_text_and_mentions() -> None:
    p = parse_question('errors mentioning "deadline exceeded" in payments', AT, KNOWN, Catalog())
    assert p.text == ["deadline exceeded"] and p.services == ["payments"]
    p = parse_question("how many errors mentioning deadlock in cart?", AT, KNOWN, Catalog())
    assert "deadlock" in p.text


def test_services_fuzzy_alias_and_tie() -> None:
    catalog = Catalog({"checkout": ServiceInfo("checkout", aliases=["checkout-web"])})
    assert parse_question("wtf is paymnets doing", AT, KNOWN, catalog).services == ["payments"]
    assert parse_question("5xx on the gateway", AT, KNOWN, catalog).services == ["api-gateway"]
    assert parse_question("errors on checkout-web", AT, KNOWN, catalog).services == ["checkout"]
    p = parse_question("why is search slow", AT, KNOWN + ["search-api"], catalog)
    assert set(p.services) == {"search-indexer", "search-api"} and p.ambiguous


def test_unknown_service_is_reported() -> None:
    p = parse_question("why is zanzibar service failing?", AT, KNOWN, Catalog())
    assert p.services == [] and p.unknown_services == ["zanzibar"]


def test_exclusions() -> None:
    p = parse_question("5xx on checkout excluding health checks", AT, KNOWN, Catalog())
    assert "/healthz" in p.exclude_text
    p = parse_question('errors in cart not "cache miss"', AT, KNOWN, Catalog())
    assert "cache miss" in p.exclude_text


def test_versions_traces_hosts_and_grouping() -> None:
    p = parse_question("errors on version 2.31.0 from host checkout-7d9f-2, trace id 4bf92f3577b34da6", AT, KNOWN,
                       Catalog())
    assert p.versions == ["2.31.0"] and p.hosts == ["checkout-7d9f-2"] and p.traces == ["4bf92f3577b34da6"]
    assert p.services == [] and not p.unknown_services
    assert parse_question("which hosts are throwing 502s?", AT, KNOWN, Catalog()).group_by == "host"
    assert parse_question("top endpoints by 5xx in checkout", AT, KNOWN, Catalog()).group_by == "path"
    assert parse_question("errors per minute in cart", AT, KNOWN, Catalog()).group_by == "minute"


def test_counted_word_mention_and_head_part() -> None:
    known = ["risk-api", "kyc-api", "postgres-kyc", "notify"]
    catalog = Catalog({"notify": ServiceInfo("notify", depends_on=["sendgrid"])})
    assert parse_question("count x509 errors on risk-api", AT, known, catalog).text == ["x509"]
    assert parse_question("count risk-api errors", AT, known, catalog).text == []
    p = parse_question("notify errors mentioning sendgrid today", AT, known, catalog)
    assert p.services == ["notify"] and p.text == ["sendgrid"]
    assert parse_question("kyc 500s since 9:15", AT, known, catalog).services == ["kyc-api"]
    assert parse_question("fx errs last 90 mins", AT, known, catalog).levels == ["error"]
    p = parse_question('errors mentioning "Backend Error" around 14:10', AT, known, catalog)
    assert p.text == ["Backend Error"]


def test_since_an_event_at_a_time() -> None:
    w = parse_window("5xx since the rollback at 13:36", AT)
    assert w is not None and (w.start, w.end) == (t(13, 36), AT)


def test_pasted_stack_trace_gives_the_error_and_service() -> None:
    trace = ("can someone look at this?\n"
             "2026-03-14 14:04:07,112 ERROR [http-nio-8080-exec-7] c.shop.payments.ChargeService - "
             "connection pool exhausted after 30000ms waiting for a connection (pool payments-db, 10/10 busy)\n"
             + "".join(f"\tat com.shop.payments.ChargeService.charge(ChargeService.java:{i})\n" for i in range(200)))
    assert len(trace) > 5000
    p = parse_question(trace, AT, KNOWN, Catalog(), pasted=pasted_error(trace[:MAX_QUESTION]))
    assert p.ask == "investigate"
    assert p.text and p.text[0].startswith("connection pool exhausted")
    assert "30000" not in p.text[0]
    assert p.services == ["payments"]


def test_regions() -> None:
    p = parse_question("5xx on checkout in eu-west-1 since 14:00", AT, KNOWN, Catalog())
    assert p.regions == ["eu-west-1"] and p.services == ["checkout"]
