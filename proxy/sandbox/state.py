"""The vendor's world: accounts, catalogue, number pool, rentals, and their clock."""

from __future__ import annotations

import heapq
import random
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal

from . import catalog
from .clock import SandboxClock
from .limits import FailedCombinations, RateLimiter
from .model import (
    Account,
    Auction,
    LongRental,
    PoolNumber,
    Rental,
    RentalStatus,
    Service,
    ServiceLongRental,
)
from .texts import AUTH_MISSING, AUTH_WRONG, raise_


@dataclass
class SandboxConfig:
    seed: int = 1
    frozen_clock: bool = False
    pool_size: int = 300
    global_max_active_rentals: int = 10_000
    cancel_lock_seconds: int = 60
    slr_cancel_window_seconds: int = 3600
    webhook_timeout_seconds: float = 5.0
    max_body_bytes: int = 64 * 1024
    state_file: str | None = None  # keep the world across restarts (the embedded demo)
    long_rental_prices: dict[str, Decimal] = field(
        default_factory=lambda: {
            "1w": Decimal("10.99"),
            "2w": Decimal("12.99"),
            "1m": Decimal("14.99"),
            "1y": Decimal("99.99"),
        }
    )


class SandboxState:
    def __init__(self, config: SandboxConfig, clock: SandboxClock) -> None:
        self.config = config
        self.clock = clock
        self.reset()

    def reset(self) -> None:
        self.rng = random.Random(self.config.seed)
        self.accounts: dict[str, Account] = catalog.default_accounts()
        self.services: dict[str, Service] = catalog.default_services()
        self.pool: list[PoolNumber] = catalog.generate_pool(self.rng, self.config.pool_size)
        self.pool_by_number = {n.number: n for n in self.pool}
        self.rentals: dict[int, Rental] = {}
        self.open_rentals: dict[int, Rental] = {}
        self.reindex()
        self.long_rentals: dict[int, LongRental] = {}
        self.service_long_rentals: dict[int, ServiceLongRental] = {}
        self.auctions: dict[int, Auction] = {
            1: Auction(1, "Whatsapp", Decimal("0.55"), self.clock.now() + 86400, 100),
            2: Auction(2, "Telegram", Decimal("0.45"), self.clock.now() + 86400, 50),
        }
        self.maintenance = False
        self.limiter = RateLimiter(self.clock.now)
        self.failed_combinations = FailedCombinations(self.clock.now, self.rng)
        self._next_id = self.rng.randint(10_000, 99_999)

    # -- identity -------------------------------------------------------------------
    def authenticate(self, key: str | None) -> Account:
        if not key:
            raise raise_(AUTH_MISSING)
        account = self.accounts.get(key)
        if account is None or account.restricted:
            raise raise_(AUTH_WRONG)
        return account

    def next_id(self) -> int:
        self._next_id += 1
        return self._next_id

    # -- indexes: what a request needs, without walking every rental ----------------------
    def reindex(self) -> None:
        """Rebuild the indexes from the rentals (at reset, and after a restore)."""
        self.open_rentals = {i: r for i, r in self.rentals.items() if r.is_open}
        self._open_by_owner: Counter[str] = Counter()
        self._busy: Counter[tuple[str, str]] = Counter()  # (number, service) -> open rentals
        self._burned: set[tuple[str, str]] = set()  # (number, service) completed
        self._completed_cost: dict[tuple[str, str, str], Decimal] = {}  # (owner, number, svc)
        self._expiries: list[tuple[float, int]] = []  # a heap of (end time, rental id)
        for rental in self.rentals.values():
            if rental.is_open:
                self.opened(rental)
            elif rental.status is RentalStatus.COMPLETED:
                self._completed(rental)

    def opened(self, rental: Rental) -> None:
        self.open_rentals[rental.id] = rental
        self._open_by_owner[rental.owner] += 1
        self._busy[(rental.number.number, rental.service.api_name)] += 1
        heapq.heappush(self._expiries, (rental.end_time, rental.id))

    def _completed(self, rental: Rental) -> None:
        number, service = rental.number.number, rental.service.api_name
        self._burned.add((number, service))
        self._completed_cost[(rental.owner, number, service)] = rental.price

    # -- number availability ----------------------------------------------------------
    def is_busy(self, number: PoolNumber, service: Service) -> bool:
        if self._busy[(number.number, service.api_name)] > 0:
            return True
        for lr in self.long_rentals.values():
            if lr.number == number and lr.status == "Active":
                return True
        for s in self.service_long_rentals.values():
            if s.number == number and s.status == "Active" and s.service is service:
                return True
        return False

    def completed_cost(self, owner: str, number: str, service: Service) -> Decimal | None:
        """Cost of the owner's latest completed rental of this number and service."""
        return self._completed_cost.get((owner, number, service.api_name))

    def is_burned(self, number: PoolNumber, service: Service) -> bool:
        """A number that completed a verification for a service is not handed out again."""
        return (number.number, service.api_name) in self._burned

    def free_numbers(self, services: list[Service]) -> list[PoolNumber]:
        return [
            n
            for n in self.pool
            if all(not self.is_busy(n, s) and not self.is_burned(n, s) for s in services)
        ]

    def active_count(self, owner: str) -> int:
        return self._open_by_owner[owner]

    # -- time ---------------------------------------------------------------------------
    def sweep(self) -> None:
        """Apply every time-based rule that is due (expiry, refunds, long-rental ends)."""
        now = self.clock.now()
        while self._expiries and self._expiries[0][0] <= now:
            _, rental_id = heapq.heappop(self._expiries)
            rental = self.open_rentals.get(rental_id)
            if rental is not None and rental.end_time <= now:
                self.close(rental, RentalStatus.COMPLETED if rental.code else RentalStatus.EXPIRED)
        for lr in self.long_rentals.values():
            while lr.status == "Active" and lr.end_time <= now:
                self._roll_over(lr, lr.price, "Expired")
        for slr in self.service_long_rentals.values():
            while slr.status == "Active" and slr.end_time <= now:
                self._roll_over(slr, slr.cost, "Expired")

    def _roll_over(self, rental: LongRental | ServiceLongRental, cost: Decimal, end: str) -> None:
        account = self.accounts.get(rental.owner)
        if rental.auto_renew and account is not None and account.balance >= cost:
            account.balance -= cost
            rental.end_time += self.period_seconds(rental.period)
        else:
            rental.status = end

    @staticmethod
    def period_seconds(period: str) -> float:
        days = {
            "1d": 1,
            "3d": 3,
            "7d": 7,
            "14d": 14,
            "30d": 30,
            "1w": 7,
            "2w": 14,
            "1m": 30,
            "1y": 365,
        }[period]
        return days * 86400.0

    def close(self, rental: Rental, status: RentalStatus) -> None:
        """End a short rental; cancellation and expiry without a code refund the price."""
        rental.status = status
        if self.open_rentals.pop(rental.id, None) is not None:
            self._open_by_owner[rental.owner] -= 1
            self._busy[(rental.number.number, rental.service.api_name)] -= 1
        if status is RentalStatus.COMPLETED:
            self._completed(rental)
        if status in (RentalStatus.CANCELLED, RentalStatus.EXPIRED) and rental.code is None:
            account = self.accounts.get(rental.owner)
            if account is not None:
                account.balance += rental.price
            rental.service.stock += 1
