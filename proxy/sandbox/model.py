"""The vendor's records, as the sandbox keeps them in memory."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum


class RentalStatus(StrEnum):
    """Short-rental lifecycle (docs/sandbox.md, "Rental lifecycle").

    A code arriving keeps the rental `active` (the vendor's webhook says so); reading
    the code through `rental-status` or `getStatus` makes it `viewed`; only a viewed
    rental may be completed.
    """

    ACTIVE = "active"
    VIEWED = "viewed"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    EXPIRED = "expired"


OPEN_STATUSES = frozenset({RentalStatus.ACTIVE, RentalStatus.VIEWED})


@dataclass
class Account:
    api_key: str
    balance: Decimal
    restricted: bool = False
    max_active_rentals: int = 20
    webhook_url: str | None = None
    service_long_rentals: bool = True
    approved_services: set[str] = field(default_factory=set)


@dataclass
class Service:
    api_name: str
    service_name: str
    price: Decimal
    stock: int
    ttl: int  # minutes
    multiple_sms: bool = False
    available: bool = True
    requires_approval: bool = False
    generic: bool = False  # "Not Listed - Generic": cannot be re-rented
    long_rental_prices: dict[str, Decimal] = field(default_factory=dict)


@dataclass(frozen=True)
class PoolNumber:
    number: str  # 10 digits, no country code
    carrier: str
    area_code: str


@dataclass
class Sms:
    text: str
    code: str
    sender: str
    received_at: float


@dataclass
class Rental:
    id: int
    owner: str  # api key
    number: PoolNumber
    service: Service
    price: Decimal
    created_at: float
    end_time: float
    status: RentalStatus = RentalStatus.ACTIVE
    messages: list[Sms] = field(default_factory=list)

    @property
    def code(self) -> str | None:
        return self.messages[-1].code if self.messages else None

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


@dataclass
class LongRental:
    id: int
    owner: str
    number: PoolNumber
    period: str  # 1w, 2w, 1m, 1y
    price: Decimal
    rented_at: float
    end_time: float
    auto_renew: bool
    status: str = "Active"  # Active, Cancelled, Expired
    messages: list[Sms] = field(default_factory=list)


@dataclass
class ServiceLongRental:
    id: int
    owner: str
    number: PoolNumber
    service: Service
    period: str  # 1d, 3d, 7d, 14d, 30d
    cost: Decimal
    rented_at: float
    end_time: float
    auto_renew: bool
    status: str = "Active"
    messages: list[Sms] = field(default_factory=list)


@dataclass
class Auction:
    id: int
    service_name: str
    current_bid: Decimal
    end_time: float
    amount: int
