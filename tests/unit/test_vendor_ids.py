"""Vendor order ids in the core's integer ids: every id that is carried comes back as
it was given; one that cannot be carried is refused, never truncated."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from adapters.upstreams.ids import (
    ALPHABET,
    HASHED_BELOW,
    LONGEST,
    hashed,
    is_hashed,
    to_upstream_id,
    to_vendor_id,
)

CODES = st.text(alphabet=ALPHABET, min_size=1, max_size=LONGEST)


@given(CODES)
def test_a_code_comes_back_as_given(code: str) -> None:
    carried = to_upstream_id(code)
    assert -(2**63) < carried < 2**63  # fits a signed 64-bit column
    assert to_vendor_id(carried) == code


@given(st.integers(min_value=0, max_value=2**63 - 1))
def test_a_decimal_id_is_itself(number: int) -> None:
    assert to_upstream_id(str(number)) == number == to_upstream_id(number)
    assert to_vendor_id(number) == str(number)


@pytest.mark.parametrize(
    ("code", "carried"),
    [("PCMOWTUP", -115267686754266), ("0A", -75), ("A", -11), ("007", -4168), ("42", 42)],
)
def test_codes_and_numbers_are_told_apart(code: str, carried: int) -> None:
    """A leading zero makes a code, not a number: `007` and `7` are different orders."""
    assert to_upstream_id(code) == carried
    assert to_vendor_id(carried) == code


@pytest.mark.parametrize("code", ["", "lr_01HV8ZQ3MJ9W3T5", "ORDER 1", "ünï"])
def test_an_id_that_cannot_be_carried_is_refused(code: str) -> None:
    with pytest.raises(ValueError):
        to_upstream_id(code)


@given(st.text(min_size=11, max_size=80))
def test_a_long_id_is_named_by_a_number_no_code_can_have(vendor_id: str) -> None:
    """TextVerified's ids are too long to pack: their stable number is below every
    packed code and still fits a signed 64-bit column."""
    number = hashed(vendor_id)
    assert number == hashed(vendor_id) and is_hashed(number)
    assert -(2**63) < number <= HASHED_BELOW < to_upstream_id("-" * LONGEST)
