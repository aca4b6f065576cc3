"""The handler_api dialects' own split of a query string with nothing to decode reads
exactly what yarl's parser reads (after the dialects' trim, last value of a name wins)."""

from __future__ import annotations

import string

from hypothesis import given
from hypothesis import strategies as st
from yarl import URL

from adapters.dialects.base import plain_query

# what can reach a handler in a query without escapes (the HTTP parser refuses controls)
CHARS = st.sampled_from(string.ascii_letters + string.digits + "&=&=_-.~!$'()*,;:@/? \u00e9")


def yarls(raw: str) -> dict[str, str]:
    query = URL.build(path="/stubs/handler_api.php", query_string=raw, encoded=True).query
    return {name.strip(): value.strip() for name, value in query.items()}


@given(st.text(CHARS, max_size=60))
def test_the_split_is_yarls(raw: str) -> None:
    assert plain_query(raw) == yarls(raw)


def test_the_shapes_clients_send() -> None:
    cases = {
        "action=getStatus&api_key=k&id=100000": {
            "action": "getStatus",
            "api_key": "k",
            "id": "100000",
        },
        "a=1&&b=2&": {"a": "1", "b": "2"},
        "a": {"a": ""},
        "a=b=c": {"a": "b=c"},
        "=x": {"": "x"},
        "a=1;b=2": {"a": "1;b=2"},
        "id=1&id=2": {"id": "2"},
        " a = 1 ": {"a": "1"},
        "": {},
    }
    for raw, expected in cases.items():
        assert plain_query(raw) == expected == yarls(raw), raw
