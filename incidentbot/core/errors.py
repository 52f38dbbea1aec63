"""The failures a door (CLI, Slack) must tell apart, each with its exit status.

A person in an incident needs to know which part failed and what to do; a
traceback tells them neither, so every expected failure is one of these.
"""
from __future__ import annotations


class IncidentBotError(Exception):
    """Base of the failures we expect and explain."""

    exit_code = 1


class UsageError(IncidentBotError):
    """Bad options, bad configuration, or a question that cannot be answered as asked (exit 2)."""

    exit_code = 2


class StoreUnreachable(IncidentBotError):
    """The log store cannot be reached, so no answer is possible (exit 3)."""

    exit_code = 3


class UnsafeCredentials(UsageError):
    """The configured credentials could write to the indices the bot reads; it refuses to start."""


class StoreTimeout(StoreUnreachable):
    """The log store is up but did not answer in time: the query may be too heavy for it."""


class StoreUnavailable(StoreUnreachable):
    """The log store answers, but with errors (429, 5xx) or replies we cannot read, even after retries (exit 3)."""


class StoreDeadline(StoreTimeout):
    """The answer's overall deadline passed while the log store was still answering."""


class StoreSilent(StoreDeadline):
    """The log store did not answer a start-up check (version, privileges) within its share of the answer's
    deadline: nothing more is asked of it in this answer, which gives what is known without it."""


class NoSuchIndex(UsageError):
    """The configured logs or changes index does not exist (exit 2); the message lists the indices that do."""
