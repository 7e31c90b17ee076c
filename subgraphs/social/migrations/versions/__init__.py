"""Revisions of the social schema."""
