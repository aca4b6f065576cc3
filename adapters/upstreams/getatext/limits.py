"""The vendor's documented request limits, per account, by provider operation, and its
other rules the core applies (getatext-api.txt)."""

from __future__ import annotations

from decimal import Decimal

from proxy.domain import LimitGroup, VendorRules

RENT = LimitGroup("rent", 2.0)  # rent-a-number and rent-specific-number share it
MULTI = LimitGroup("rent-multiple-services", 1.0)
CANCEL = LimitGroup("cancel-rental", 1.0)

# "You must wait 1 min before request a cancellation"; a re-rent after a completed rental
# costs half the original ("50% if user has a prior completed rental"); "carrier OR area
# code = +20%, both = +40%"; a specific number: "a flat +20% surcharge"
RULES = VendorRules(
    cancel_lock_seconds=60.0,
    rerent_after_completion=Decimal("0.5"),
    carrier_surcharge=Decimal("0.2"),
    area_code_surcharge=Decimal("0.2"),
    specific_number_surcharge=Decimal("0.2"),
    long_cancel_refund_seconds=3600.0,  # the service long rentals' cancellation window
)

# provider operation -> its group; operations not listed use the proxy's default group
LIMITS: dict[str, LimitGroup] = {
    "rent": RENT,
    "rent_specific": RENT,
    "rent_many": MULTI,
    "cancel": CANCEL,
}

# the vendor endpoints this adapter calls, as metric labels
ENDPOINTS = (
    "rent-a-number",
    "rent-specific-number",
    "rent-multiple-services",
    "rental-status",
    "rental-completed",
    "cancel-rental",
    "re-rent",
    "balance",
    "prices-info",
    "native",  # auctions, forwarded as they are
)
# long rentals: one label per endpoint, never one per rental (ids and numbers); their
# series appear on first use (pre-made, they would be a fifth of the metrics page)
LONG_ENDPOINTS = (
    "long-rentals/prices",
    "long-rentals",
    "long-rentals-update",
    "long-rentals-messages",
    "service-long-rentals/prices",
    "service-long-rentals",
    "service-long-rentals-cancel",
    "service-long-rentals-renew",
    "service-long-rentals-auto-renew",
    "service-long-rentals-messages",
)
