"""The interfaces the core depends on; adapters and stores implement them."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable, Mapping, Sequence
from decimal import Decimal
from typing import Any, Protocol, TypeVar

from proxy.domain import (
    Activation,
    Delivery,
    LedgerEntry,
    LimitGroup,
    LongChange,
    LongMessage,
    LongOffer,
    LongOrder,
    LongRental,
    LongSnapshot,
    ManagedKey,
    Offer,
    Order,
    Purchase,
    PurchaseState,
    PushedCode,
    RentalSnapshot,
    RentedNumber,
    TenantPolicy,
    VendorRules,
)


class Clock(Protocol):
    def now(self) -> float: ...


class Turn(Protocol):
    """One call's place in its account's limit group."""

    def finish(self, at: float) -> None:
        """The vendor has answered (or the call ended otherwise) at `at`."""
        ...


class Pacer(Protocol):
    """Outbound pacing per (account, limit group): `proxy.local.pacing`, `proxy.fleet.pacer`."""

    def now(self) -> float: ...

    async def acquire(self, account: str, group: LimitGroup, max_wait: float | None = None) -> Turn:
        """Wait for the call's slot; `RateLimited` when it is further than the bound."""
        ...

    def penalize(self, account: str, group: LimitGroup, retry_after: float) -> None:
        """The vendor said 429: nothing of this group leaves before `retry_after`."""
        ...


class RateLimits(Protocol):
    """Request rates (`proxy.local.rates`; a fleet's: `proxy.fleet.rates`)."""

    async def admit(self, tenant: str, per_second: float, burst: float | None = None) -> float:
        """0, or the seconds until it may go; `burst` at once (default: 1 s's worth)."""
        ...


K = TypeVar("K", bound=Hashable)
K_in = TypeVar("K_in", bound=Hashable, contravariant=True)
V = TypeVar("V")


class Flight(Protocol[K_in, V]):
    """Concurrent calls with the same key share one execution."""

    async def do(self, key: K_in, work: Callable[[], Awaitable[V]]) -> V: ...


class Cache(Protocol[K_in, V]):
    """Values loaded once per key and served until they age out."""

    async def get(self, key: K_in, load: Callable[[], Awaitable[V]]) -> V: ...

    def peek(self, key: K_in) -> V | None:
        """The stored value, however old, without loading anything."""
        ...


class NegativeCache(Protocol[K]):
    """Requests known to fail, answered at once until their entry expires."""

    name: str

    def remember(self, key: K) -> None: ...

    def hit(self, key: K) -> bool: ...

    def entries(self) -> dict[K, float]:
        """Live entries and their remaining seconds."""
        ...

    def purge(self) -> int: ...


class Caches(Protocol):
    """Where the service's caches live: in process (`proxy.local.caching.LocalCaches`) today;
    the replicas' shared caches implement the same port."""

    def flight(self, name: str) -> Flight[Any, Any]: ...

    def cache(self, name: str, *, ttl: float, stale_for: float = 0.0) -> Cache[Any, Any]: ...

    def negative(self, name: str, ttl: float) -> NegativeCache[Any]: ...


class LongRentalVendor(Protocol):
    """A vendor's long rentals (numbers kept for days), where it sells them."""

    async def offers(self, key: str) -> Sequence[LongOffer]:
        """The long rentals the vendor sells; `ServiceUnavailable` where it sells none."""
        ...

    async def rent(self, key: str, order: LongOrder) -> LongSnapshot:
        """A purchase: its outcome may be unknown (`OutcomeUnknown`), as any purchase."""
        ...

    async def status(self, key: str, rental: LongRental) -> LongSnapshot:
        """The rental as the vendor sees it now, with its messages."""
        ...

    async def listed(self, key: str, service_rentals: bool) -> Sequence[LongSnapshot]:
        """The account's long rentals of one kind (whole numbers, or for one service), as
        the vendor lists them, without messages: what reconciles an unknown purchase."""
        ...

    async def messages(self, key: str, rental: LongRental) -> tuple[LongMessage, ...]:
        """One rental's messages (a listing reads the vendor's list once, then these)."""
        ...

    async def change(self, key: str, rental: LongRental, change: LongChange) -> LongSnapshot:
        """Renew (a purchase too), cancel, or switch auto-renewal."""
        ...


