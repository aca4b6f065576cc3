"""Short rentals: renting, status, cancel, completion, re-rent and SMS delivery."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from .catalog import CARRIERS
from .limits import RENT
from .model import Account, PoolNumber, Rental, RentalStatus, Service, Sms
from .pricing import random_number_price, rerent_price, specific_number_price
from .state import SandboxState
from .texts import (
    APPROVAL_REQUIRED,
    CANCEL_NOT_ALLOWED,
    CANCEL_TOO_EARLY,
    COMBINATION_CACHED,
    COMBINATION_UNAVAILABLE,
    COMPLETE_NOT_VIEWED,
    GLOBAL_RENTAL_LIMIT,
    INSUFFICIENT_FUNDS,
    INSUFFICIENT_FUNDS_EXTRA,
    INVALID_PRICE,
    MAX_PRICE_EXCEEDED,
    NUMBER_NOT_IN_POOL,
    NUMBER_UNAVAILABLE,
    OUT_OF_STOCK,
    OUT_OF_STOCK_AREA,
    OUT_OF_STOCK_CARRIER,
    OUT_OF_STOCK_CARRIER_AREA,
    RENTAL_NOT_FOUND,
    RENTAL_STILL_ACTIVE,
    RERENT_NOT_ALLOWED,
    SERVICE_NOT_AVAILABLE,
    SERVICE_NOT_FOUND,
    USER_RENTAL_LIMIT,
    WRONG_CARRIER,
    VendorError,
    raise_,
)


@dataclass(frozen=True)
class Preferences:
    carrier: str | None = None
    keep_carrier: bool = False
    area_codes: tuple[str, ...] = ()
    lock_area_code: bool = False


@dataclass(frozen=True)
class Pick:
    number: PoolNumber
    carrier_matched: bool
    area_matched: bool


def check_carrier(carrier: str | None) -> str | None:
    if carrier is None:
        return None
    normalized = carrier.strip().lower()
    if normalized not in CARRIERS:
        raise raise_(WRONG_CARRIER)
    return normalized


def find_service(state: SandboxState, api_name: str) -> Service:
    service = state.services.get(api_name)
    if service is None:
        raise raise_(SERVICE_NOT_FOUND)
    return service


def check_orderable(state: SandboxState, account: Account, service: Service) -> None:
    if not service.available:
        raise raise_(SERVICE_NOT_AVAILABLE)
    if service.requires_approval and service.api_name not in account.approved_services:
        raise raise_(APPROVAL_REQUIRED)
    if state.active_count(account.api_key) >= account.max_active_rentals:
        raise raise_(USER_RENTAL_LIMIT)


def pick_number(state: SandboxState, services: list[Service], prefs: Preferences) -> Pick:
    """Choose a free number, honouring strict filters and preferring soft ones."""
    if any(s.stock <= 0 for s in services):
        raise raise_(OUT_OF_STOCK)
    free = state.free_numbers(services)
    if not free:
        raise raise_(OUT_OF_STOCK)

    def carrier_ok(n: PoolNumber) -> bool:
        return prefs.carrier is not None and n.carrier == prefs.carrier

    def area_ok(n: PoolNumber) -> bool:
        return bool(prefs.area_codes) and n.area_code in prefs.area_codes

    strict_carrier = prefs.keep_carrier and prefs.carrier is not None
    strict_area = prefs.lock_area_code and bool(prefs.area_codes)
    allowed = [
        n for n in free if (not strict_carrier or carrier_ok(n)) and (not strict_area or area_ok(n))
    ]
    if not allowed:
        if strict_carrier and strict_area:
            raise raise_(OUT_OF_STOCK_CARRIER_AREA)
        if strict_carrier:
            raise raise_(OUT_OF_STOCK_CARRIER, carrier=prefs.carrier)
        raise raise_(OUT_OF_STOCK_AREA)
    for tier in (
        [n for n in allowed if carrier_ok(n) and area_ok(n)],
        [n for n in allowed if carrier_ok(n) or area_ok(n)],
        allowed,
    ):
        if tier:
            chosen = state.rng.choice(tier)
            return Pick(chosen, carrier_ok(chosen), area_ok(chosen))
    raise raise_(OUT_OF_STOCK)  # unreachable: `allowed` is not empty


def charge(account: Account, base: Decimal, final: Decimal, max_price: Decimal | None) -> None:
    """max_price is compared with the final price, then the balance is checked."""
    if max_price is not None and final > max_price:
        raise raise_(MAX_PRICE_EXCEEDED, price=f"{final:.2f}")
    if account.balance < base:
        raise raise_(INSUFFICIENT_FUNDS)
    if account.balance < final:
        raise raise_(INSUFFICIENT_FUNDS_EXTRA)
    account.balance -= final


def open_rental(
    state: SandboxState, account: Account, number: PoolNumber, service: Service, price: Decimal
) -> Rental:
    now = state.clock.now()
    rental = Rental(
        id=state.next_id(),
        owner=account.api_key,
        number=number,
        service=service,
        price=price,
        created_at=now,
        end_time=now + service.ttl * 60,
    )
    state.rentals[rental.id] = rental
    state.opened(rental)
    service.stock -= 1
    return rental


def rent_number(
    state: SandboxState,
    account: Account,
    api_name: str,
    prefs: Preferences,
    max_price: Decimal | None,
) -> Rental:
    service = find_service(state, api_name)
    check_orderable(state, account, service)
    pick = pick_number(state, [service], prefs)
    price = random_number_price(
        service.price, carrier_matched=pick.carrier_matched, area_matched=pick.area_matched
    )
    charge(account, service.price, price, max_price)
    return open_rental(state, account, pick.number, service, price)


def rent_specific(
    state: SandboxState, account: Account, number: str, api_name: str, max_price: Decimal | None
) -> tuple[Rental, bool]:
    if len(state.open_rentals) >= state.config.global_max_active_rentals:
        raise raise_(GLOBAL_RENTAL_LIMIT)
    service = find_service(state, api_name)
    if service.requires_approval and service.api_name not in account.approved_services:
        raise raise_(APPROVAL_REQUIRED)
    if state.active_count(account.api_key) >= account.max_active_rentals:
        raise raise_(USER_RENTAL_LIMIT)
    pool_number = state.pool_by_number.get(number)
    if pool_number is None:
        raise raise_(NUMBER_NOT_IN_POOL)
    returning = state.completed_cost(account.api_key, number, service)
    if state.is_busy(pool_number, service) or (
        returning is None and state.is_burned(pool_number, service)
    ):
        raise raise_(NUMBER_UNAVAILABLE)
    if service.price <= 0:
        raise raise_(INVALID_PRICE)
    price = specific_number_price(service.price, returning)
    if max_price is not None and price > max_price:
        raise raise_(MAX_PRICE_EXCEEDED, price=f"{price:.2f}")
    if account.balance < price:
        raise raise_(INSUFFICIENT_FUNDS)
    account.balance -= price
    return open_rental(state, account, pool_number, service, price), returning is not None


def rent_multiple(
    state: SandboxState,
    account: Account,
    api_names: list[str],
    prefs: Preferences,
    max_price: Decimal | None,
) -> list[Rental]:
    services = [find_service(state, name) for name in api_names]
    combination = frozenset(api_names)
    if state.failed_combinations.is_failed(account.api_key, combination):
        raise raise_(COMBINATION_CACHED)
    for service in services:
        check_orderable(state, account, service)
    if state.active_count(account.api_key) + len(services) > account.max_active_rentals:
        raise raise_(USER_RENTAL_LIMIT)
    try:
        pick = pick_number(state, services, prefs)
    except VendorError:
        state.failed_combinations.remember(account.api_key, combination)
        raise raise_(COMBINATION_UNAVAILABLE) from None
    prices = [
        random_number_price(
            s.price, carrier_matched=pick.carrier_matched, area_matched=pick.area_matched
        )
        for s in services
    ]
    charge(
        account, sum((s.price for s in services), Decimal(0)), sum(prices, Decimal(0)), max_price
    )
    return [
        open_rental(state, account, pick.number, s, p)
        for s, p in zip(services, prices, strict=True)
    ]


def owned_rental(state: SandboxState, account: Account, rental_id: int | None) -> Rental:
    rental = state.rentals.get(rental_id) if rental_id is not None else None
    if rental is None or rental.owner != account.api_key:
        raise raise_(RENTAL_NOT_FOUND)
    return rental


def read_status(state: SandboxState, account: Account, rental_id: int | None) -> Rental:
    """Reading a delivered code marks the rental viewed."""
    rental = owned_rental(state, account, rental_id)
    if rental.status is RentalStatus.ACTIVE and rental.code is not None:
        rental.status = RentalStatus.VIEWED
    return rental


def cancel(state: SandboxState, account: Account, rental_id: int | None) -> Rental:
    rental = owned_rental(state, account, rental_id)
    if rental.status is RentalStatus.CANCELLED:
        raise raise_(CANCEL_NOT_ALLOWED)
    if not rental.is_open or rental.code is not None:
        raise raise_(CANCEL_NOT_ALLOWED)
    if state.clock.now() - rental.created_at < state.config.cancel_lock_seconds:
        raise raise_(CANCEL_TOO_EARLY)
    state.close(rental, RentalStatus.CANCELLED)
    return rental


def complete(state: SandboxState, account: Account, rental_id: int | None) -> Rental:
    rental = owned_rental(state, account, rental_id)
    if rental.status is not RentalStatus.VIEWED:
        raise raise_(COMPLETE_NOT_VIEWED)
    state.close(rental, RentalStatus.COMPLETED)
    return rental


def rerent(state: SandboxState, account: Account, rental_id: int | None) -> Rental:
    original = owned_rental(state, account, rental_id)
    if original.is_open:
        raise raise_(RENTAL_STILL_ACTIVE)
    service = original.service
    if service.generic:
        raise raise_(RERENT_NOT_ALLOWED)
    if state.active_count(account.api_key) >= account.max_active_rentals:
        raise raise_(USER_RENTAL_LIMIT)
    had_completed = state.completed_cost(account.api_key, original.number.number, service)
    if state.is_busy(original.number, service) or service.stock <= 0:
        raise raise_(OUT_OF_STOCK)
    price = rerent_price(original.price, had_completed=had_completed is not None)
    if account.balance < price:
        raise raise_(INSUFFICIENT_FUNDS)
    account.balance -= price
    return open_rental(state, account, original.number, service, price)


def deliver(state: SandboxState, rental: Rental, sms: Sms) -> bool:
    """Add an SMS to an open rental; a second SMS needs a multiple_sms service."""
    if not rental.is_open:
        return False
    if rental.messages and not rental.service.multiple_sms:
        return False
    rental.messages.append(sms)
    rental.status = RentalStatus.ACTIVE  # a new, unread code
    return True


def throttle_rent(state: SandboxState, account: Account) -> bool:
    return state.limiter.allow(account.api_key, RENT)
