"""Change events kept in an Elasticsearch index (the scenario format, default `changes-*`).

Read through the same read-only gateway as the logs.
"""
from __future__ import annotations

import logging
from datetime import datetime

from elasticsearch.dsl import Search
from pydantic import ValidationError

from incidentbot.core.change import Change
from incidentbot.gateway import ReadOnlyGateway
from incidentbot.core.timeutil import iso

log = logging.getLogger(__name__)
MAX_CHANGES = 1000


class ElasticsearchChanges:
    """Changes from an index of change documents, newest first."""

    def __init__(self, gateway: ReadOnlyGateway, index: str) -> None:
        self.gateway = gateway
        self.index = index
        self.name = f"elasticsearch:{index}"

    def fetch(self, start: datetime, end: datetime) -> list[Change]:
        body = (Search()
                .filter("range", **{"@timestamp": {"gte": iso(start, True), "lte": iso(end, True),
                                                   "format": "strict_date_optional_time"}})
                .sort({"@timestamp": {"order": "desc"}})
                .extra(size=MAX_CHANGES, timeout="10s")
                .to_dict())
        resp = self.gateway.search(self.index, body)
        out = []
        for hit in resp.get("hits", {}).get("hits", []):
            try:
                out.append(Change.model_validate(hit["_source"]))
            except ValidationError as exc:
                log.warning("skipping change document %s/%s: %s", hit.get("_index"), hit.get("_id"),
                            exc.errors()[0]["msg"])
        return out
