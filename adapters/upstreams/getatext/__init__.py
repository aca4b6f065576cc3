"""The Getatext JSON v1 vendor."""

from .limits import GROUPS
from .provider import GetatextProvider

__all__ = ["GROUPS", "GetatextProvider"]
