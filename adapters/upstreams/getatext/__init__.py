"""The Getatext JSON v1 vendor."""

from .limits import ENDPOINTS, LIMITS
from .provider import GetatextProvider

__all__ = ["ENDPOINTS", "LIMITS", "GetatextProvider"]
