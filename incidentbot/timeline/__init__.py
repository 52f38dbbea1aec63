"""/timeline: a cited incident timeline from a channel's history, the changes and the logs, with a retrospective export."""