class Provider(Protocol):
    """One upstream vendor account kind. Every method raises `DomainError`s only."""

    name: str
    countries: frozenset[str]  # ISO 3166 alpha-2 codes it sells numbers of
    services: frozenset[str] | None  # the only services bought here; None: any
    rules: VendorRules

    @property
    def endpoints(self) -> Sequence[str]:
        """The vendor calls it makes, as metric labels."""
        ...

    limits: Mapping[str, LimitGroup]  # operation name -> the vendor limit it counts against

    @property
    def long_rentals(self) -> LongRentalVendor:
        """Its long rentals (one that sells none refuses with `ServiceUnavailable`)."""
        ...

    async def balance(self, key: str) -> Decimal: ...

    async def offers(self, key: str) -> Sequence[Offer]: ...

    async def rent(self, key: str, order: Order) -> RentedNumber: ...

    async def rent_many(self, key: str, order: Order) -> Sequence[RentedNumber]: ...

    async def status(self, key: str, upstream_id: int) -> RentalSnapshot: ...

    async def cancel(self, key: str, upstream_id: int) -> RentalSnapshot: ...

    async def complete(self, key: str, upstream_id: int) -> None: ...

    async def request_another(self, key: str, upstream_id: int) -> None:
        """The client wants another SMS on the rental (vendors whose rules ask for it)."""
        ...

    async def mark_ready(self, key: str, upstream_id: int) -> None:
        """The client says its service sent the SMS (vendors whose rules want to know)."""
        ...

    async def open_rentals(self, key: str) -> Sequence[RentalSnapshot] | None:
        """The account's open rentals, where the vendor lists them; None where it does
        not (reconciliation then reads ids back one by one)."""
        ...

    async def rerent(self, key: str, upstream_id: int) -> RentedNumber: ...

    async def rent_specific(
        self, key: str, number: str, service: str, max_price: Decimal | None = None
    ) -> RentedNumber: ...

    async def forward(
        self, key: str, method: str, path: str, body: dict[str, Any] | None
    ) -> tuple[int, Any]:
        """A native call of this vendor that the core does not model (auctions): sent
        as is, answered as the vendor answered."""
        ...

    def read_webhook(self, body: Any) -> PushedCode | None:
        """This vendor's webhook body, read; None when it is not one."""
        ...

    async def close(self) -> None: ...


class WebhookSender(Protocol):
    """POSTs to tenants' webhooks (`proxy.web.tenant_webhooks` over HTTP)."""

    async def post(self, url: str, body: bytes, headers: Mapping[str, str]) -> int:
        """The receiver's HTTP status; raises when there was none (refused, timed out)."""
        ...


class Observer(Protocol):
    """Hooks for measurements; implementations must never raise."""

    def upstream_call(self, provider: str, endpoint: str, outcome: str, seconds: float) -> None: ...

    def rented(self, provider: str, service: str, cost: Decimal) -> None: ...

    def store_op(self, operation: str, seconds: float) -> None: ...

    def purchase_settled(self, provider: str, state: str) -> None: ...

    def routed(self, provider: str, route: str) -> None:
        """A purchase was sold by `provider`: `first` tried, or after a `failover`."""
        ...

    def failed_over(self, provider: str, reason: str) -> None:
        """`provider` refused a purchase (the domain error's class) and it went on."""
        ...

    def tenant_charged(self, tenant: str, amount: Decimal) -> None:
        """An issued tenant bought a number for `amount`."""
        ...

    def tenant_refunded(self, tenant: str, amount: Decimal) -> None: ...

    def tenant_refused(self, tenant: str, reason: str) -> None:
        """A tenant's own limit refused a request: budget, rate, cap, service, country."""
        ...

    def key_checked(self, outcome: str) -> None: ...  # accepted, refused or undecided

    def request_limited(self, reason: str) -> None: ...  # source, key_check_wait

    def webhook_delivery(self, outcome: str) -> None:
        """A delivery to a tenant's webhook: sent, retried, failed or dropped."""
        ...

    def tenants_known(self, names: Sequence[str]) -> None:
        """The issued tenants there are (their series start at zero)."""
        ...

    def long_rental(self, provider: str, event: str, amount: Decimal) -> None:
        """A long rental was `rented`, `renewed` (each paying `amount`), `cancelled` or
        `finished`."""
        ...


