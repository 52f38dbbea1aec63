"""incidentbot: a read-only incident assistant."""
