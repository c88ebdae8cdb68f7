"""Alembic's script directory; installed as the package `baton_migrations` (see pyproject.toml, bot/db.py)."""
