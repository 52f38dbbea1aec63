"""One file per schema revision, applied in order by `incidentbot.memory.migrate.upgrade`."""
