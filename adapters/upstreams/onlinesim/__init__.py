"""OnlineSIM's API (`/api/{method}.php`) as an upstream."""

from .provider import OnlinesimProvider

__all__ = ["OnlinesimProvider"]