class LedgerStore(Protocol):
    """Issued tenants' money: holds, charges, refunds and adjustments."""

    async def hold(
        self, entry: LedgerEntry, limits: Sequence[tuple[float, Decimal]], lapse_before: float
    ) -> bool:
        """Hold `entry.amount` for `entry.purchase_id` (a RESERVE row) when, for each
        (since, limit), the tenant's spend since then plus what it holds (holds made
        before `lapse_before` no longer count) plus the amount stays within the limit.
        Checked and written as one step, also against other processes on the store."""
        ...

    async def release(self, template: LedgerEntry) -> bool:
        """End the hold of `template.purchase_id` with a RELEASE row of minus its amount;
        False when nothing was held."""
        ...

    async def add(self, entry: LedgerEntry) -> bool:
        """Append; an activation's charge and its refund are each written once (False:
        it was there)."""
        ...

    async def hold_of(self, purchase_id: int) -> LedgerEntry | None:
        """The purchase's reservation row (released or not)."""
        ...

    async def charge_of(self, activation_id: int) -> LedgerEntry | None: ...

    async def entries(
        self, tenant: str | None = None, since: float | None = None, limit: int = 100_000
    ) -> list[LedgerEntry]:
        """Oldest first."""
        ...

    async def spent(self, tenant: str, since: float) -> Decimal:
        """Charges less refunds, plus adjustments, from `since` on."""
        ...

    async def held(self, tenant: str, lapse_before: float) -> Decimal: ...


class OutboxStore(Protocol):
    """Codes on their way to tenants' webhooks: durable until delivered or given up."""

    async def add(self, delivery: Delivery, bound: int) -> tuple[Delivery | None, int]:
        """Queue it (None when this code of this activation is queued already); past
        `bound` pending deliveries of the tenant the oldest are given up: how many."""
        ...

    async def due(self, now: float, limit: int) -> list[Delivery]: ...

    async def put(self, delivery: Delivery) -> None: ...

    async def newest(self, tenant: str | None = None, limit: int = 100) -> list[Delivery]:
        """Newest first."""
        ...

    async def counts(self) -> dict[str, int]:
        """Deliveries per state."""
        ...


class LongRentalStore(Protocol):
    """Long rentals (numbers kept for days): their ids are the proxy's own."""

    async def add(self, rental: LongRental) -> LongRental:
        """Persist a new long rental and assign its id."""
        ...

    async def get(self, rental_id: int) -> LongRental | None: ...

    async def put(self, rental: LongRental) -> None: ...

    async def for_owner(self, owner: str) -> list[LongRental]:
        """The owner's long rentals, newest first."""
        ...

    async def by_upstream(self, provider: str, upstream_id: int) -> LongRental | None: ...

    async def counts(self) -> dict[str, int]:
        """Long rentals by state (for the metrics page)."""
        ...


