"""The neutral vocabulary every part of smsproxy speaks: frozen dataclasses and enums only."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from decimal import Decimal
from enum import StrEnum
from functools import cached_property


class ActivationStatus(StrEnum):
    WAITING = "waiting"  # no code yet
    CODE_RECEIVED = "code_received"
    RETRY_WAIT = "retry_wait"  # the client asked for another code (setStatus 3)
    COMPLETED = "completed"  # the client finished it
    CANCELLED = "cancelled"
    EXPIRED = "expired"  # ended upstream without the client finishing it
    BANNED = "banned"  # the client reported the number as already used (cancelled upstream)

    @property
    def is_open(self) -> bool:
        return self in (
            ActivationStatus.WAITING,
            ActivationStatus.CODE_RECEIVED,
            ActivationStatus.RETRY_WAIT,
        )


@dataclass(frozen=True)
class UpstreamAccount:
    """An account at one provider: which provider, with which key (memory only).

    `id` names the account without its key: pacing, caches and the balance witness are
    per account. A passed-through client key is its own account (id: the fingerprint);
    a configured account is named by its provider."""

    provider: str
    key: str = field(repr=False)
    id: str = ""
    priority: int = 0
    weight: int = 1  # the share of purchases it gets under weighted routing

    @cached_property  # asked several times a call: pacing, caches, the balance witness
    def name(self) -> str:
        return f"{self.provider}:{self.id}"


@dataclass(frozen=True)
class TenantPolicy:
    """What an issued tenant may do, whichever of its keys it uses. Empty tuples and None
    mean no limit."""

    tenant: str
    max_active: int | None = None  # open activations it may hold at once
    services: tuple[str, ...] = ()  # the only services it may buy
    daily_budget: Decimal | None = None  # spend per UTC day
    monthly_budget: Decimal | None = None  # spend per UTC calendar month
    rate_per_second: float | None = None  # requests, on every dialect together
    countries: tuple[str, ...] = ()  # the only countries (ISO alpha-2) it may buy in
    max_prices: tuple[tuple[str, Decimal], ...] = ()  # (service, the most it pays for one)
    webhook_url: str | None = None  # where its codes are POSTed
    upstream_balance: bool = False  # without a budget, getBalance shows the vendor's

    @property
    def budgeted(self) -> bool:
        return self.daily_budget is not None or self.monthly_budget is not None

    def price_cap(self, service: str) -> Decimal | None:
        return next((p for s, p in self.max_prices if s == service), None)

    def evolve(self, **changes: object) -> TenantPolicy:
        return replace(self, **changes)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Tenant:
    """Who is calling: its keyed fingerprint, and the upstream accounts it may use, in the
    order purchases try them. Issued tenants also have a name, the key's handle and a
    policy; passed-through keys and static tenants have neither."""

    owner: str
    accounts: tuple[UpstreamAccount, ...]
    routing: str | None = None  # its own strategy; None: the configured one
    name: str | None = None  # an issued tenant's name (the ledger's and metrics' label)
    key_id: str = ""  # the handle of the issued key in use
    policy: TenantPolicy | None = None

    @property
    def max_active(self) -> int | None:
        return self.policy.max_active if self.policy else None

    @property
    def services(self) -> frozenset[str] | None:
        return frozenset(self.policy.services) if self.policy and self.policy.services else None

    def account_at(self, provider: str) -> UpstreamAccount | None:
        return next((a for a in self.accounts if a.provider == provider), None)


@dataclass(frozen=True)
class ManagedKey:
    """A client key the proxy issued: only its keyed fingerprint is kept."""

    id: str  # the public handle (`key_…`), for listing and revoking
    tenant: str
    fingerprint: str
    providers: tuple[str, ...]  # empty: every configured provider
    created_at: float
    expires_at: float | None = None
    revoked_at: float | None = None

    def usable(self, now: float) -> bool:
        return self.revoked_at is None and (self.expires_at is None or now < self.expires_at)

    def state(self, now: float) -> str:
        """`active`, `expired` or `revoked`, as listings show it."""
        if self.revoked_at is not None:
            return "revoked"
        return "active" if self.usable(now) else "expired"

    def evolve(self, **changes: object) -> ManagedKey:
        return replace(self, **changes)  # type: ignore[arg-type]


class LedgerReason(StrEnum):
    """Why a ledger row exists. Charges, refunds and adjustments are spend; reservations
    and their releases are holds on the budget while a purchase is under way."""

    RESERVE = "reserve"
    RELEASE = "release"
    CHARGE = "charge"
    REFUND = "refund"
    ADJUST = "adjust"

    @property
    def spend(self) -> bool:
        return self in (LedgerReason.CHARGE, LedgerReason.REFUND, LedgerReason.ADJUST)


@dataclass(frozen=True)
class LedgerEntry:
    """One movement of an issued tenant's money: positive spends or holds, negative gives
    back. Append-only."""

    tenant: str
    reason: LedgerReason
    amount: Decimal
    at: float
    key_id: str = ""
    provider: str = ""
    activation_id: int | None = None
    purchase_id: int | None = None
    balance_after: Decimal | None = None  # the vendor's balance after it, where it said
    note: str = ""
    id: int = 0


@dataclass(frozen=True)
class Delivery:
    """A code waiting in the outbox for a tenant's webhook."""

    id: int
    tenant: str
    url: str
    activation_id: int
    code: str
    body: str  # the JSON to POST, rendered when the code arrived
    created_at: float
    attempts: int = 0
    next_at: float = 0.0
    state: str = "pending"  # pending | sent | failed
    last_error: str = ""

    def evolve(self, **changes: object) -> Delivery:
        return replace(self, **changes)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Order:
    services: tuple[str, ...]  # vendor api_names
    carrier: str | None = None
    keep_carrier: bool = False
    area_codes: tuple[str, ...] = ()
    lock_area_code: bool = False
    max_price: Decimal | None = None
    country: str = "us"  # ISO 3166 alpha-2, lower case


