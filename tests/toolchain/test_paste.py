"""The paste box's patterns: the guide's own names, addresses, paths and numbers match the
reader's; the rest of the wording must be there (the browser side: tests/browser)."""

from __future__ import annotations

import re

import pytest

from verified_blocks.sphinx.paste import pattern_of


@pytest.mark.parametrize(
    ("message", "reader", "found"),
    [
        (
            "RuntimeWarning: coroutine 'double' was never awaited",
            "/app/tests/test_users.py:27: RuntimeWarning: coroutine 'fetch_user' was never awaited",
            True,
        ),
        (  # a dotted quoted name is the library's own: kept as it is
            "RuntimeWarning: coroutine 'AsyncMockMixin._execute_mock_call' was never awaited",
            "RuntimeWarning: coroutine 'fetch_user' was never awaited",
            False,
        ),
        (  # any module may qualify the class
            "TimeoutError",
            "E   asyncio.exceptions.TimeoutError",
            True,
        ),
        (
            "ResourceWarning: Unclosed connector <aiohttp.connector.TCPConnector object at",
            "ResourceWarning: Unclosed connector <aiohttp.connector.TCPConnector object at 0x7f",
            True,
        ),
        (
            "got Future <Future pending> attached to a different loop",
            "Task <Task pending name='Task-3'> got Future <Future pending cb=[f()]> attached "
            "to a different loop",
            True,
        ),
        (
            "ScopeMismatch: ... function scoped fixture _function_scoped_runner",
            "ScopeMismatch: You tried to access the function scoped fixture "
            "_function_scoped_runner with a session scoped request object.",
            True,
        ),
        (
            "ExceptionGroup: unhandled errors in a TaskGroup (1 sub-exception)",
            "  | ExceptionGroup: unhandled errors in a TaskGroup (3 sub-exceptions)",
            False,  # "sub-exceptions": the plural is another wording, found by its words
        ),
        (
            "TypeError: object MagicMock can't be used in 'await' expression",
            "TypeError: object list can't be used in 'await' expression",
            True,
        ),
        (
            "RuntimeError: Session is closed",
            "RuntimeError: Session is open",
            False,
        ),
    ],
)
def test_pattern_matches_the_readers_line(message: str, reader: str, found: bool) -> None:
    assert bool(re.search(pattern_of(message).regex, reader)) is found


def test_words_and_literal_say_how_specific_a_wording_is() -> None:
    short = pattern_of("attached to a different loop")
    long = pattern_of("got Future <Future pending> attached to a different loop")
    assert long.literal > short.literal
    assert pattern_of("AssertionError: Expected send to have been awaited once.").words == [
        "assertionerror",
        "expected",
        "send",
        "been",
        "awaited",
        "once",
    ]
    assert pattern_of("AttributeError: 'State' object has no attribute 'rates'").quoted == [
        "'State'",
        "'rates'",
    ]
