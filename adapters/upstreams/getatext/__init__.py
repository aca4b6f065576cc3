"""The Getatext JSON v1 vendor."""

from .limits import GROUPS
from .provider import GetatextProvider, Timeouts

__all__ = ["GROUPS", "GetatextProvider", "Timeouts"]