@dataclass(frozen=True)
class Offer:
    service: str  # api_name
    name: str
    cost: Decimal
    stock: int
    ttl_minutes: int
    multiple_sms: bool


@dataclass(frozen=True)
class RentedNumber:
    """What a provider hands back for one rented service on one number."""

    upstream_id: int
    number: str  # national digits, no country code
    service: str  # api_name
    service_name: str
    cost: Decimal
    end_time: float
    balance_after: Decimal | None = None  # the account balance the vendor reported
    returning_customer: bool = False
    carrier: str | None = None  # the carrier it was bought on, where the order insisted
    country: str = "us"  # the order's country (the provider sells it: routing checked)


@dataclass(frozen=True)
class Receipt:
    """What the vendor said about a purchase, for the answer to it (not stored)."""

    service_name: str
    balance_after: Decimal | None
    returning_customer: bool


class RentalState(StrEnum):
    """A rental as any vendor sees it; each vendor package maps its own words here."""

    OPEN = "open"  # waiting for a code, or holding one
    CANCELLED = "cancelled"
    FINISHED = "finished"  # completed, or ended with its code: over without the client
    EXPIRED = "expired"  # ended without a code
    UNKNOWN = "unknown"  # a word the vendor package does not know


@dataclass(frozen=True)
class RentalSnapshot:
    """The upstream's view of one rental at one moment."""

    upstream_id: int
    state: RentalState
    code: str | None
    end_time: float | None  # None: the vendor does not say (the stored one stands)
    number: str | None = None  # what the rental is, where the vendor says it (adoption)
    service_name: str | None = None
    cost: Decimal | None = None


@dataclass(frozen=True)
class PushedCode:
    """What a vendor's webhook says: a code for one of its rentals, and the rental as far
    as the webhook describes it (for adopting one the store does not hold)."""

    upstream_id: int
    code: str
    rental: RentalSnapshot | None = None
    received_at: float | None = None  # when the vendor says the code came, where it says


class PurchaseState(StrEnum):
    """A purchase in the journal. Only PENDING and UNKNOWN are unresolved."""

    PENDING = "pending"  # the intent is durable; the vendor's answer is on its way
    BOUGHT = "bought"  # the vendor sold it and the activations are stored
    REFUSED = "refused"  # the vendor said no, or the call never left
    UNKNOWN = "unknown"  # sent, and no readable answer came back: it may have been sold
    ADOPTED = "adopted"  # an unknown purchase found at the vendor and stored after all
    VOID = "void"  # an unknown purchase the vendor's balance shows was never charged

    @property
    def unresolved(self) -> bool:
        return self in (PurchaseState.PENDING, PurchaseState.UNKNOWN)


@dataclass(frozen=True)
class Purchase:
    """One entry of the purchase journal: written before the purchase leaves."""

    id: int
    owner: str
    provider: str
    operation: str  # rent, rent_many, rent_specific, rerent
    services: tuple[str, ...]
    order_key: str  # the same order from the same owner has the same key (retries)
    created_at: float
    state: PurchaseState = PurchaseState.PENDING
    order_ref: str | None = None  # the client's own idempotency key, when it sent one
    upstream_floor: int = 0  # the highest upstream id the proxy held when it was sent
    balance_before: Decimal | None = None  # the vendor's balance with nothing else in flight
    settled_at: float | None = None
    activation_ids: tuple[int, ...] = ()
    note: str = ""
    answered: bool = False  # the client was given the numbers (adopted ones: on a retry)

    def evolve(self, **changes: object) -> Purchase:
        return replace(self, **changes)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Activation:
    id: int
    provider: str
    upstream_id: int
    owner: str
    number: str
    service: str
    cost: Decimal
    status: ActivationStatus
    created_at: float
    end_time: float
    code: str | None = None
    retry_code: str | None = None  # the code that was current when another was asked for
    multiple_sms: bool = False
    upstream_viewed: bool = False  # the upstream has shown the code (required to complete)
    code_at: float | None = None
    checked_at: float = 0.0  # last time the upstream was asked about it
    carrier: str | None = None  # the carrier the client chose and got (None: any)
    country: str = "us"  # ISO 3166 alpha-2 of the number
    receipt: Receipt | None = field(default=None, compare=False)  # only on a fresh purchase
    # codes that were current before `code`: a replayed delivery never brings one back
    past_codes: tuple[str, ...] = ()

    def evolve(self, **changes: object) -> Activation:
        return replace(self, **changes)  # type: ignore[arg-type]


