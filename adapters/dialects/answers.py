"""One way from a domain error to a dialect's answer: every dialect keeps a table with a
row for each concrete `DomainError`, and every dialect looks it up here.

A row's answer is the dialect's own (a token, a status and text, a JSON error shape).
`GENERIC` in a row says "the dialect's generic answer, on purpose": it is a decision,
where a missing row is an oversight that tests/unit/test_error_tables.py reports.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final, Generic, TypeVar

from proxy.errors import CATEGORIES, DomainError, concrete_errors

A = TypeVar("A")


class _Generic:
    def __repr__(self) -> str:
        return "GENERIC"


GENERIC: Final = _Generic()

Rows = Mapping[type[DomainError], A | _Generic]
"""A dialect's answers by error class (a table's rows, or a clone's rows on top)."""

@dataclass(frozen=True)
class ErrorTable(Generic[A]):
    """`rows` answer every call; `by_action` rows override them for one action (or
    `setStatus:6`); `generic` is the answer for `GENERIC` rows and for failures that are
    not domain errors at all (an unreadable request, a bug)."""

    rows: Rows[A]
    generic: A
    by_action: Mapping[str, Rows[A]] = field(
        default_factory=dict
    )
    # (error class, action) -> answer: errors are few, actions are the table's own keys
    _memo: dict[tuple[type[DomainError], str], A] = field(
        default_factory=dict, compare=False, repr=False
    )

    def answer(self, error: DomainError, action: str = "") -> A:
        cls = type(error)
        if action not in self.by_action:
            action = ""
        found = self._memo.get((cls, action))
        if found is None:
            found = self._memo[(cls, action)] = self._look_up(cls, action)
        return found

    def _look_up(self, cls: type[DomainError], action: str) -> A:
        # an action's row for a class covers its subclasses; a subclass no table knows
        # takes its parent's row
        for table in (self.by_action.get(action, {}), self.rows):
            for base in cls.__mro__:
                if base in CATEGORIES:
                    break
                row = table.get(base)
                if row is not None:
                    return self.generic if isinstance(row, _Generic) else row
        return self.generic

    def unmapped(self) -> list[type[DomainError]]:
        """Concrete errors without a row of their own."""
        return [cls for cls in concrete_errors() if cls not in self.rows]

    def stray(self) -> list[type[DomainError]]:
        """Rows for categories (too broad to be a decision) or for no error at all."""
        keys = set(self.rows).union(*self.by_action.values())
        return [cls for cls in keys if cls in CATEGORIES or not issubclass(cls, DomainError)]

    def over(
        self,
        rows: Rows[A] | None = None,
        by_action: Mapping[str, Rows[A]] | None = None,
    ) -> ErrorTable[A]:
        """This table with another dialect's rows on top (a clone family's words); a row
        on top for a class replaces the rows of its subclasses too, unless it has rows
        for them as well."""
        on_top = rows or {}
        merged = dict(self.rows)
        for cls in {*merged, *on_top}:
            for base in cls.__mro__:
                if base in on_top:
                    merged[cls] = on_top[base]
                    break
        return ErrorTable(
            rows=merged,
            generic=self.generic,
            by_action={**self.by_action, **(by_action or {})},
        )
