"""The Slack door: a thin Bolt layer over `incidentbot.pipeline`.

`app.build_app` builds the Bolt app, `listeners.register` wires every
listener in one place, `serve.run` runs it over Socket Mode or HTTP. Nothing
here decides an answer: it acknowledges, shows progress, and renders
(`incidentbot.render.blocks`) what `investigate` and `what_changed` return.
"""
