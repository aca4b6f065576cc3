"""How an upstream snapshot moves an activation: the neutral rental states as a table."""

from __future__ import annotations

from proxy.domain import Activation, ActivationStatus, RentalSnapshot, RentalState

S = ActivationStatus

# rental state -> what it means for an activation the client has not finished
UPSTREAM_STATES: dict[RentalState, ActivationStatus | None] = {
    RentalState.OPEN: None,  # waiting or code received, decided by the code
    RentalState.CANCELLED: S.CANCELLED,
    RentalState.FINISHED: S.EXPIRED,  # ended upstream without the client's finish
    RentalState.EXPIRED: S.EXPIRED,
}


# how an activation ends without its code: a vendor that refunds unused rentals gives
# its price back (the tenant's budget and the account's balance alike)
ENDED_UNUSED = (S.CANCELLED, S.BANNED, S.EXPIRED)


def ended_unused(a: Activation) -> bool:
    return a.status in ENDED_UNUSED and a.code is None


def had(a: Activation, code: str) -> bool:
    """The code is current, or was before: it never becomes current again."""
    return code == a.code or code in a.past_codes


def _past(a: Activation, code: str | None) -> tuple[str, ...]:
    """The codes before `code`, when it replaces the current one."""
    if code is None or a.code is None or code == a.code:
        return a.past_codes
    return (*a.past_codes, a.code)


def apply_snapshot(a: Activation, snap: RentalSnapshot, now: float) -> Activation:
    """The activation after learning `snap`. A finished activation never reopens, and a
    code it had before never becomes current again."""
    if not a.status.is_open:
        return a.evolve(checked_at=now)
    fresh = snap.code if snap.code is not None and not had(a, snap.code) else None
    code = fresh or a.code
    code_at = a.code_at if code == a.code else now
    end_time = a.end_time if snap.end_time is None else snap.end_time
    changes: dict[str, object] = {
        "checked_at": now,
        "end_time": end_time,
        "code": code,
        "code_at": code_at,
        "past_codes": _past(a, code),
    }
    if snap.code is not None:
        changes["upstream_viewed"] = True  # reading the status showed the code
    known = snap.state in UPSTREAM_STATES
    closed = UPSTREAM_STATES.get(snap.state)
    if closed is not None:
        changes["status"] = closed
    elif not known and end_time <= now:
        changes["status"] = S.EXPIRED
    elif code is None:
        changes["status"] = S.WAITING
    elif a.status is S.RETRY_WAIT and code == a.retry_code:
        changes["status"] = S.RETRY_WAIT
    else:
        changes["status"] = S.CODE_RECEIVED
    return a.evolve(**changes)


def learn_code(
    a: Activation, code: str, now: float, received_at: float | None = None
) -> Activation:
    """A code pushed to us (webhook): the upstream has not shown it yet, so not viewed.
    Vendors retry deliveries: a repeat, a code the activation had before, or a delivery
    the vendor dates before the current code came is acknowledged and changes nothing."""
    if not a.status.is_open or had(a, code):
        return a
    if received_at is not None and a.code_at is not None and received_at < a.code_at:
        return a  # an older delivery, late: the newer code stays
    at = now if received_at is None else min(received_at, now)
    status = S.RETRY_WAIT if a.status is S.RETRY_WAIT and code == a.retry_code else S.CODE_RECEIVED
    return a.evolve(
        code=code, code_at=at, status=status, upstream_viewed=False, past_codes=_past(a, code)
    )
