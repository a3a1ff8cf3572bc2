"""Error messages as a reader's own code prints them, for each troubleshooting entry.

Written by hand, never generated from the pages: the names, paths, addresses, ports and
numbers are the reader's (a coroutine called `fetch_user`, a test called `test_login`), not
the guide's. `test_paste_box.py` pastes each and expects its entry among the first three
results; a troubleshooting entry with no variant here fails that test, so every entry
added later needs one.
"""

from __future__ import annotations

TRACEBACK = """\
============================= test session starts ==============================
platform linux -- Python 3.12.4, pytest-9.2.0, pluggy-1.6.0
rootdir: /home/ana/src/billing
plugins: asyncio-1.5.0, socket-0.8.1
collected 14 items

tests/test_invoices.py ....F                                              [ 35%]

=================================== FAILURES ===================================
_______________________________ test_send_invoice ______________________________

client = <billing.api.Client object at 0x7f2c5d1e9a90>

    @pytest.mark.asyncio
    async def test_send_invoice(client):
>       await client.send_invoice(invoice_id=4711)

tests/test_invoices.py:88:
_ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _
/home/ana/src/billing/billing/api.py:142: in send_invoice
    async with self._session.post(url, json=payload) as response:
{error}
"""

#: entry page (without .html) -> messages a reader pastes for it
VARIANTS: dict[str, list[str]] = {
    "troubleshooting/async-def-functions-are-not-natively-supported": [
        "FAILED tests/test_orders.py::test_create_order - Failed: async def functions are "
        "not natively supported.",
        "E   pytest.PytestWarning: The test <Function test_parse_invoice> is marked with "
        "'@pytest.mark.asyncio' but it is not an async function. Please remove the asyncio "
        "mark. If the test is not marked explicitly, check for global marks applied via "
        "'pytestmark'.",
    ],
    "troubleshooting/async-for-requires-aiter": [
        "E       TypeError: 'async for' requires an object with __aiter__ method, got coroutine",
    ],
    "troubleshooting/asyncio-run-from-a-running-event-loop": [
        "E   RuntimeError: asyncio.run() cannot be called from a running event loop",
        "RuntimeError: This event loop is already running",
        "E   RuntimeError: There is no current event loop in thread 'Thread-2 (poll)'.",
    ],
    "troubleshooting/asyncmock-execute-mock-call-was-never-awaited": [
        "/usr/lib/python3.13/unittest/mock.py:2243: RuntimeWarning: coroutine "
        "'AsyncMockMixin._execute_mock_call' was never awaited",
        "E   AssertionError: Expected publish_event to have been awaited once. Awaited 0 times.",
    ],
    "troubleshooting/bound-to-a-different-event-loop": [
        "E   RuntimeError: <asyncio.locks.Semaphore object at 0x7fa3c01d2b10 [unlocked, "
        "value:3]> is bound to a different event loop",
        "RuntimeError: Task <Task pending name='Task-17' coro=<test_query_users() running at "
        "/srv/app/tests/test_db.py:41> cb=[_run_until_complete_cb() at "
        "/usr/lib/python3.12/asyncio/base_events.py:181]> got Future <Future pending "
        "cb=[BaseProtocol._on_waiter_completed()]> attached to a different loop",
    ],
    "troubleshooting/coroutine-async-context-manager-protocol": [
        TRACEBACK.format(
            error="E   TypeError: 'coroutine' object does not support the asynchronous "
            "context manager protocol"
        ),
        "E   AttributeError: __aenter__",
        "TypeError: 'coroutine' object does not support the asynchronous context manager "
        "protocol (missed __aexit__ method)",
    ],
    "troubleshooting/coroutine-object-is-not-subscriptable": [
        "E   TypeError: 'coroutine' object is not subscriptable",
        "AttributeError: 'coroutine' object has no attribute 'status_code'",
        "E       TypeError: 'coroutine' object is not iterable",
        "TypeError: cannot unpack non-iterable coroutine object",
        "TypeError: Object of type coroutine is not JSON serializable",
        "TypeError: '>' not supported between instances of 'coroutine' and 'float'",
    ],
    "troubleshooting/coroutine-was-never-awaited": [
        "/home/ana/src/billing/tests/test_users.py:27: RuntimeWarning: coroutine "
        "'fetch_user' was never awaited",
        "  RuntimeWarning: coroutine 'UserService.get_profile' was never awaited",
    ],
    "troubleshooting/event-loop-is-closed": [
        TRACEBACK.format(
            error="/usr/lib/python3.11/asyncio/base_events.py:519: in _check_closed\n"
            "    raise RuntimeError('Event loop is closed')\n"
            "E   RuntimeError: Event loop is closed"
        ),
    ],
    "troubleshooting/fixture-event-loop-not-found": [
        "E       fixture 'event_loop' not found\n"
        ">       available fixtures: anyio_backend, cache, capfd, caplog, client, "
        "event_loop_policy, monkeypatch, tmp_path\n"
        ">       use 'pytest --fixtures [testpath]' for help on them.",
    ],
    "troubleshooting/magicmock-cant-be-used-in-await": [
        "E   TypeError: object MagicMock can't be used in 'await' expression",
        "TypeError: 'MagicMock' object can't be awaited",
        "E   TypeError: object list can't be used in 'await' expression",
    ],
    "troubleshooting/pytest-unraisable-exception-warning": [
        "E   pytest.PytestUnraisableExceptionWarning: Exception ignored in: <function "
        "_SSLProtocolTransport.__del__ at 0x7f1b2a3c4d50>",
        "pytest.PytestUnraisableExceptionWarning: Exception ignored while calling "
        "deallocator <function StreamWriter.__del__ at 0x7fe0a1b2c3d0>: None",
    ],
    "troubleshooting/requested-an-async-fixture": [
        "E   Failed: 'test_login' requested an async fixture 'db_session', with no plugin or "
        "hook that handled it. This is an error, as pytest does not natively support it.",
    ],
    "troubleshooting/scope-mismatch-function-scoped-runner": [
        "E   ScopeMismatch: You tried to access the function scoped fixture "
        "_function_scoped_runner with a session scoped request object. Requesting "
        "fixture stack:\nE   tests/conftest.py:14:  def database()",
    ],
    "troubleshooting/session-is-closed": [
        "E   RuntimeError: Session is closed",
    ],
    "troubleshooting/state-object-has-no-attribute": [
        "E   AttributeError: 'State' object has no attribute 'db_pool'",
    ],
    "troubleshooting/stopasynciteration-side-effect-ran-out": [
        "E   RuntimeError: coroutine raised StopIteration",
        "RuntimeError: async generator raised StopAsyncIteration",
    ],
    "troubleshooting/task-was-destroyed-but-it-is-pending": [
        "ERROR    asyncio:base_events.py:1821 Task was destroyed but it is pending!\n"
        "task: <Task pending name='heartbeat' coro=<Worker._beat() running at "
        "/srv/app/worker.py:77> wait_for=<Future pending cb=[Task.task_wakeup()]>>",
        "Failed: the test left 2 task(s) running, now cancelled: ['Poller.run', 'Cache.refresh']",
    ],
    "troubleshooting/timeout-context-manager-should-be-used-inside-a-task": [
        "E   RuntimeError: Timeout context manager should be used inside a task",
    ],
    "troubleshooting/unclosed-client-session": [
        "E   ResourceWarning: Unclosed connector <aiohttp.connector.TCPConnector object at "
        "0x7f55e2a1c0d0>",
    ],
    "troubleshooting/unhandled-errors-in-a-taskgroup": [
        "  | ExceptionGroup: unhandled errors in a TaskGroup (2 sub-exceptions)",
        "E   Failed: Raised exception group did not match: Expected 1 exceptions, got 2",
        "  | exceptiongroup.ExceptionGroup: unhandled errors in a TaskGroup (3 sub-exceptions)",
    ],
}
