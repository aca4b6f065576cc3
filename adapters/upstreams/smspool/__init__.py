"""SMSPool's API (`purchase/sms`, `sms/check`, ...) as an upstream."""

from .provider import SmspoolProvider

__all__ = ["SmspoolProvider"]
