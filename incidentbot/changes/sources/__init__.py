"""The change sources, and `sources_from_settings` that builds the configured ones.

Each source module has a `from_settings(section) -> list[ChangeSource]` that
receives its section of the settings (incidentbot.config.ChangesSettings),
never the raw environment; adding a source is one new module, one settings
section and one line in `sources_from_settings`. A source that is not
configured returns nothing; a source configured wrongly is caught when the
settings are validated, at startup, not in the middle of an incident.
The environment variables are listed in docs/change-sources.md.
"""
from __future__ import annotations

from incidentbot.changes.sources import argocd, github, kubernetes, launchdarkly, ndjson_file
from incidentbot.changes.sources.base import ChangeSource, SourceError
from incidentbot.config import ChangesSettings


def sources_from_settings(settings: ChangesSettings) -> list[ChangeSource]:
    """Every configured change source, in a fixed order.

    The Elasticsearch change index (es_index.ElasticsearchChanges) needs the
    read-only gateway, so the caller puts it first: `[ElasticsearchChanges(gateway,
    settings.es_index.index), *sources_from_settings(settings)]`, and its copy of a
    change wins the de-duplication.
    """
    return [
        *ndjson_file.from_settings(settings.file),
        *github.from_settings(settings.github),
        *argocd.from_settings(settings.argocd),
        *kubernetes.from_settings(settings.kubernetes),
        *launchdarkly.from_settings(settings.launchdarkly),
    ]


__all__ = ["ChangeSource", "SourceError", "sources_from_settings"]