class ActivationStore(Protocol):
    """Durable activations, and what is kept per owner beside them (order references,
    max prices). `add` assigns the proxy id (below 2^31) and persists first."""

    async def add(self, activation: Activation) -> Activation: ...

    async def get(self, activation_id: int) -> Activation | None: ...

    def peek(self, activation_id: int) -> Activation | None:
        """The activation when this process holds it as the store has it, without I/O;
        None means "ask `get`" (a store shared with other replicas always says None)."""
        ...

    async def put(self, activation: Activation) -> None: ...

    async def open_for(self, owner: str) -> list[Activation]: ...

    async def by_upstream(self, provider: str, upstream_id: int) -> Activation | None: ...

    async def open_ended(
        self, owners: Sequence[str], before: float, limit: int
    ) -> list[Activation]:
        """Open activations of these owners whose end time is past `before`, earliest
        first: rentals the vendor has ended that nobody has asked about since."""
        ...

    async def counts(self) -> dict[str, int]:
        """Activations per status value (for the metrics gauge)."""
        ...

    async def history(
        self, owner: str, limit: int, offset: int, newest_first: bool
    ) -> tuple[list[Activation], int]: ...

    async def last_on_number(self, owner: str, number: str, service: str) -> Activation | None: ...

    async def claim_order_ref(self, owner: str, ref: str) -> bool:
        """Reserve a client's order reference; False when it was claimed before."""
        ...

    async def release_order_ref(self, owner: str, ref: str) -> None: ...

    async def max_prices(self, owner: str) -> dict[str, Decimal]: ...

    async def set_max_price(self, owner: str, service: str, price: Decimal) -> None: ...

    async def delete_max_price(self, owner: str, service: str) -> bool: ...


class JournalStore(Protocol):
    """The purchase journal: an intent is durable before the purchase leaves."""

    async def add(self, purchase: Purchase) -> Purchase:
        """Persist a new intent and assign its id."""
        ...

    async def put(self, purchase: Purchase) -> None: ...

    async def get(self, purchase_id: int) -> Purchase | None: ...

    async def newest(
        self, state: PurchaseState | None = None, owner: str | None = None, limit: int = 100
    ) -> list[Purchase]:
        """Newest first."""
        ...

    async def counts(self) -> dict[str, int]: ...

    async def max_upstream_id(self, provider: str) -> int:
        """The highest upstream id held for the provider (0 when none): where reading
        ids back starts."""
        ...


class TenantStore(Protocol):
    """Issued client keys (fingerprints only) and their tenants' policies."""

    async def add_key(self, key: ManagedKey) -> None: ...

    async def put_key(self, key: ManagedKey) -> None: ...

    async def keys(self) -> list[ManagedKey]:
        """Every issued key, oldest first."""
        ...

    async def put_policy(self, policy: TenantPolicy) -> None: ...

    async def policies(self) -> dict[str, TenantPolicy]:
        """Each issued tenant's policy, by tenant name."""
        ...


class Store(Protocol):
    """The unit of work: one database's stores, one per aggregate. What must hold
    together is written together inside one store's call (a budget hold is checked and
    written in one transaction of the ledger's); an activation and the journal entry it
    came from live in the same database."""

    @property
    def activations(self) -> ActivationStore: ...

    @property
    def journal(self) -> JournalStore: ...

    @property
    def ledger(self) -> LedgerStore: ...

    @property
    def outbox(self) -> OutboxStore: ...

    @property
    def long_rentals(self) -> LongRentalStore: ...

    @property
    def tenants(self) -> TenantStore: ...


    async def close(self) -> None: ...


# each aggregate's port, by the unit of work's attribute (its methods name the metrics'
# store operations: store/timed.py)
AGGREGATES: dict[str, type[Any]] = {
    "activations": ActivationStore,
    "journal": JournalStore,
    "ledger": LedgerStore,
    "outbox": OutboxStore,
    "long_rentals": LongRentalStore,
    "tenants": TenantStore,
}


def port_methods(port: type[Any]) -> tuple[str, ...]:
    """The methods a port declares, in order."""
    return tuple(n for n, v in vars(port).items() if callable(v) and not n.startswith("_"))


def store_operation(aggregate: str, method: str) -> str:
    """A store call's metrics label: an activation's own methods by their bare names,
    the other aggregates' as `<aggregate>_<method>` (`journal_add`, `ledger_hold`)."""
    return method if aggregate == "activations" else f"{aggregate}_{method}"


def store_operations() -> tuple[str, ...]:
    """Every store call's label, derived from the ports (the metrics' closed set)."""
    return tuple(
        store_operation(aggregate, method)
        for aggregate, port in AGGREGATES.items()
        for method in port_methods(port)
        if method != "peek"  # answered from memory: not an operation
    )
