"""The vendor's documented request limits, per account."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class LimitGroup:
    name: str
    per_second: float


RENT = LimitGroup("rent", 2.0)  # rent-a-number and rent-specific-number share it
MULTI = LimitGroup("rent-multiple-services", 1.0)
CANCEL = LimitGroup("cancel-rental", 1.0)

GROUPS = (RENT, MULTI, CANCEL)
