"""The vendor's response bodies, key for key and type for type as documented.

Money is a string in most answers but a number in rent-specific-number and in the
long-rental price list; `errors` is `null` in some answers and the string "null" in
others. Both quirks are kept on purpose: clients of the vendor meet them.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from .clock import fmt_date, fmt_datetime, fmt_iso
from .long_rentals import LONG_PERIOD_NAMES, SERVICE_PERIOD_NAMES
from .model import Auction, LongRental, Rental, Service, ServiceLongRental, Sms
from .pricing import fmt_money

Json = dict[str, Any]
RENTED = "Number rented successfully."


def rented(r: Rental, new_balance: Decimal) -> Json:
    return {
        "id": r.id,
        "status": "success",
        "message": RENTED,
        "errors": None,
        "end_time": fmt_datetime(r.end_time),
        "number": r.number.number,
        "service_name": r.service.service_name,
        "price": fmt_money(r.price),
        "new_balance": fmt_money(new_balance),
    }


def rented_specific(r: Rental, new_balance: Decimal, returning: bool) -> Json:
    return {
        "id": r.id,
        "status": "success",
        "message": RENTED,
        "errors": None,
        "end_time": fmt_datetime(r.end_time),
        "number": r.number.number,
        "service_name": r.service.service_name,
        "price": float(r.price),
        "new_balance": float(new_balance),
        "country": "usa",
        "returning_customer": returning,
    }


def rented_multiple(rentals: list[Rental], new_balance: Decimal) -> Json:
    items = []
    for r in rentals:
        item = rented(r, new_balance)
        del item["new_balance"]
        items.append(item)
    total = sum((r.price for r in rentals), Decimal(0))
    return {
        "status": "success",
        "rentals": items,
        "new_balance": fmt_money(new_balance),
        "total_cost": fmt_money(total),
    }


def rental_state(r: Rental, balance: Decimal) -> Json:
    return {
        "id": r.id,
        "status": r.status.value,
        "code": r.code,
        "errors": None,
        "end_time": fmt_datetime(r.end_time),
        "number": r.number.number,
        "service_name": r.service.service_name,
        "cost": fmt_money(r.price),
        "balance": fmt_money(balance),
    }


def completed(r: Rental, balance: Decimal) -> Json:
    return {
        "status": "success",
        "message": "Rental marked as completed successfully.",
        "errors": "null",
        "rental": {
            "id": r.id,
            "end_time": fmt_datetime(r.end_time),
            "number": r.number.number,
            "service_name": r.service.service_name,
            "price": fmt_money(r.price),
            "new_balance": fmt_money(balance),
        },
    }


def price_info(s: Service) -> Json:
    return {
        "service_name": s.service_name,
        "api_name": s.api_name,
        "multiple_sms": "true" if s.multiple_sms else "false",
        "price": fmt_money(s.price),
        "ttl": s.ttl,
        "stock": max(s.stock, 0),
    }


def balance(value: Decimal) -> Json:
    return {"status": "success", "balance": fmt_money(value), "errors": "null"}


def long_rental(r: LongRental) -> Json:
    return {
        "id": r.id,
        "number": r.number.number,
        "end_time": fmt_date(r.end_time),
        "rented_at": fmt_date(r.rented_at),
        "price": fmt_money(r.price),
        "status": r.status,
        "period": LONG_PERIOD_NAMES[r.period],
        "auto_renew": r.auto_renew,
    }


def long_rental_message(m: Sms, number: str) -> Json:
    return {
        "message": m.text,
        "number": number,
        "rented_at": fmt_iso(m.received_at),
        "sender": m.sender,
    }


def service_long_rental(r: ServiceLongRental) -> Json:
    return {
        "id": r.id,
        "number": r.number.number,
        "service_name": r.service.service_name,
        "api_name": r.service.api_name,
        "end_time": fmt_date(r.end_time),
        "rented_at": fmt_date(r.rented_at),
        "cost": fmt_money(r.cost),
        "status": r.status,
        "period": SERVICE_PERIOD_NAMES[r.period],
        "auto_renew": r.auto_renew,
    }


def service_long_rental_message(m: Sms, r: ServiceLongRental) -> Json:
    return {
        "message": m.text,
        "sender": m.sender,
        "received_at": fmt_iso(m.received_at),
        "number": r.number.number,
        "service_name": r.service.service_name,
    }


def slr_result(message: str, r: ServiceLongRental) -> Json:
    return {
        "status": "success",
        "message": message,
        "service_long_rental": service_long_rental(r),
        "errors": None,
    }


def auction(a: Auction) -> Json:
    return {
        "id": a.id,
        "service_name": a.service_name,
        "current_bid": fmt_money(a.current_bid),
        "end_time": fmt_datetime(a.end_time),
        "amount": a.amount,
    }


def webhook(r: Rental) -> Json:
    """The webhook body; `code` is a JSON number as the vendor documents it."""
    code: Any = r.code
    if code is not None and code.isdigit():
        code = int(code)
    received = r.messages[-1].received_at if r.messages else r.created_at
    return {
        "id": r.id,
        "code": code,
        "received_at": fmt_datetime(received),
        "end_time": fmt_datetime(r.end_time),
        "number": r.number.number,
        "service_name": r.service.service_name,
        "status": r.status.value,
        "cost": fmt_money(r.price),
    }
