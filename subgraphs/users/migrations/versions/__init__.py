"""Revisions of the users schema, oldest first."""
