"""TextVerified's API v2 (`/api/pub/v2/…`) as an upstream."""

from .provider import TextverifiedProvider

__all__ = ["TextverifiedProvider"]
