#!/usr/bin/env python3
"""The question benchmark: questions as engineers type them, over every fixture scenario.

    python bench/questions/generate.py            # writes bench/questions/questions.json
    python bench/questions/generate.py --check    # fails if questions.json is not what it would write

Each question is written here with what it means (services exactly as the logs name them, the
window, levels, status filters, quoted or named text, exclusions); this script works out the
window's instants and the exact number of matching log documents from the fixtures' files, with
its own implementation of the counting rules of SCENARIOS.md (it shares no code with
fixtures/generate.py, tests/test_fixture_data.py or incidentbot/). Nothing asks a search server:
tests/test_question_benchmark.py checks that one agrees.

Output: a list of {"scenario", "ask", "at"?, "needs_data", "expect": {services, start, end, levels,
status, text, exclude?, hits}}. `needs_data` is true when the meaning cannot be read from the
words alone (none here: every question names its window, and the parser is given the services of
the scenario's logs and its catalog, which is all it needs).

Counting rules, as implemented below:
  * a document counts when its service is one of `services` and its @timestamp lies in
    [start, end], both ends included (millisecond precision);
  * levels: "error" matches error/err (any case), "warn" warn/warning, "info" info, "fatal"
    fatal/critical; several levels are OR'd;
  * status: "5xx" is 500-599, "4xx" 400-499, "502" exactly 502; several are OR'd; a document
    without a status never matches a status filter;
  * text: every phrase must occur in the message as consecutive whole tokens of the standard
    analyser (lower-cased; a phrase whose count would differ between a simple split on
    non-alphanumerics and a UAX#29-like split is refused, so the count does not hang on that);
  * exclude: "health" drops documents whose path starts with /health, /healthz, /ready, /readyz
    or /livez; any other value drops documents whose message contains it as a phrase.
Standard library only.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import sys
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
FIXTURES = os.path.join(REPO, "fixtures")
OUT = os.path.join(HERE, "questions.json")
HEALTH = ("/health", "/healthz", "/ready", "/readyz", "/livez")

# --------------------------------------------------------------------------------------------
# The questions. (scenario, ask, meaning); meaning keys:
#   s: services, w: window, l: levels, c: status ("5xx", "4xx" or an int), t: text phrases,
#   x: exclusions ("health" or a phrase), at: "HH:MM" asked at (default: the scenario's now)
#   latency questions: sy: "latency", slow: ms ("slower than"), p: a percentile, g: "path" (slowest endpoints);
#   a latency count counts requests with a measured duration (slower than `slow` when given)
# windows: ("last", minutes) | ("since", "HH:MM") | ("between", "HH:MM", "HH:MM")
#          | ("around", "HH:MM") (+-15 min) | ("today",) (midnight to the question)
#          ("since"/"between" may end with an IANA zone name: the times are that zone's wall clock)
# --------------------------------------------------------------------------------------------

LATENCY_Q = [
    ("search-highlighter-deploy-latency", "is search-api slow since 11:00?",
     dict(s=["search-api"], w=("since", "11:00"), sy="latency")),
    ("search-highlighter-deploy-latency", "what's the p99 of search-api over the last hour?",
     dict(s=["search-api"], w=("last", 60), sy="latency", p=99)),
    ("search-highlighter-deploy-latency", "how many search-api requests were slower than 800ms since 11:00?",
     dict(s=["search-api"], w=("since", "11:00"), sy="latency", slow=800)),
    ("search-highlighter-deploy-latency", "slowest endpoints of search-api in the last 30 min",
     dict(s=["search-api"], w=("last", 30), sy="latency", g="path")),
    ("checkout-traffic-latency", "checkout-api p95 last 45 minutes",
     dict(s=["checkout-api"], w=("last", 45), sy="latency", p=95)),
    ("checkout-traffic-latency", "how many checkout-api requests took over 2s since 20:00?",
     dict(s=["checkout-api"], w=("since", "20:00"), sy="latency", slow=2000)),
    ("checkout-traffic-latency", "why is checkout-api so sluggish since 19:45",
     dict(s=["checkout-api"], w=("since", "19:45"), sy="latency")),
    ("ledger-canary-deploy", "ledger-api latency since 14:30",
     dict(s=["ledger-api"], w=("since", "14:30"), sy="latency")),
    ("booking-availability-pool", "how many booking-api requests were slower than 1500ms in the last 30 min?",
     dict(s=["booking-api"], w=("last", 30), sy="latency", slow=1500)),
    ("orders-inventory-deploy", "median response time of orders-api in the last hour",
     dict(s=["orders-api"], w=("last", 60), sy="latency", p=50)),
    ("media-thumbs-cache-latency", "thumbnail-store response times since 12:00?",
     dict(s=["thumbnail-store"], w=("since", "12:00"), sy="latency")),
]

Q = [
    # ledger-canary-deploy (now 15:20, onset 14:47)
    ("ledger-canary-deploy", "how many 5xx did ledger-api return in the last 30 min?",
     dict(s=["ledger-api"], w=("last", 30), c=["5xx"])),
    ("ledger-canary-deploy", "ledgr-api errors since 14:30?",
     dict(s=["ledger-api"], w=("since", "14:30"), l=["error"])),
    ("ledger-canary-deploy", 'count "duplicate key" errors in ledger-api past hour',
     dict(s=["ledger-api"], w=("last", 60), l=["error"], t=["duplicate key"])),
    ("ledger-canary-deploy", "how many 500s on ledger-api between 14:45 and 15:00",
     dict(s=["ledger-api"], w=("between", "14:45", "15:00"), c=[500])),
    ("ledger-canary-deploy", "number of warnings from statement-worker in the last 2 hours",
     dict(s=["statement-worker"], w=("last", 120), l=["warn"])),
    ("ledger-canary-deploy", "how many errors did account-service log today?",
     dict(s=["account-service"], w=("today",), l=["error"])),
    ("ledger-canary-deploy", "fx-rates errs last 90 mins",
     dict(s=["fx-rates"], w=("last", 90), l=["error"])),
    ("ledger-canary-deploy", 'how many ledger-api errors in the past hour not "duplicate key"',
     dict(s=["ledger-api"], w=("last", 60), l=["error"], x=["duplicate key"])),

    # booking-availability-pool (now 09:45, onset 09:12)
    ("booking-availability-pool", "any 502s on booking since 9am?",
     dict(s=["booking-api"], w=("since", "09:00"), c=[502])),
    ("booking-availability-pool", "how many errors did availability-svc log in the past 45 minutes",
     dict(s=["availability-svc"], w=("last", 45), l=["error"])),
    ("booking-availability-pool", 'how many "pool exhausted" errors on availability-svc since 09:00 UTC?',
     dict(s=["availability-svc"], w=("since", "09:00"), l=["error"], t=["pool exhausted"])),
    ("booking-availability-pool", "availabilty-svc 503s around 09:15",
     dict(s=["availability-svc"], w=("around", "09:15"), c=[503])),
    ("booking-availability-pool", "how many 5XX from search-gateway in the last 2h",
     dict(s=["search-gateway"], w=("last", 120), c=["5xx"])),
    ("booking-availability-pool", "count booking-api warnings last hour",
     dict(s=["booking-api"], w=("last", 60), l=["warn"])),
    ("booking-availability-pool", "how many 404s did guest-profile return in the past 2 hours?",
     dict(s=["guest-profile"], w=("last", 120), c=[404])),
    ("booking-availability-pool", "wtf is booking-api doing, how many 5xx from 09:00 to 09:30",
     dict(s=["booking-api"], w=("between", "09:00", "09:30"), c=["5xx"])),

    # thumbnail-webp-flag (now 11:30, onset 10:52)
    ("thumbnail-webp-flag", "any 5xx on gateway since 10:30?",
     dict(s=["media-gateway"], w=("since", "10:30"), c=["5xx"])),
    ("thumbnail-webp-flag", 'how many errors mentioning "unsupported colorspace" in media-gateway over the last hour',
     dict(s=["media-gateway"], w=("last", 60), l=["error"], t=["unsupported colorspace"])),
    ("thumbnail-webp-flag", "how many 500s did media-gateway throw between 10:50 and 11:20",
     dict(s=["media-gateway"], w=("between", "10:50", "11:20"), c=[500])),
    ("thumbnail-webp-flag", "image-store errors in the last 2 hours, how many?",
     dict(s=["image-store"], w=("last", 120), l=["error"])),
    ("thumbnail-webp-flag", "count warns from cdn-purger today",
     dict(s=["cdn-purger"], w=("today",), l=["warn"])),
    ("thumbnail-webp-flag", "how many errors containing webp in media-gateway in the last 30 minutes?",
     dict(s=["media-gateway"], w=("last", 30), l=["error"], t=["webp"])),
    ("thumbnail-webp-flag", "upload-scanner error count past 90 minutes",
     dict(s=["upload-scanner"], w=("last", 90), l=["error"])),

    # coredns-forward-zone (now 16:10, onset 15:34)
    ("coredns-forward-zone", "how many errors did tracking-worker log since 15:00?",
     dict(s=["tracking-worker"], w=("since", "15:00"), l=["error"])),
    ("coredns-forward-zone", 'how many "no such host" errors in shipping-api in the last 40 minutes',
     dict(s=["shipping-api"], w=("last", 40), l=["error"], t=["no such host"])),
    ("coredns-forward-zone", "503s on label-service between 15:30 and 16:00 UTC",
     dict(s=["label-service"], w=("between", "15:30", "16:00"), c=[503])),
    ("coredns-forward-zone", "shiping-api 5xx past hour",
     dict(s=["shipping-api"], w=("last", 60), c=["5xx"])),
    ("coredns-forward-zone", "count warnings from carrier-sync in the last 2 hours",
     dict(s=["carrier-sync"], w=("last", 120), l=["warn"])),
    ("coredns-forward-zone", "how many ERROR lines from label-service around 15:40",
     dict(s=["label-service"], w=("around", "15:40"), l=["error"])),
    ("coredns-forward-zone", "tracking-worker errors mentioning lookup since 3pm",
     dict(s=["tracking-worker"], w=("since", "15:00"), l=["error"], t=["lookup"])),

    # twilio-sms-outage (now 08:25, onset 07:58)
    ("twilio-sms-outage", "how many 502s did otp-service return in the last 20 minutes?",
     dict(s=["otp-service"], w=("last", 20), c=[502])),
    ("twilio-sms-outage", 'count errors with "Service Unavailable" from sms-dispatcher past hour',
     dict(s=["sms-dispatcher"], w=("last", 60), l=["error"], t=["Service Unavailable"])),
    ("twilio-sms-outage", "how many warnings did auth-gateway log since 07:00",
     dict(s=["auth-gateway"], w=("since", "07:00"), l=["warn"])),
    ("twilio-sms-outage", "sms-dispatcher errors since 7:30am",
     dict(s=["sms-dispatcher"], w=("since", "07:30"), l=["error"])),
    ("twilio-sms-outage", "otp-servce 5xx in the last hour",
     dict(s=["otp-service"], w=("last", 60), c=["5xx"])),
    ("twilio-sms-outage", "how many errors did user-prefs log in the last 2 hours",
     dict(s=["user-prefs"], w=("last", 120), l=["error"])),
    ("twilio-sms-outage", "number of 500s from otp-service between 07:00 and 08:00",
     dict(s=["otp-service"], w=("between", "07:00", "08:00"), c=[500])),

    # pricing-deploy-rollback (now 13:15, onset 12:24, rollback 12:41)
    ("pricing-deploy-rollback", "how many errors did pricing-engine log between 12:20 and 12:50 UTC?",
     dict(s=["pricing-engine"], w=("between", "12:20", "12:50"), l=["error"])),
    ("pricing-deploy-rollback", "quote-api 5xx last 2 hours",
     dict(s=["quote-api"], w=("last", 120), c=["5xx"])),
    ("pricing-deploy-rollback", 'how many errors mentioning "NullPointerException" on pricing-engine in the past hour?',
     dict(s=["pricing-engine"], w=("last", 60), l=["error"], t=["NullPointerException"])),
    ("pricing-deploy-rollback", "any 502s on quote-api since 12:40",
     dict(s=["quote-api"], w=("since", "12:40"), c=[502])),
    ("pricing-deploy-rollback", "quote-api errors mentioning deadlock in the last 2 hours",
     dict(s=["quote-api"], w=("last", 120), l=["error"], t=["deadlock"])),
    ("pricing-deploy-rollback", "how many 500s did tax-calculator return today",
     dict(s=["tax-calculator"], w=("today",), c=[500])),
    ("pricing-deploy-rollback", "pricing-engine warnings around 12:30",
     dict(s=["pricing-engine"], w=("around", "12:30"), l=["warn"])),

    # quiet-search-latency (now 17:50)
    ("quiet-search-latency", "count warnings from query-planner since 16:30",
     dict(s=["query-planner"], w=("since", "16:30"), l=["warn"])),
    ("quiet-search-latency", "how many errors did index-shard log in the past hour?",
     dict(s=["index-shard"], w=("last", 60), l=["error"])),
    ("quiet-search-latency", "index-shard 503s last 2h",
     dict(s=["index-shard"], w=("last", 120), c=[503])),
    ("quiet-search-latency", "query-planer 500s in the last hour",
     dict(s=["query-planner"], w=("last", 60), c=[500])),
    ("quiet-search-latency", 'how many "full scan" warnings on query-planner in the last 90 minutes',
     dict(s=["query-planner"], w=("last", 90), l=["warn"], t=["full scan"])),
    ("quiet-search-latency", "how many 404s from spellcheck since 5pm",
     dict(s=["spellcheck"], w=("since", "17:00"), c=[404])),
    ("quiet-search-latency", "is index-shard throwing errors? last 30 mins",
     dict(s=["index-shard"], w=("last", 30), l=["error"])),

    # orders-inventory-deploy (now 10:30, onset 09:52)
    ("orders-inventory-deploy", "how many 500s did orders return in the last 30 minutes?",
     dict(s=["orders-api"], w=("last", 30), c=[500])),
    ("orders-inventory-deploy", "inventory-service errors between 09:45 and 10:15",
     dict(s=["inventory-service"], w=("between", "09:45", "10:15"), l=["error"])),
    ("orders-inventory-deploy", 'count "deadline exceeded" in inventory-service since 9:30',
     dict(s=["inventory-service"], w=("since", "09:30"), t=["deadline exceeded"])),
    ("orders-inventory-deploy", "inventry-service 503s past hour",
     dict(s=["inventory-service"], w=("last", 60), c=[503])),
    ("orders-inventory-deploy", "how many warnings from fulfillment-router in the last 2 hours",
     dict(s=["fulfillment-router"], w=("last", 120), l=["warn"])),
    ("orders-inventory-deploy", "customer-notify errors mentioning sendgrid today",
     dict(s=["customer-notify"], w=("today",), l=["error"], t=["sendgrid"])),
    ("orders-inventory-deploy", "how many 5xx on orders-api around 10:00",
     dict(s=["orders-api"], w=("around", "10:00"), c=["5xx"])),

    # cart-promo-rules-deploy (now 16:55, onset 16:21)
    ("cart-promo-rules-deploy", "how many 5xx did cart return in the last 45 minutes?",
     dict(s=["cart-api"], w=("last", 45), c=["5xx"])),
    ("cart-promo-rules-deploy", 'errors mentioning "unknown operator" in promo-rules over the past 2 hours',
     dict(s=["promo-rules"], w=("last", 120), l=["error"], t=["unknown operator"])),
    ("cart-promo-rules-deploy", "how many log lines did cart-api write in the last 30 minutes, excluding health checks?",
     dict(s=["cart-api"], w=("last", 30), x=["health"])),
    ("cart-promo-rules-deploy", "how many 200s from cart-api since 16:00 excluding health checks",
     dict(s=["cart-api"], w=("since", "16:00"), c=[200], x=["health"])),
    ("cart-promo-rules-deploy", "promo-rules 500s since 4pm",
     dict(s=["promo-rules"], w=("since", "16:00"), c=[500])),
    ("cart-promo-rules-deploy", "count cart-api warnings since 3pm",
     dict(s=["cart-api"], w=("since", "15:00"), l=["warn"])),
    ("cart-promo-rules-deploy", "promo-rulez errors between 16:15 and 16:45",
     dict(s=["promo-rules"], w=("between", "16:15", "16:45"), l=["error"])),
    ("cart-promo-rules-deploy", "any 4xx on cart-api in the last hour?",
     dict(s=["cart-api"], w=("last", 60), c=["4xx"])),

    # checkout-latent-surcharge-config (now 10:50, onset 10:16)
    ("checkout-latent-surcharge-config", "checkout 502s since 10:00?",
     dict(s=["checkout-api"], w=("since", "10:00"), c=[502])),
    ("checkout-latent-surcharge-config", "how many errors did shipping-quote log between 10:00 and 10:30 UTC?",
     dict(s=["shipping-quote"], w=("between", "10:00", "10:30"), l=["error"])),
    ("checkout-latent-surcharge-config", 'how many "division by zero" errors in shipping-quote in the last 30 minutes',
     dict(s=["shipping-quote"], w=("last", 30), l=["error"], t=["division by zero"])),
    ("checkout-latent-surcharge-config", "shipping-qoute 500s past hour",
     dict(s=["shipping-quote"], w=("last", 60), c=[500])),
    ("checkout-latent-surcharge-config", "warnings on checkout-api in the past 2 hours",
     dict(s=["checkout-api"], w=("last", 120), l=["warn"])),
    ("checkout-latent-surcharge-config", "how many errors from checkout-api around 10:20?",
     dict(s=["checkout-api"], w=("around", "10:20"), l=["error"])),
    ("checkout-latent-surcharge-config", "shipping-quote errors mentioning surcharge today",
     dict(s=["shipping-quote"], w=("today",), l=["error"], t=["surcharge"])),

    # webhook-retry-storm (now 14:10, precursor warnings from 13:06, onset 13:41)
    ("webhook-retry-storm", "count warnings from webhook-dispatcher since 1pm",
     dict(s=["webhook-dispatcher"], w=("since", "13:00"), l=["warn"])),
    ("webhook-retry-storm", "how many errors did webhook-dispatcher log in the last 45 minutes?",
     dict(s=["webhook-dispatcher"], w=("last", 45), l=["error"])),
    ("webhook-retry-storm", 'how many "retry queue full" errors on webhook-dispatcher between 13:30 and 14:00',
     dict(s=["webhook-dispatcher"], w=("between", "13:30", "14:00"), l=["error"], t=["retry queue full"])),
    ("webhook-retry-storm", 'webhook-dispatcher warns mentioning "soft limit" in the last 90 minutes',
     dict(s=["webhook-dispatcher"], w=("last", 90), l=["warn"], t=["soft limit"])),
    ("webhook-retry-storm", "webhok-dispatcher errors and warnings last hour",
     dict(s=["webhook-dispatcher"], w=("last", 60), l=["error", "warn"])),
    ("webhook-retry-storm", "how many warnings did event-bus log in the past 2 hours",
     dict(s=["event-bus"], w=("last", 120), l=["warn"])),
    ("webhook-retry-storm", "partner-portal slow request warnings since 12:00",
     dict(s=["partner-portal"], w=("since", "12:00"), l=["warn"])),

    # mesh-cert-rotation (now 11:40, onset 11:02)
    ("mesh-cert-rotation", "how many 503s did payments-gw return around 11:10?",
     dict(s=["payments-gw"], w=("around", "11:10"), c=[503])),
    ("mesh-cert-rotation", "any 5xx on pgw since 11am?",
     dict(s=["payments-gw"], w=("since", "11:00"), c=["5xx"])),
    ("mesh-cert-rotation", 'how many errors mentioning "unknown authority" in ledger-sync in the past hour?',
     dict(s=["ledger-sync"], w=("last", 60), l=["error"], t=["unknown authority"])),
    ("mesh-cert-rotation", "risk-api errors since 11:00",
     dict(s=["risk-api"], w=("since", "11:00"), l=["error"])),
    ("mesh-cert-rotation", 'count x509 errors on risk-api in the last 30 minutes',
     dict(s=["risk-api"], w=("last", 30), l=["error"], t=["x509"])),
    ("mesh-cert-rotation", "how many warnings did risk-api log in the last 2 hours",
     dict(s=["risk-api"], w=("last", 120), l=["warn"])),
    ("mesh-cert-rotation", "ledger-snyc errors between 10:30 and 11:30",
     dict(s=["ledger-sync"], w=("between", "10:30", "11:30"), l=["error"])),
    ("mesh-cert-rotation", "merchant-portal warnings in the past 90 minutes",
     dict(s=["merchant-portal"], w=("last", 90), l=["warn"])),

    # node-pool-kernel-upgrade (now 03:30, onset 02:47)
    ("node-pool-kernel-upgrade", "how many 502s did listing-svc return in the last 30 minutes?",
     dict(s=["listing-svc"], w=("last", 30), c=[502])),
    ("node-pool-kernel-upgrade", 'errors mentioning "connection reset by peer" in image-resizer in the past hour',
     dict(s=["image-resizer"], w=("last", 60), l=["error"], t=["connection reset by peer"])),
    ("node-pool-kernel-upgrade", "count warnings from search-api since 02:00",
     dict(s=["search-api"], w=("since", "02:00"), l=["warn"])),
    ("node-pool-kernel-upgrade", "search-api 500s between 02:40 and 03:10",
     dict(s=["search-api"], w=("between", "02:40", "03:10"), c=[500])),
    ("node-pool-kernel-upgrade", "listing-svc 5xx since 2am",
     dict(s=["listing-svc"], w=("since", "02:00"), c=["5xx"])),
    ("node-pool-kernel-upgrade", "image-resizer errors last 2 hours",
     dict(s=["image-resizer"], w=("last", 120), l=["error"])),
    ("node-pool-kernel-upgrade", "how many errors on listing-svc around 02:50",
     dict(s=["listing-svc"], w=("around", "02:50"), l=["error"])),

    # gcs-provider-blip (now 09:40, 09:03-09:19)
    ("gcs-provider-blip", "how many 503s did asset-uploader return between 09:00 and 09:30 UTC?",
     dict(s=["asset-uploader"], w=("between", "09:00", "09:30"), c=[503])),
    ("gcs-provider-blip", "report-exporter errors in the last 45 minutes",
     dict(s=["report-exporter"], w=("last", 45), l=["error"])),
    ("gcs-provider-blip", 'count "backendError" errors in thumbnailer in the past hour',
     dict(s=["thumbnailer"], w=("last", 60), l=["error"], t=["backendError"])),
    ("gcs-provider-blip", "uploader 5xx since 9am",
     dict(s=["asset-uploader"], w=("since", "09:00"), c=["5xx"])),
    ("gcs-provider-blip", "thumbnailer errors today",
     dict(s=["thumbnailer"], w=("today",), l=["error"])),
    ("gcs-provider-blip", "how many warnings did report-exporter log in the last 2 hours?",
     dict(s=["report-exporter"], w=("last", 120), l=["warn"])),
    ("gcs-provider-blip", 'asset-uploader errors mentioning "Backend Error" around 09:10',
     dict(s=["asset-uploader"], w=("around", "09:10"), l=["error"], t=["Backend Error"])),

    # catalog-traffic-surge (now 19:30, onset 18:58)
    ("catalog-traffic-surge", "how many 5xx did catalog-api return in the past 30 minutes?",
     dict(s=["catalog-api"], w=("last", 30), c=["5xx"])),
    ("catalog-traffic-surge", "bff 502s since 18:30",
     dict(s=["mobile-bff"], w=("since", "18:30"), c=[502])),
    ("catalog-traffic-surge", "count warnings from reviews-svc in the last 2 hours",
     dict(s=["reviews-svc"], w=("last", 120), l=["warn"])),
    ("catalog-traffic-surge", 'how many "too many connections" errors on catalog-api since 6pm',
     dict(s=["catalog-api"], w=("since", "18:00"), l=["error"], t=["too many connections"])),
    ("catalog-traffic-surge", "how many 200s did catalog-api serve in the last 30 minutes?",
     dict(s=["catalog-api"], w=("last", 30), c=[200])),
    ("catalog-traffic-surge", "mobile-bf errors past hour",
     dict(s=["mobile-bff"], w=("last", 60), l=["error"])),
    ("catalog-traffic-surge", "catalog-api 503s between 18:55 and 19:25",
     dict(s=["catalog-api"], w=("between", "18:55", "19:25"), c=[503])),

    # invoice-schema-migration (now 06:45, onset 06:02)
    ("invoice-schema-migration", "how many errors did invoice-worker log since 6am?",
     dict(s=["invoice-worker"], w=("since", "06:00"), l=["error"])),
    ("invoice-schema-migration", 'invoice-worker errors with "does not exist" in the last 30 minutes',
     dict(s=["invoice-worker"], w=("last", 30), l=["error"], t=["does not exist"])),
    ("invoice-schema-migration", "how many warnings did order-api log in the past 2 hours?",
     dict(s=["order-api"], w=("last", 120), l=["warn"])),
    ("invoice-schema-migration", "invoce-worker errors past hour",
     dict(s=["invoice-worker"], w=("last", 60), l=["error"])),
    ("invoice-schema-migration", "order-api 409s today",
     dict(s=["order-api"], w=("today",), c=[409])),
    ("invoice-schema-migration", "invoice-worker errors mentioning column between 05:45 and 06:15",
     dict(s=["invoice-worker"], w=("between", "05:45", "06:15"), l=["error"], t=["column"])),
    ("invoice-schema-migration", "how many info logs did mailer write in the last hour?",
     dict(s=["mailer"], w=("last", 60), l=["info"])),

    # sessions-vacuum-manual (now 15:25, onset 14:51)
    ("sessions-vacuum-manual", "how many 503s did auth-api return in the last 45 minutes?",
     dict(s=["auth-api"], w=("last", 45), c=[503])),
    ("sessions-vacuum-manual", "count warnings from pgbouncer-auth since 2pm",
     dict(s=["pgbouncer-auth"], w=("since", "14:00"), l=["warn"])),
    ("sessions-vacuum-manual", 'how many errors mentioning "lock timeout" in auth-api between 14:45 and 15:15 UTC?',
     dict(s=["auth-api"], w=("between", "14:45", "15:15"), l=["error"], t=["lock timeout"])),
    ("sessions-vacuum-manual", "auth-api 5xx around 14:55",
     dict(s=["auth-api"], w=("around", "14:55"), c=["5xx"])),
    ("sessions-vacuum-manual", "auth-api warnings in the last hour excluding \"bad password\"",
     dict(s=["auth-api"], w=("last", 60), l=["warn"], x=["bad password"])),
    ("sessions-vacuum-manual", "pgbouncer warns last 30 min",
     dict(s=["pgbouncer-auth"], w=("last", 30), l=["warn"])),
    ("sessions-vacuum-manual", "how many 500s from auth-api in the past 2 hours",
     dict(s=["auth-api"], w=("last", 120), c=[500])),

    # billing-stripe-api-version (now 17:20, onset 16:41)
    ("billing-stripe-api-version", "how many 502s did billing-api return in the past 30 minutes?",
     dict(s=["billing-api"], w=("last", 30), c=[502])),
    ("billing-stripe-api-version", 'subscription-svc errors mentioning "unknown parameter" since 16:00',
     dict(s=["subscription-svc"], w=("since", "16:00"), l=["error"], t=["unknown parameter"])),
    ("billing-stripe-api-version", "how many errors did billing-api log around 16:45?",
     dict(s=["billing-api"], w=("around", "16:45"), l=["error"])),
    ("billing-stripe-api-version", "billing 5xx since 4pm",
     dict(s=["billing-api"], w=("since", "16:00"), c=["5xx"])),
    ("billing-stripe-api-version", "how many 402s from billing-api in the last 2 hours",
     dict(s=["billing-api"], w=("last", 120), c=[402])),
    ("billing-stripe-api-version", "how many requests did billing-api log in the last 30 minutes excluding healthchecks",
     dict(s=["billing-api"], w=("last", 30), x=["health"])),
    ("billing-stripe-api-version", "dunning-worker warnings today",
     dict(s=["dunning-worker"], w=("today",), l=["warn"])),
    ("billing-stripe-api-version", "subscripton-svc errors in the last hour",
     dict(s=["subscription-svc"], w=("last", 60), l=["error"])),

    # search-analyzer-config-rollback (now 12:15, onset 11:28, until 11:53)
    ("search-analyzer-config-rollback", "how many 500s did search-api return between 11:20 and 11:50 UTC?",
     dict(s=["search-api"], w=("between", "11:20", "11:50"), c=[500])),
    ("search-analyzer-config-rollback", 'count "synonym_graph" errors in search-api in the past hour',
     dict(s=["search-api"], w=("last", 60), l=["error"], t=["synonym_graph"])),
    ("search-analyzer-config-rollback", "count warnings from indexer in the last 2 hours",
     dict(s=["indexer"], w=("last", 120), l=["warn"])),
    ("search-analyzer-config-rollback", "search-api 5xx since the rollback at 11:36",
     dict(s=["search-api"], w=("since", "11:36"), c=["5xx"])),
    ("search-analyzer-config-rollback", "search-api errors in the last 20 minutes",
     dict(s=["search-api"], w=("last", 20), l=["error"])),
    ("search-analyzer-config-rollback", "how many 404s did synonyms-svc return today",
     dict(s=["synonyms-svc"], w=("today",), c=[404])),
    ("search-analyzer-config-rollback", "search-api errors mentioning decompounding around 11:40",
     dict(s=["search-api"], w=("around", "11:40"), l=["error"], t=["decompounding"])),

    # storefront-ranker-flag (now 20:40, onset 20:06)
    ("storefront-ranker-flag", "how many 5xx did recs-ranker return in the last 30 minutes?",
     dict(s=["recs-ranker"], w=("last", 30), c=["5xx"])),
    ("storefront-ranker-flag", "sf 502s since 8pm",
     dict(s=["storefront-api"], w=("since", "20:00"), c=[502])),
    ("storefront-ranker-flag", 'recs-ranker errors mentioning "dimension mismatch" in the past hour',
     dict(s=["recs-ranker"], w=("last", 60), l=["error"], t=["dimension mismatch"])),
    ("storefront-ranker-flag", "how many 200s did storefront serve in the last hour excluding health checks",
     dict(s=["storefront-api"], w=("last", 60), c=[200], x=["health"])),
    ("storefront-ranker-flag", "storefront-api warnings last 2h",
     dict(s=["storefront-api"], w=("last", 120), l=["warn"])),
    ("storefront-ranker-flag", "recs-rankr errors between 19:30 and 20:00",
     dict(s=["recs-ranker"], w=("between", "19:30", "20:00"), l=["error"])),
    ("storefront-ranker-flag", "how many 400s on embeddings-svc in the past 90 minutes",
     dict(s=["embeddings-svc"], w=("last", 90), c=[400])),

    # vault-egress-netpol (now 10:05, 09:31-09:47)
    ("vault-egress-netpol", "how many 5xx did kyc-api return between 09:30 and 10:00 UTC?",
     dict(s=["kyc-api"], w=("between", "09:30", "10:00"), c=["5xx"])),
    ("vault-egress-netpol", 'payout-worker errors mentioning "i/o timeout" in the last 45 minutes',
     dict(s=["payout-worker"], w=("last", 45), l=["error"], t=["i/o timeout"])),
    ("vault-egress-netpol", "count warnings from kyc-api since 8am",
     dict(s=["kyc-api"], w=("since", "08:00"), l=["warn"])),
    ("vault-egress-netpol", "ledger-writer errors around 09:40",
     dict(s=["ledger-writer"], w=("around", "09:40"), l=["error"])),
    ("vault-egress-netpol", "how many log lines from kyc-api in the past hour excluding health checks",
     dict(s=["kyc-api"], w=("last", 60), x=["health"])),
    ("vault-egress-netpol", "kyc 500s since 9:15",
     dict(s=["kyc-api"], w=("since", "09:15"), c=[500])),
    ("vault-egress-netpol", 'how many "vault login failed" errors in ledger-writer today?',
     dict(s=["ledger-writer"], w=("today",), l=["error"], t=["vault login failed"])),
    ("vault-egress-netpol", "payout-worker errors last 2 hours",
     dict(s=["payout-worker"], w=("last", 120), l=["error"])),

    # asked earlier than the scenario's now
    ("ledger-canary-deploy", "ledger-api 500s in the last 10 minutes", dict(s=["ledger-api"], w=("last", 10), c=[500], at="14:55")),
    ("orders-inventory-deploy", "how many errors did inventory-service log in the last 15 minutes?",
     dict(s=["inventory-service"], w=("last", 15), l=["error"], at="10:00")),
    ("coredns-forward-zone", "tracking-worker errors last 5 minutes", dict(s=["tracking-worker"], w=("last", 5), l=["error"], at="15:40")),
    ("mesh-cert-rotation", "payments-gw 503s since 11:00", dict(s=["payments-gw"], w=("since", "11:00"), c=[503], at="11:15")),
    ("webhook-retry-storm", "webhook-dispatcher warnings in the last 30 minutes",
     dict(s=["webhook-dispatcher"], w=("last", 30), l=["warn"], at="13:35")),
    ("storefront-ranker-flag", "recs-ranker 500s in the last 10 min", dict(s=["recs-ranker"], w=("last", 10), c=[500], at="20:12")),

    # time zones by abbreviation, region word and IANA name, with daylight time (the dates decide the offset)
    ("ledger-canary-deploy", "ledger-api errors since 7:30 Pacific",
     dict(s=["ledger-api"], w=("since", "07:30", "America/Los_Angeles"), l=["error"])),
    ("ledger-canary-deploy", "ledgr-api 500s since 8am PT??",
     dict(s=["ledger-api"], w=("since", "08:00", "America/Los_Angeles"), c=[500])),
    ("ledger-canary-deploy", "how many 5xx from ledger-api since 15:00 BST",
     dict(s=["ledger-api"], w=("since", "15:00", "Europe/London"), c=["5xx"])),
    ("ledger-canary-deploy", "statement-worker warnings from 10 ET",
     dict(s=["statement-worker"], w=("since", "10:00", "America/New_York"), l=["warn"])),
    ("ledger-canary-deploy", "ledger-api errors since 6:00 PT",
     dict(s=["ledger-api"], w=("since", "06:00", "America/Los_Angeles"), l=["error"])),
    ("ledger-canary-deploy", "account-service errors since 6:00 ET",
     dict(s=["account-service"], w=("since", "06:00", "America/New_York"), l=["error"])),
    ("booking-availability-pool", "availability-svc errors since the 09:12 rollout",
     dict(s=["availability-svc"], w=("since", "09:12"), l=["error"])),
    ("booking-availability-pool", "booking-api 502s between 5 and 5:30 ET",
     dict(s=["booking-api"], w=("between", "05:00", "05:30", "America/New_York"), c=[502])),
    ("booking-availability-pool", "any 5xx on search-gateway since 10:15 CEST?",
     dict(s=["search-gateway"], w=("since", "10:15", "Europe/Paris"), c=["5xx"])),
    ("booking-availability-pool", "what's up with search, 503s since 8:30 BST",
     dict(s=["search-gateway"], w=("since", "08:30", "Europe/London"), c=[503])),
    ("thumbnail-webp-flag", "media-gateway 500s since 4:00 am Pacific time",
     dict(s=["media-gateway"], w=("since", "04:00", "America/Los_Angeles"), c=[500])),
    ("thumbnail-webp-flag", "is it us or the CDN? cdn-purger warnings since 12:00 CEST",
     dict(s=["cdn-purger"], w=("since", "12:00", "Europe/Paris"), l=["warn"])),
    ("thumbnail-webp-flag", "image-store errors from 07:00 to 07:20 EDT",
     dict(s=["image-store"], w=("between", "07:00", "07:20", "America/New_York"), l=["error"])),
    ("coredns-forward-zone", "shiping-api errors since 11:30 ET",
     dict(s=["shipping-api"], w=("since", "11:30", "America/New_York"), l=["error"])),
    ("coredns-forward-zone", "label-service 503s since 17:30 Europe/Berlin",
     dict(s=["label-service"], w=("since", "17:30", "Europe/Berlin"), c=[503])),
    ("coredns-forward-zone", "tracking-worker errors between 8:30 and 9:00 PT",
     dict(s=["tracking-worker"], w=("between", "08:30", "09:00", "America/Los_Angeles"), l=["error"])),
    ("coredns-forward-zone", "errors from shipping-api and label-service since 11:30 am ET",
     dict(s=["shipping-api", "label-service"], w=("since", "11:30", "America/New_York"), l=["error"])),
    ("twilio-sms-outage", "sms-dispatcher errors since 9:00 BST",
     dict(s=["sms-dispatcher"], w=("since", "09:00", "Europe/London"), l=["error"])),
    ("twilio-sms-outage", "otp-service 502s since 3:30 am ET",
     dict(s=["otp-service"], w=("since", "03:30", "America/New_York"), c=[502])),
    ("pricing-deploy-rollback", "pricing-engine errors since 5 PT",
     dict(s=["pricing-engine"], w=("since", "05:00", "America/Los_Angeles"), l=["error"])),
    ("pricing-deploy-rollback", "quote-api 502s since 14:00 CEST",
     dict(s=["quote-api"], w=("since", "14:00", "Europe/Paris"), c=[502])),
    ("mesh-cert-rotation", "payments-gw 503s since 12:00 BST",
     dict(s=["payments-gw"], w=("since", "12:00", "Europe/London"), c=[503])),
    ("mesh-cert-rotation", "something feels off with payments-gw since lunch CEST, how many 503s?",
     dict(s=["payments-gw"], w=("since", "12:00", "Europe/Paris"), c=[503])),
    ("storefront-ranker-flag", "recs-ranker 500s since 1 pm PT",
     dict(s=["recs-ranker"], w=("since", "13:00", "America/Los_Angeles"), c=[500])),
    ("storefront-ranker-flag", "storefront errors since 16:00 EDT",
     dict(s=["storefront-api"], w=("since", "16:00", "America/New_York"), l=["error"])),
    ("parcel-argo-skew", "parcel-router 5xx since 13:00 CEST",
     dict(s=["parcel-router"], w=("since", "13:00", "Europe/Paris"), c=["5xx"])),
    ("fare-runtime-upgrade", "fare-calculator errors since 8:45 BST",
     dict(s=["fare-calculator"], w=("since", "08:45", "Europe/London"), l=["error"])),
    ("geo-provider-outage-late-deploy", "geo-lookup 503s since 5:15 PT",
     dict(s=["geo-lookup"], w=("since", "05:15", "America/Los_Angeles"), c=[503])),
    ("mail-and-reports-overlap", "mail-relay errors since 5 ET",
     dict(s=["mail-relay"], w=("since", "05:00", "America/New_York"), l=["error"])),
    ("stock-ledger-chronic-baseline", "stock-ledger errors since 15:00 CET",
     dict(s=["stock-ledger"], w=("since", "15:00", "Europe/Paris"), l=["error"])),
    ("quote-busy-stream", "tax-rules 500s snce 11:35 ET pls",
     dict(s=["tax-rules"], w=("since", "11:35", "America/New_York"), c=[500])),
    ("transcoder-progressive-image", "transcoder errs since 9:10 Pacific",
     dict(s=["transcoder"], w=("since", "09:10", "America/Los_Angeles"), l=["error"])),

    # more phrasing variety
    ("booking-availability-pool", "availability-svc errors in the last half hour",
     dict(s=["availability-svc"], w=("last", 30), l=["error"])),
    ("thumbnail-webp-flag", "media-gateway 500's past 45 min",
     dict(s=["media-gateway"], w=("last", 45), c=[500])),
    ("twilio-sms-outage", "how many errors did sms-dispatcher log in the past two hours?",
     dict(s=["sms-dispatcher"], w=("last", 120), l=["error"])),
    ("pricing-deploy-rollback", "pricing-engine errors from 12:00 to 12:30",
     dict(s=["pricing-engine"], w=("between", "12:00", "12:30"), l=["error"])),
    ("quiet-search-latency", "query-planner error count last 45m",
     dict(s=["query-planner"], w=("last", 45), l=["error"])),
    ("cart-promo-rules-deploy", "why is cart-api throwing 500s since 16:15?",
     dict(s=["cart-api"], w=("since", "16:15"), c=[500])),
    ("checkout-latent-surcharge-config", "what's up with checkout-api 5xx in the last hour",
     dict(s=["checkout-api"], w=("last", 60), c=["5xx"])),
    ("node-pool-kernel-upgrade", "image-resizer ERRORS past 45 minutes",
     dict(s=["image-resizer"], w=("last", 45), l=["error"])),
    ("gcs-provider-blip", "asset-uploader 503 errors in the last hour",
     dict(s=["asset-uploader"], w=("last", 60), c=[503])),
    ("sessions-vacuum-manual", "status 503 on auth-api since 14:50",
     dict(s=["auth-api"], w=("since", "14:50"), c=[503])),
    ("invoice-schema-migration", "invoice-worker error-level logs in the last 90 minutes",
     dict(s=["invoice-worker"], w=("last", 90), l=["error"])),
    ("vault-egress-netpol", "wtf is payout-worker doing? errors since 9:30",
     dict(s=["payout-worker"], w=("since", "09:30"), l=["error"])),
]

# --------------------------------------------------------------------------------------------
# Reading the fixtures (own code: field access by the scenario's style)
# --------------------------------------------------------------------------------------------


def instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def iso(t: datetime) -> str:
    return t.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class Fixture:
    def __init__(self, name: str):
        root = os.path.join(FIXTURES, name)
        self.name = name
        self.meta = json.load(open(os.path.join(root, "scenario.json"), encoding="utf-8"))
        self.now = instant(self.meta["now"])
        flat = self.meta.get("fields", "ecs") == "flat"
        self.docs = []
        with open(os.path.join(root, "logs.ndjson"), encoding="utf-8") as handle:
            for line in handle:
                if not line.strip():
                    continue
                d = json.loads(line)
                if flat:
                    ms = d["duration_ms"] if "duration_ms" in d else \
                        d["request_time"] * 1000 if "request_time" in d else None  # nginx: seconds
                    row = (instant(d["@timestamp"]), d.get("service"), str(d.get("level", "")).lower(),
                           d.get("msg", ""), d.get("status"), d.get("path"), ms)
                else:
                    ns = (d.get("event") or {}).get("duration")
                    row = (instant(d["@timestamp"]), (d.get("service") or {}).get("name"),
                           str((d.get("log") or {}).get("level", "")).lower(), d.get("message", ""),
                           ((d.get("http") or {}).get("response") or {}).get("status_code"),
                           (d.get("url") or {}).get("path"), None if ns is None else ns / 1e6)
                self.docs.append(row)


# --------------------------------------------------------------------------------------------
# The counting rules
# --------------------------------------------------------------------------------------------

LEVELS = {"error": {"error", "err"}, "warn": {"warn", "warning"}, "info": {"info"}, "debug": {"debug"},
          "fatal": {"fatal", "critical", "crit"}}


def split_simple(text: str) -> list[str]:
    return re.findall(r"[0-9a-z]+", text.lower())


def split_uax(text: str) -> list[str]:
    """Closer to Unicode word segmentation: letters/digits joined by '.', ':' (between letters), "'" and
    '_' stay one token, as the standard tokenizer keeps 'line_items.legacy_sku' whole."""
    out = []
    for m in re.finditer(r"[0-9a-z_]+(?:[.:'][0-9a-z_]+)*", text.lower()):
        tok = m.group(0).strip("_")
        if tok:
            out.append(tok)
    return out


def has_phrase(message: str, phrase: str, split) -> bool:
    m, p = split(message), split(phrase)
    if not p:
        return False
    return any(m[i:i + len(p)] == p for i in range(len(m) - len(p) + 1))


def status_ok(status, wanted: list) -> bool:
    if status is None:
        return False
    for w in wanted:
        if isinstance(w, str) and re.fullmatch(r"[1-5]xx", w):
            base = int(w[0]) * 100
            if base <= status <= base + 99:
                return True
        elif status == int(w):
            return True
    return False


def count(fx: Fixture, services, start, end, levels=(), status=(), text=(), exclude=(), split=split_simple,
          measured=False, slower=None) -> int:
    wanted_levels = set().union(*(LEVELS[l] for l in levels)) if levels else None
    n = 0
    for t, svc, level, msg, st, path, ms in fx.docs:
        if svc not in services or not (start <= t <= end):
            continue
        if (measured or slower is not None) and (ms is None or (slower is not None and not ms > slower)):
            continue
        if wanted_levels is not None and level not in wanted_levels:
            continue
        if status and not status_ok(st, status):
            continue
        if any(not has_phrase(msg, p, split) for p in text):
            continue
        dropped = False
        for x in exclude:
            if x == "health":
                if path and any(path.startswith(h) for h in HEALTH):
                    dropped = True
            elif has_phrase(msg, x, split):
                dropped = True
        if dropped:
            continue
        n += 1
    return n


def window(fx: Fixture, spec, asked: datetime) -> tuple[datetime, datetime]:
    """A window spec's instants. A trailing IANA zone name means the clock times are that zone's wall
    time on the day asked (daylight time as that day has it)."""
    zone = ZoneInfo(spec[-1]) if len(spec) > 1 and "/" in str(spec[-1]) else timezone.utc
    if zone is not timezone.utc:
        spec = spec[:-1]

    def clock(hhmm: str) -> datetime:
        h, m = (int(x) for x in hhmm.split(":"))
        local = asked.astimezone(zone)
        t = local.replace(tzinfo=None, hour=h, minute=m, second=0, microsecond=0).replace(tzinfo=zone)
        t = t.astimezone(timezone.utc)
        if t > asked + timedelta(minutes=1):
            t -= timedelta(days=1)
        return t

    kind = spec[0]
    if kind == "last":
        return asked - timedelta(minutes=spec[1]), asked
    if kind == "since":
        return clock(spec[1]), asked
    if kind == "between":
        return clock(spec[1]), clock(spec[2])
    if kind == "around":
        c = clock(spec[1])
        return c - timedelta(minutes=15), c + timedelta(minutes=15)
    if kind == "today":
        return asked.replace(hour=0, minute=0, second=0, microsecond=0), asked
    raise ValueError(spec)


def status_label(s) -> str:
    return s if isinstance(s, str) else str(s)


def build() -> list[dict]:
    cache: dict[str, Fixture] = {}
    out = []
    for scenario, ask, m in Q + LATENCY_Q:
        fx = cache.get(scenario) or cache.setdefault(scenario, Fixture(scenario))
        asked = fx.now
        if m.get("at"):
            h, mi = (int(x) for x in m["at"].split(":"))
            asked = fx.now.replace(hour=h, minute=mi, second=0)
            assert asked <= fx.now, (scenario, ask)
        start, end = window(fx, m["w"], asked)
        assert start < end <= asked + timedelta(minutes=15), (scenario, ask)
        args = dict(levels=m.get("l", []), status=m.get("c", []), text=m.get("t", []), exclude=m.get("x", []),
                    measured=m.get("sy") == "latency", slower=m.get("slow"))
        hits = count(fx, set(m["s"]), start, end, **args)
        strict = count(fx, set(m["s"]), start, end, split=split_uax, **args)
        assert hits == strict, f"{scenario}: {ask!r}: the count depends on the tokeniser ({hits} vs {strict})"
        known = {svc for _, svc, *_ in fx.docs}
        assert set(m["s"]) <= known, (scenario, ask, m["s"])
        q = {"scenario": scenario, "ask": ask}
        if m.get("at"):
            q["at"] = iso(asked)
        q["needs_data"] = False
        expect = {"services": list(m["s"]), "start": iso(start), "end": iso(end), "levels": list(m.get("l", [])),
                  "status": [status_label(s) for s in m.get("c", [])], "text": list(m.get("t", []))}
        if m.get("x"):
            expect["exclude"] = list(m["x"])
        if m.get("sy"):
            expect["symptom"] = m["sy"]
            expect["slower_than_ms"] = m.get("slow")
            expect["percentile"] = m.get("p")
            expect["group_by"] = m.get("g")
        expect["hits"] = hits
        q["expect"] = expect
        out.append(q)
    asks = [(q["scenario"], q["ask"], q.get("at")) for q in out]
    assert len(asks) == len(set(asks)), "duplicate question"
    return out


def render(questions: list[dict]) -> str:
    return json.dumps(questions, indent=1, ensure_ascii=False) + "\n"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--check", action="store_true", help="fail if questions.json is stale")
    a = ap.parse_args(argv)
    text = render(build())
    if a.check:
        current = open(OUT, encoding="utf-8").read() if os.path.exists(OUT) else ""
        if current != text:
            print("bench/questions/questions.json is stale: run python bench/questions/generate.py", file=sys.stderr)
            return 1
        return 0
    with open(OUT, "w", encoding="utf-8") as f:
        f.write(text)
    print(f"{len(json.loads(text))} questions -> {os.path.relpath(OUT, REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
