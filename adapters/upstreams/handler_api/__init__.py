"""Any SMS-Activate-compatible vendor (`handler_api.php`) as an upstream, by flavour."""

from .flavours import FLAVOURS, Flavour
from .provider import HandlerApiProvider

__all__ = ["FLAVOURS", "Flavour", "HandlerApiProvider"]
