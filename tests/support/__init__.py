"""Helpers shared by the tests: local stand-ins for the systems the bot talks to, and scenario plumbing.

- servers: which search servers the integration tiers run on, scenario folders and CLI arguments, parse_json.
- fakeslack: a local Slack Web API and a running bot over signed HTTP requests.
- fakeopenai: a local OpenAI-compatible endpoint replaying scripted replies.
- fakehttp: a local vendor API (GitHub, Argo CD, LaunchDarkly, Kubernetes) with recorded requests.
- answerfixture: a hand-made Answer from typed values, for summary and rendering tests.
- faultproxy: the one HTTP proxy in front of a search server: records every request, injects faults.
- changecheck: the exact changes a source made, and one change's fields.
- httpserve: a quiet local HTTP server on a free port, and `started()`, the body of a server fixture.

Tests import them as `from support.fakeslack import ...` (pyproject puts tests/ on the path).
"""
