"""Development and demo tools: the embedded search servers and the scenario loader.

This is the only part of the package that writes to a search server (it loads
scenarios); the runtime (pipeline, stages, gateway, doors) never imports it.
"""
