"""Replicas that behave as one: pacing (and membership) shared through Redis."""
