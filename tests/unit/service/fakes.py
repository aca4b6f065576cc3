"""Fakes at the ports: a scripted vendor (Provider) over the memory store and a manual
clock, so a business rule is tested in milliseconds, without sockets (Cosmic Python's
FakeUnitOfWork and httpx's MockTransport are the models)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from proxy.domain import (
    LimitGroup,
    LongChange,
    LongMessage,
    LongOffer,
    LongOrder,
    LongRental,
    LongSnapshot,
    Offer,
    Order,
    PushedCode,
    RentalSnapshot,
    RentalState,
    RentedNumber,
    UpstreamAccount,
    VendorRules,
)
from proxy.errors import DomainError, ServiceUnavailable, UpstreamUnavailable
from proxy.local.clock import ManualClock
from proxy.local.pacing import Pacer
from proxy.service import Service, ServiceSettings
from proxy.service.identity import Identity
from proxy.store.memory import MemoryStore

VENDOR = "fake"
VENDOR_KEY = "vendor-account-key"
WA = Offer("whatsapp", "Whatsapp", Decimal("0.55"), 100, 20, False)
TG = Offer("telegram", "Telegram", Decimal("0.45"), 100, 20, False)
RENTAL_SECONDS = 1200.0


class NoLongRentals:
    async def offers(self, key: str) -> Sequence[LongOffer]:
        raise ServiceUnavailable("no long rentals here")

    async def rent(self, key: str, order: LongOrder) -> LongSnapshot:
        raise ServiceUnavailable("no long rentals here")

    async def status(self, key: str, rental: LongRental) -> LongSnapshot:
        raise ServiceUnavailable("no long rentals here")

    async def listed(self, key: str, service_rentals: bool) -> Sequence[LongSnapshot]:
        raise ServiceUnavailable("no long rentals here")

    async def messages(self, key: str, rental: LongRental) -> tuple[LongMessage, ...]:
        raise ServiceUnavailable("no long rentals here")

    async def change(self, key: str, rental: LongRental, change: LongChange) -> LongSnapshot:
        raise ServiceUnavailable("no long rentals here")


@dataclass
class ScriptedVendor:
    """A vendor whose answers the test writes: every call is recorded; `fail` makes the
    next calls of an operation raise the given errors, in order."""

    clock: ManualClock
    rules: VendorRules = field(default_factory=VendorRules)
    name: str = VENDOR
    countries: frozenset[str] = frozenset({"us"})
    services: frozenset[str] | None = None
    limits: dict[str, LimitGroup] = field(default_factory=dict)
    long_rentals: NoLongRentals = field(default_factory=NoLongRentals)
    calls: list[str] = field(default_factory=list)
    rentals: dict[int, RentalSnapshot] = field(default_factory=dict)
    failures: dict[str, list[DomainError]] = field(default_factory=dict)
    after_sale: list[DomainError] = field(default_factory=list)  # sold, then this raised
    offered: tuple[Offer, ...] = (WA, TG)
    money: Decimal = Decimal("100.00")
    holding: asyncio.Event | None = None  # set: balance reads wait for it, then fail
    held: asyncio.Event = field(default_factory=asyncio.Event)  # a read is waiting

    @property
    def endpoints(self) -> Sequence[str]:
        return ("balance", "offers", "rent", "status", "cancel")

    def fail(self, operation: str, *errors: DomainError) -> None:
        self.failures.setdefault(operation, []).extend(errors)

    def count(self, operation: str) -> int:
        return self.calls.count(operation)

    def code(self, upstream_id: int, code: str) -> None:
        self.rentals[upstream_id] = RentalSnapshot(upstream_id, RentalState.OPEN, code, None)

    def _called(self, operation: str) -> None:
        self.calls.append(operation)
        waiting = self.failures.get(operation)
        if waiting:
            raise waiting.pop(0)

    async def balance(self, key: str) -> Decimal:
        self._called("balance")
        if self.holding is not None:  # the vendor answers only when the test lets it
            self.held.set()
            await self.holding.wait()
            raise UpstreamUnavailable("answered late, with a 502")
        return self.money

    async def offers(self, key: str) -> Sequence[Offer]:
        self._called("offers")
        return self.offered

    async def rent(self, key: str, order: Order) -> RentedNumber:
        self._called("rent")
        offer = next(o for o in self.offered if o.service == order.services[0])
        upstream_id = 1000 + len(self.rentals)
        self.rentals[upstream_id] = RentalSnapshot(upstream_id, RentalState.OPEN, None, None)
        self.money -= offer.cost
        if self.after_sale:
            raise self.after_sale.pop(0)  # the vendor sold it; its answer never came
        return RentedNumber(
            upstream_id,
            f"21255501{upstream_id % 100:02d}",
            offer.service,
            offer.name,
            offer.cost,
            self.clock.now() + RENTAL_SECONDS,
            balance_after=self.money,
        )

    async def rent_many(self, key: str, order: Order) -> Sequence[RentedNumber]:
        return [await self.rent(key, Order((s,))) for s in order.services]

    async def status(self, key: str, upstream_id: int) -> RentalSnapshot:
        self._called("status")
        return self.rentals[upstream_id]

    async def cancel(self, key: str, upstream_id: int) -> RentalSnapshot:
        self._called("cancel")
        cancelled = RentalSnapshot(upstream_id, RentalState.CANCELLED, None, None)
        self.rentals[upstream_id] = cancelled
        return cancelled

    async def complete(self, key: str, upstream_id: int) -> None:
        self._called("complete")

    async def request_another(self, key: str, upstream_id: int) -> None:
        self._called("request_another")

    async def mark_ready(self, key: str, upstream_id: int) -> None:
        self._called("mark_ready")

    async def open_rentals(self, key: str) -> Sequence[RentalSnapshot] | None:
        self._called("open_rentals")
        return [r for r in self.rentals.values() if r.state is RentalState.OPEN]

    async def rerent(self, key: str, upstream_id: int) -> RentedNumber:
        raise ServiceUnavailable("not scripted")

    async def rent_specific(
        self, key: str, number: str, service: str, max_price: Decimal | None = None
    ) -> RentedNumber:
        raise ServiceUnavailable("not scripted")

    async def forward(
        self, key: str, method: str, path: str, body: dict[str, Any] | None
    ) -> tuple[int, Any]:
        raise ServiceUnavailable("not scripted")

    def read_webhook(self, body: Any) -> PushedCode | None:
        return PushedCode(int(body["id"]), str(body["code"]))

    async def close(self) -> None:
        return None


@dataclass
class World:
    service: Service
    vendor: ScriptedVendor
    store: MemoryStore
    clock: ManualClock


def world(
    *,
    managed: bool = False,
    rules: VendorRules | None = None,
    settings: ServiceSettings | None = None,
) -> World:
    """The core over fakes; `managed`: keys are issued (policies, budgets), else a
    client's key passes through as the vendor account."""
    clock = ManualClock(1_700_000_000.0)
    vendor = ScriptedVendor(clock, rules or VendorRules())
    store = MemoryStore()
    accounts = {VENDOR: UpstreamAccount(VENDOR, VENDOR_KEY, VENDOR)} if managed else None
    identity = Identity(b"unit", VENDOR, {} if managed else None, accounts)
    service = Service(
        vendor,
        store,
        clock,
        identity,
        settings or ServiceSettings(webhook_secret="hooks"),
        Pacer(max_wait=float("inf"), margin=-1.0, window_guard=False, now=clock.now),
    )
    return World(service, vendor, store, clock)
