"""5sim's v1 REST API (`/v1/user/*`, `/v1/guest/*`) as an upstream."""

from .provider import FivesimProvider

__all__ = ["FivesimProvider"]
