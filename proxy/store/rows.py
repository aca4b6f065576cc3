"""Rows as the SQL stores write and read them: one conversion for SQLite and PostgreSQL.

Money is kept as text (activations, purchases) or as whole millionths (the ledger, so
sums in SQL stay exact); times as seconds since the epoch.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any, Protocol

from proxy.domain import (
    Activation,
    ActivationStatus,
    Delivery,
    LedgerEntry,
    LedgerReason,
    LongMessage,
    LongRental,
    LongRentalState,
    ManagedKey,
    Purchase,
    PurchaseState,
)


class Row(Protocol):
    """A result row read by column name (sqlite3.Row, asyncpg.Record)."""

    def __getitem__(self, key: str, /) -> Any: ...


COLUMNS = (
    "provider",
    "upstream_id",
    "owner",
    "number",
    "service",
    "cost",
    "status",
    "created_at",
    "end_time",
    "code",
    "retry_code",
    "multiple_sms",
    "upstream_viewed",
    "code_at",
    "checked_at",
    "carrier",
    "country",
    "past_codes",
)
OPEN = tuple(s.value for s in ActivationStatus if s.is_open)


def activation_row(a: Activation) -> tuple[object, ...]:
    return (
        a.provider,
        a.upstream_id,
        a.owner,
        a.number,
        a.service,
        str(a.cost),
        a.status.value,
        a.created_at,
        a.end_time,
        a.code,
        a.retry_code,
        int(a.multiple_sms),
        int(a.upstream_viewed),
        a.code_at,
        a.checked_at,
        a.carrier,
        a.country,
        ",".join(a.past_codes),
    )


def activation_from(r: Row) -> Activation:
    return Activation(
        id=r["id"],
        provider=r["provider"],
        upstream_id=r["upstream_id"],
        owner=r["owner"],
        number=r["number"],
        service=r["service"],
        cost=Decimal(r["cost"]),
        status=ActivationStatus(r["status"]),
        created_at=r["created_at"],
        end_time=r["end_time"],
        code=r["code"],
        retry_code=r["retry_code"],
        multiple_sms=bool(r["multiple_sms"]),
        upstream_viewed=bool(r["upstream_viewed"]),
        code_at=r["code_at"],
        checked_at=r["checked_at"],
        carrier=r["carrier"],
        country=r["country"] or "us",
        past_codes=tuple(c for c in (r["past_codes"] or "").split(",") if c),
    )


PURCHASE_COLUMNS = (
    "owner",
    "provider",
    "operation",
    "services",
    "order_key",
    "created_at",
    "state",
    "order_ref",
    "upstream_floor",
    "balance_before",
    "settled_at",
    "activation_ids",
    "note",
    "answered",
)


def purchase_row(p: Purchase) -> tuple[object, ...]:
    return (
        p.owner,
        p.provider,
        p.operation,
        ",".join(p.services),
        p.order_key,
        p.created_at,
        p.state.value,
        p.order_ref,
        p.upstream_floor,
        None if p.balance_before is None else str(p.balance_before),
        p.settled_at,
        ",".join(str(i) for i in p.activation_ids),
        p.note,
        int(p.answered),
    )


def purchase_from(r: Row) -> Purchase:
    return Purchase(
        id=r["id"],
        owner=r["owner"],
        provider=r["provider"],
        operation=r["operation"],
        services=tuple(s for s in r["services"].split(",") if s),
        order_key=r["order_key"],
        created_at=r["created_at"],
        state=PurchaseState(r["state"]),
        order_ref=r["order_ref"],
        upstream_floor=r["upstream_floor"],
        balance_before=None if r["balance_before"] is None else Decimal(r["balance_before"]),
        settled_at=r["settled_at"],
        activation_ids=tuple(int(i) for i in r["activation_ids"].split(",") if i),
        note=r["note"],
        answered=bool(r["answered"]),
    )


def key_row(k: ManagedKey) -> tuple[object, ...]:
    return (
        k.id,
        k.tenant,
        k.fingerprint,
        ",".join(k.providers),
        k.created_at,
        k.expires_at,
        k.revoked_at,
    )


def key_from(r: Row) -> ManagedKey:
    return ManagedKey(
        r["id"],
        r["tenant"],
        r["fingerprint"],
        tuple(p for p in r["providers"].split(",") if p),
        r["created_at"],
        r["expires_at"],
        r["revoked_at"],
    )


LEDGER_COLUMNS = (
    "tenant",
    "reason",
    "micros",
    "at",
    "key_id",
    "provider",
    "activation_id",
    "purchase_id",
    "balance_after",
    "note",
)
OUTBOX_COLUMNS = (
    "tenant",
    "url",
    "activation_id",
    "code",
    "body",
    "created_at",
    "attempts",
    "next_at",
    "state",
    "last_error",
)
MICROS = Decimal(1_000_000)


def micros(amount: Decimal) -> int:
    """Money as whole millionths: sums in SQL stay exact."""
    return int((amount * MICROS).to_integral_value())


def from_micros(value: int) -> Decimal:
    return (Decimal(value) / MICROS).normalize() if value else Decimal(0)


def ledger_row(e: LedgerEntry) -> tuple[object, ...]:
    return (
        e.tenant,
        e.reason.value,
        micros(e.amount),
        e.at,
        e.key_id,
        e.provider,
        e.activation_id,
        e.purchase_id,
        None if e.balance_after is None else str(e.balance_after),
        e.note,
    )


def ledger_entry_from(r: Row) -> LedgerEntry:
    return LedgerEntry(
        id=r["id"],
        tenant=r["tenant"],
        reason=LedgerReason(r["reason"]),
        amount=from_micros(r["micros"]),
        at=r["at"],
        key_id=r["key_id"],
        provider=r["provider"],
        activation_id=r["activation_id"],
        purchase_id=r["purchase_id"],
        balance_after=None if r["balance_after"] is None else Decimal(r["balance_after"]),
        note=r["note"],
    )


def outbox_row(d: Delivery) -> tuple[object, ...]:
    return (
        d.tenant,
        d.url,
        d.activation_id,
        d.code,
        d.body,
        d.created_at,
        d.attempts,
        d.next_at,
        d.state,
        d.last_error,
    )


def delivery_from(r: Row) -> Delivery:
    return Delivery(
        id=r["id"],
        tenant=r["tenant"],
        url=r["url"],
        activation_id=r["activation_id"],
        code=r["code"],
        body=r["body"],
        created_at=r["created_at"],
        attempts=r["attempts"],
        next_at=r["next_at"],
        state=r["state"],
        last_error=r["last_error"],
    )


LONG_FIRST_ID = 5_000_000  # long rentals' ids: apart from activations', below 2^31
LONG_COLUMNS = (
    "provider",
    "upstream_id",
    "owner",
    "number",
    "service",
    "period",
    "cost",
    "state",
    "created_at",
    "end_time",
    "auto_renew",
    "country",
    "messages",
    "checked_at",
)


def long_row(r: LongRental) -> tuple[object, ...]:
    messages = [[m.text, m.sender, m.received_at] for m in r.messages]
    return (
        r.provider,
        r.upstream_id,
        r.owner,
        r.number,
        r.service,
        r.period,
        str(r.cost),
        r.state.value,
        r.created_at,
        r.end_time,
        int(r.auto_renew),
        r.country,
        json.dumps(messages, separators=(",", ":")),
        r.checked_at,
    )


def long_from(r: Row) -> LongRental:
    return LongRental(
        id=r["id"],
        provider=r["provider"],
        upstream_id=r["upstream_id"],
        owner=r["owner"],
        number=r["number"],
        service=r["service"],
        period=r["period"],
        cost=Decimal(r["cost"]),
        state=LongRentalState(r["state"]),
        created_at=r["created_at"],
        end_time=r["end_time"],
        auto_renew=bool(r["auto_renew"]),
        country=r["country"],
        messages=tuple(LongMessage(t, s, float(at)) for t, s, at in json.loads(r["messages"])),
        checked_at=r["checked_at"],
    )
