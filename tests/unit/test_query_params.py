"""The handler_api dialects' own split of a query string with nothing to decode reads
exactly what yarl's parser reads (after the dialects' trim, last value of a name wins)."""

from __future__ import annotations

import string

from aiohttp.test_utils import make_mocked_request
from hypothesis import given
from hypothesis import strategies as st
from yarl import URL

from adapters.dialects.base import plain_query, query_params

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


def test_each_request_gets_parameters_of_its_own() -> None:
    """Splits are remembered per query string; what a request is given is its own copy
    (read_params adds a form's fields to it)."""
    url = "/stubs/handler_api.php?action=getStatus&id=1"
    first = query_params(make_mocked_request("GET", url))
    first["id"] = "2"
    assert query_params(make_mocked_request("GET", url)) == {"action": "getStatus", "id": "1"}


def test_escapes_are_decoded_by_yarls_parser() -> None:
    request = make_mocked_request("GET", "/stubs/handler_api.php?action=get%53tatus&id=+7&x=")
    assert query_params(request) == {"action": "getStatus", "id": "7"}
