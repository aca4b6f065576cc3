"""Number long rentals, service long rentals and auctions."""

from __future__ import annotations

from decimal import Decimal

from .catalog import SERVICE_PERIODS
from .model import Account, Auction, LongRental, PoolNumber, Service, ServiceLongRental
from .pricing import long_rental_price
from .rentals import find_service
from .state import SandboxState
from .texts import (
    AUCTION_NOT_FOUND,
    BID_FUNDS,
    BID_TOO_LOW,
    INSUFFICIENT_FUNDS,
    LONG_RENTAL_ACTION_INVALID,
    LONG_RENTAL_NO_STOCK,
    LONG_RENTAL_NOT_ACTIVE,
    LONG_RENTAL_NOT_FOUND,
    LONG_RENTAL_TIME_INVALID,
    PERIOD_INVALID,
    PERIOD_MISSING,
    SERVICE_MISSING,
    SLR_AMBIGUOUS,
    SLR_CANNOT_CANCEL,
    SLR_DISABLED,
    SLR_NO_STOCK,
    SLR_NOT_FOUND,
    SLR_PERIOD_UNAVAILABLE,
    raise_,
)

LONG_PERIOD_NAMES = {"1w": "1 Week", "2w": "2 Weeks", "1m": "1 Month", "1y": "1 Year"}
SERVICE_PERIOD_NAMES = {
    "1d": "1 Day",
    "3d": "3 Days",
    "7d": "7 Days",
    "14d": "14 Days",
    "30d": "30 Days",
}


def _number_is_free(state: SandboxState, number: PoolNumber) -> bool:
    return all(not state.is_busy(number, s) for s in state.services.values())


def _pick(
    state: SandboxState, candidates: list[PoolNumber], area_codes: list[str], lock: bool
) -> tuple[PoolNumber | None, bool]:
    if area_codes:
        in_area = [n for n in candidates if n.area_code in area_codes]
        if in_area:
            return state.rng.choice(in_area), True
        if lock:
            return None, False
    return (state.rng.choice(candidates), False) if candidates else (None, False)


def long_rental_stock(state: SandboxState) -> int:
    return sum(1 for n in state.pool if _number_is_free(state, n))


def create_long_rental(
    state: SandboxState,
    account: Account,
    period: str | None,
    auto_renew: bool,
    area_codes: list[str],
) -> LongRental:
    if period not in state.config.long_rental_prices:
        raise raise_(LONG_RENTAL_TIME_INVALID)
    free = [n for n in state.pool if _number_is_free(state, n)]
    number, by_area = _pick(state, free, area_codes, lock=False)
    if number is None:
        raise raise_(LONG_RENTAL_NO_STOCK)
    price = long_rental_price(state.config.long_rental_prices[period], by_area_code=by_area)
    if account.balance < price:
        raise raise_(INSUFFICIENT_FUNDS)
    account.balance -= price
    now = state.clock.now()
    rental = LongRental(
        id=state.next_id(),
        owner=account.api_key,
        number=number,
        period=period,
        price=price,
        rented_at=now,
        end_time=now + state.period_seconds(period),
        auto_renew=auto_renew,
    )
    state.long_rentals[rental.id] = rental
    return rental


def owned_long_rental(state: SandboxState, account: Account, rental_id: int | None) -> LongRental:
    rental = state.long_rentals.get(rental_id) if rental_id is not None else None
    if rental is None or rental.owner != account.api_key:
        raise raise_(LONG_RENTAL_NOT_FOUND)
    return rental


def update_long_rental(
    state: SandboxState,
    account: Account,
    rental_id: int | None,
    action: str | None,
    auto_renew: bool | None,
) -> LongRental:
    rental = owned_long_rental(state, account, rental_id)
    if action not in ("renew", "cancel", "auto_renew"):
        raise raise_(LONG_RENTAL_ACTION_INVALID)
    if rental.status != "Active":
        raise raise_(LONG_RENTAL_NOT_ACTIVE)
    if action == "renew":
        if account.balance < rental.price:
            raise raise_(INSUFFICIENT_FUNDS)
        account.balance -= rental.price
        rental.end_time += state.period_seconds(rental.period)
    elif action == "cancel":
        window = state.config.slr_cancel_window_seconds
        if not rental.messages and state.clock.now() - rental.rented_at < window:
            account.balance += rental.price
        rental.status = "Cancelled"
    else:
        rental.auto_renew = bool(auto_renew)
    return rental


