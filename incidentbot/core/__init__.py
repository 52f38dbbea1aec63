"""The shared core: types, vocabularies, time helpers and masking that every stage and door uses.

It imports nothing else of incidentbot, so every layer can depend on it.
"""
