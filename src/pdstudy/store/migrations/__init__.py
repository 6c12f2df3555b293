"""Alembic migrations of the results store (``pdstudy db upgrade``)."""