# -- service long rentals --------------------------------------------------------------
def create_service_long_rental(
    state: SandboxState,
    account: Account,
    api_name: str | None,
    period: str | None,
    auto_renew: bool,
    area_codes: list[str],
    lock_area_code: bool,
) -> ServiceLongRental:
    if not account.service_long_rentals:
        raise raise_(SLR_DISABLED)
    if api_name is None:
        raise raise_(SERVICE_MISSING)
    if period is None:
        raise raise_(PERIOD_MISSING)
    if period not in SERVICE_PERIODS:
        raise raise_(PERIOD_INVALID)
    service = find_service(state, api_name)
    cost = service.long_rental_prices.get(period)
    if cost is None:
        raise raise_(SLR_PERIOD_UNAVAILABLE)
    if account.balance < cost:
        raise raise_(INSUFFICIENT_FUNDS)
    free = [
        n for n in state.pool if not state.is_busy(n, service) and not state.is_burned(n, service)
    ]
    number, _ = _pick(state, free, area_codes, lock=lock_area_code)
    if number is None:
        raise raise_(SLR_NO_STOCK)
    account.balance -= cost
    now = state.clock.now()
    rental = ServiceLongRental(
        id=state.next_id(),
        owner=account.api_key,
        number=number,
        service=service,
        period=period,
        cost=cost,
        rented_at=now,
        end_time=now + state.period_seconds(period),
        auto_renew=auto_renew,
    )
    state.service_long_rentals[rental.id] = rental
    return rental


def find_service_long_rental(
    state: SandboxState,
    account: Account,
    number: str,
    api_name: str | None,
    *,
    active_only: bool = True,
) -> ServiceLongRental:
    matches = [
        r
        for r in state.service_long_rentals.values()
        if r.owner == account.api_key
        and r.number.number == number
        and (not active_only or r.status == "Active")
        and (api_name is None or r.service.api_name == api_name)
    ]
    if not matches:
        raise raise_(SLR_NOT_FOUND)
    if len(matches) > 1:
        raise raise_(SLR_AMBIGUOUS)
    return matches[0]


def cancel_service_long_rental(
    state: SandboxState, rental: ServiceLongRental, account: Account
) -> None:
    too_late = state.clock.now() - rental.rented_at >= state.config.slr_cancel_window_seconds
    if rental.messages or too_late:
        raise raise_(SLR_CANNOT_CANCEL)
    rental.status = "Cancelled"
    account.balance += rental.cost


def renew_service_long_rental(
    rental: ServiceLongRental, account: Account, state: SandboxState
) -> None:
    if account.balance < rental.cost:
        raise raise_(INSUFFICIENT_FUNDS)
    account.balance -= rental.cost
    rental.end_time += state.period_seconds(rental.period)


def service_long_prices(services: list[Service]) -> list[dict[str, object]]:
    return [
        {
            "service_name": s.service_name,
            "api_name": s.api_name,
            "prices": [
                {"period": p, "cost": f"{c:.2f}"}
                for p, c in sorted(
                    s.long_rental_prices.items(),
                    key=lambda kv: SERVICE_PERIODS.index(kv[0]) if kv[0] in SERVICE_PERIODS else 99,
                )
            ],
        }
        for s in services
    ]


# -- auctions ---------------------------------------------------------------------------
def active_auctions(state: SandboxState) -> list[Auction]:
    now = state.clock.now()
    return [a for a in state.auctions.values() if a.end_time > now]


def bid(state: SandboxState, account: Account, auction_id: int | None, amount: Decimal) -> Auction:
    auction = state.auctions.get(auction_id) if auction_id is not None else None
    if auction is None or auction.end_time <= state.clock.now():
        raise raise_(AUCTION_NOT_FOUND)
    if amount <= auction.current_bid:
        raise raise_(BID_TOO_LOW)
    if account.balance < amount * auction.amount:
        raise raise_(BID_FUNDS)
    auction.current_bid = amount
    return auction
