"""The Getatext JSON v1 vendor."""

from .limits import LIMITS
from .provider import GetatextProvider

__all__ = ["LIMITS", "GetatextProvider"]
