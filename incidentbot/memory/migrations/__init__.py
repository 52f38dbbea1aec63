"""Alembic migrations of the audit database, shipped inside the package and run at start."""
