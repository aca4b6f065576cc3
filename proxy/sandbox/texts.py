"""Every answer text of the vendor, with its HTTP status: the sandbox's error table.

Texts quoted from getatext-api.txt keep its spelling (including "as reached").
Texts marked `# decided` are not in the vendor document; docs/sandbox.md lists them.
"""

from __future__ import annotations


class VendorError(Exception):
    """A vendor answer of the form `{"errors": text}` with an HTTP status."""

    def __init__(self, status: int, text: str) -> None:
        super().__init__(text)
        self.status = status
        self.text = text


# -- common to every endpoint ------------------------------------------------------
MAINTENANCE = (503, "Service is under maintenance")
AUTH_MISSING = (403, "Auth is not presented on the request")
AUTH_WRONG = (403, "Wrong Api Key or User is restricted")
RENT_THROTTLED = (429, "Rental error, number is already taken. Please try again")
THROTTLED = (429, "Too Many Attempts.")  # decided: Laravel's throttle text
NOT_FOUND = (404, "Not Found")  # decided
METHOD_NOT_ALLOWED = (405, "Method Not Allowed")  # decided
BODY_TOO_LARGE = (413, "Request body is too large")  # decided
MALFORMED_JSON = (400, "Malformed JSON body")  # decided
SERVER_ERROR = (500, "Server Error")  # decided: Laravel's 500 text

# -- rent-a-number -------------------------------------------------------------------
SERVICE_MISSING = (400, "Service is not presented on the request")
WRONG_CARRIER = (400, "Wrong Carrier")
SERVICE_NOT_FOUND = (404, "Service not found")
USER_RENTAL_LIMIT = (400, "You have reached the maximum number of active rentals")
OUT_OF_STOCK = (400, "Service is out of stock")
OUT_OF_STOCK_CARRIER = (400, "Service is out of stock for selected carrier: {carrier}")
OUT_OF_STOCK_CARRIER_AREA = (400, "Service is out of stock for selected carrier and area codes")
OUT_OF_STOCK_AREA = (400, "Service is out of stock for selected area codes")
SERVICE_NOT_AVAILABLE = (400, "Service is not available")
INSUFFICIENT_FUNDS = (400, "Insufficient funds")
INSUFFICIENT_FUNDS_EXTRA = (400, "Insufficient funds for area code extra charge")
MAX_PRICE_EXCEEDED = (
    400,
    "The price of the service exceeds the maximum price you are willing to pay, "
    "actual price is: {price}",
)
NUMBER_TAKEN = (408, "Rental error, number is already taken. Please try again")

# -- rent-specific-number ------------------------------------------------------------
NUMBER_AND_SERVICE_REQUIRED = (400, "Phone number and service are required")
GLOBAL_RENTAL_LIMIT = (400, "The maximum number of active rentals as reached")
APPROVAL_REQUIRED = (
    400,
    "This service requires prior approval. "
    "Please request access through the platform portal before renting.",
)
NUMBER_NOT_IN_POOL = (404, "This number does not exist in our system or is not available")
NUMBER_UNAVAILABLE = (400, "This number is unavailable for you. Please try a different number")
INVALID_PRICE = (400, "Invalid price for this service")

# -- rent-multiple-services (decided: the document lists no errors) -------------------
SERVICES_MISSING = (400, "Services are not presented on the request")
COMBINATION_UNAVAILABLE = (400, "No number is available for all the requested services")
COMBINATION_CACHED = (
    400,
    "This combination of services failed recently. Please try again later",
)

# -- rentals by id (decided: the document lists no errors) ---------------------------
ID_MISSING = (400, "Id is not presented on the request")
ID_INVALID = (400, "Id must be an integer")
RENTAL_NOT_FOUND = (404, "Rental not found")
CANCEL_TOO_EARLY = (400, "You must wait 1 minute before cancelling the rental")
CANCEL_NOT_ALLOWED = (400, "Rental cannot be cancelled")
COMPLETE_NOT_VIEWED = (400, "Rental cannot be completed before its code is viewed")
RENTAL_ID_MISSING = (400, "Rental id is not presented on the request")
RENTAL_STILL_ACTIVE = (400, "Rental is still active")
RERENT_NOT_ALLOWED = (400, "This service cannot be re-rented")

# -- long rentals (decided: the document lists no errors) ----------------------------
LONG_RENTAL_TIME_INVALID = (422, "Invalid rental time. Allowed values: 1w, 2w, 1m, 1y")
LONG_RENTAL_NO_STOCK = (422, "No available pool number for long rental")
LONG_RENTAL_NOT_FOUND = (404, "Long rental not found")
LONG_RENTAL_ACTION_INVALID = (422, "Invalid action. Allowed values: renew, cancel, auto_renew")
LONG_RENTAL_NOT_ACTIVE = (422, "Long rental is not active")

# -- service long rentals --------------------------------------------------------------
SLR_DISABLED = (403, "Service long rentals are not enabled for this account")
PERIOD_MISSING = (400, "Period is not presented on the request")
PERIOD_INVALID = (422, "Invalid period. Allowed values: 1d, 3d, 7d, 14d, 30d")
SLR_PERIOD_UNAVAILABLE = (
    422,
    "This service is not available for long rental in the selected period",
)
SLR_NO_STOCK = (422, "No available pool number for service long rental")
SLR_NOT_FOUND = (404, "Service long rental not found")
SLR_AMBIGUOUS = (
    400,
    "Multiple active service long rentals found for this number. "
    'Provide the "service" parameter to disambiguate.',
)
SLR_CANNOT_CANCEL = (
    422,
    "Service long rental cannot be cancelled "
    "(already received messages or cancellation window expired)",
)
AUTO_RENEW_MISSING = (400, "auto_renew is not presented on the request")
AUTO_RENEW_INVALID = (422, "auto_renew must be a boolean")

# -- auctions --------------------------------------------------------------------------
BID_TOO_LOW = (400, "Your bid must be higher than the current bid")
BID_FUNDS = (400, "Insufficient funds for this bid")
AUCTION_NOT_FOUND = (404, "Auction not found or is no longer active")
BID_MISSING = (400, "Bid amount is not presented on the request")  # decided


def raise_(entry: tuple[int, str], **fields: object) -> VendorError:
    """Build the error for a table entry, filling `{placeholders}`."""
    status, text = entry
    return VendorError(status, text.format(**fields) if fields else text)
