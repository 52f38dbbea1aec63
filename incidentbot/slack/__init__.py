"""The Slack door: a thin Bolt layer over `incidentbot.pipeline`.

`app.build_app` builds the Bolt app from the shared state in `deps`;
`listeners.register` wires every listener (mentions, DMs, slash commands,
buttons, feedback, the Home tab) and `assistant` the assistant pane; `work`
runs a question on one surface, streamed (`stream`) or an edited progress
message (`progress`); `serve.run` runs it over Socket Mode or HTTP. Nothing
here decides an answer: it acknowledges, shows the pipeline's progress
events, and renders (`incidentbot.render.blocks`) what `investigate` and
`what_changed` return.
"""