CODE_IN_TEXT = re.compile(r"(?<!\d)(\d{4,8})(?!\d)")


class LongRentalState(StrEnum):
    """A long rental: a number kept for days, for one service or for any."""

    ACTIVE = "active"
    CANCELLED = "cancelled"
    EXPIRED = "expired"  # its time ran out and it was not renewed
    FINISHED = "finished"  # the client let it go: paid to its end, never renewed


@dataclass(frozen=True)
class LongMessage:
    """One SMS a long rental received."""

    text: str
    sender: str
    received_at: float

    @property
    def code(self) -> str | None:
        """The first run of 4-8 digits in the text: what the dialects show as its code."""
        found = CODE_IN_TEXT.search(self.text)
        return found.group(1) if found else None


@dataclass(frozen=True)
class LongOffer:
    """A long rental a vendor sells: for one service, or the whole number (None)."""

    service: str | None
    period: str  # the vendor's period code
    seconds: float  # how long one period lasts
    cost: Decimal
    stock: int | None = None  # None: the vendor does not say


@dataclass(frozen=True)
class LongOrder:
    service: str | None  # None: the whole number, for any service
    period: str
    auto_renew: bool = False
    area_codes: tuple[str, ...] = ()
    lock_area_code: bool = False  # refused rather than sold outside the area codes
    country: str = "us"  # ISO 3166


@dataclass(frozen=True)
class LongSnapshot:
    """The vendor's view of one long rental; `messages` None when not read this time."""

    upstream_id: int
    number: str
    service: str | None
    period: str
    cost: Decimal
    state: LongRentalState
    end_time: float
    auto_renew: bool
    messages: tuple[LongMessage, ...] | None = None
    rented_at: float = 0.0  # when the vendor dates it (to the day)


class LongChange(StrEnum):
    RENEW = "renew"
    CANCEL = "cancel"
    AUTO_RENEW_ON = "auto_renew_on"
    AUTO_RENEW_OFF = "auto_renew_off"


@dataclass(frozen=True)
class LongRental:
    """A long rental the proxy holds: its own id, the vendor's, and what it received."""

    id: int
    provider: str
    upstream_id: int
    owner: str
    number: str  # national digits
    service: str | None  # api_name; None: the whole number, for any service
    period: str  # the vendor's period code (`1w`, `7d`, …)
    cost: Decimal  # what one period costs
    state: LongRentalState
    created_at: float
    end_time: float
    auto_renew: bool = False
    country: str = "us"
    messages: tuple[LongMessage, ...] = ()
    checked_at: float = 0.0  # last time the vendor was asked about it

    def evolve(self, **changes: object) -> LongRental:
        return replace(self, **changes)  # type: ignore[arg-type]


@dataclass(frozen=True)
class LimitGroup:
    """A vendor rate limit shared by some operations of one account."""

    name: str
    per_second: float


@dataclass(frozen=True)
class VendorRules:
    """A vendor's own rules, declared by its package and applied by the core."""

    cancel_lock_seconds: float = 0.0  # no cancel this soon after the purchase
    rerent_after_completion: Decimal = Decimal(1)  # re-rent price factor after a completion
    asks_for_another_sms: bool = False  # another SMS is requested of the vendor, who decides
    told_when_ready: bool = False  # the vendor wants to hear that the client sent the SMS
    refunds_unused: bool = True  # a rental that ends without a code gives its price back
    # what the vendor adds to an offer's price, as a share of it: the most a purchase can
    # cost, so a budget holds enough before it leaves
    carrier_surcharge: Decimal = Decimal(0)  # a carrier asked for
    area_code_surcharge: Decimal = Decimal(0)  # area codes asked for
    specific_number_surcharge: Decimal = Decimal(0)  # a number chosen by the client
    # a long rental cancelled this soon after it was rented, before any message, is
    # refunded; later or after a message it ends unrefunded (0: never refunded)
    long_cancel_refund_seconds: float = 0.0


@dataclass(frozen=True)
class Timeouts:
    """Seconds an upstream call may take, per kind: purchases may take the vendor a while."""

    purchase: float = 15.0
    change: float = 10.0
    read: float = 5.0
    listing: float = 10.0
