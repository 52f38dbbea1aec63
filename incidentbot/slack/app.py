"""The Bolt app: one `build_app` call, so `serve` (Socket Mode or HTTP), the tests and the benchmark run the same app.

The shared state lives in `deps`, the listeners in `listeners`; this module
imports both and neither imports it, so there is no cycle.
"""
from __future__ import annotations

import logging

from slack_bolt import App

from incidentbot.slack.deps import Deps, Workers, build_client
from incidentbot.slack.listeners import register

__all__ = ["Deps", "Workers", "build_app", "build_client"]


class _SameTokenNotice(logging.Filter):
    """Bolt warns that `token` is unused when SLACK_BOT_TOKEN is set and a client is given: our client carries it."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "`token` will be unused" not in record.getMessage()


logging.getLogger("slack_bolt.App").addFilter(_SameTokenNotice())


def build_app(token: str, signing_secret: str, deps: Deps, api_url: str | None = None,
              socket_mode: bool = False) -> App:
    """The Bolt app with every listener registered (listeners.register).

    process_before_response=False: Bolt answers Slack's HTTP request as soon
    as ack() is called (events are acknowledged before their listener runs),
    and the work continues in the background, so the 3-second deadline never
    depends on the log store's speed.
    """
    app = App(client=build_client(token, api_url), signing_secret=signing_secret or None,
              process_before_response=False, request_verification_enabled=not socket_mode,
              name="incidentbot")
    register(app, deps)
    return app
