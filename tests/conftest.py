"""Shared fixtures: a fake postpress server, a client with instant retries, demo frames, and
``invoke_cli`` to run the command line in process."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

import pytest

from postpress_frames.api.retry import RetryPolicy

if TYPE_CHECKING:
    from click.testing import Result

    from postpress_frames.api.client import Client
    from postpress_frames.tables.chat_frames import ChatFrames
    from postpress_frames.testing import FakePostpress

FAST_RETRY = RetryPolicy(max_attempts=4, initial_backoff=0.0, max_backoff=0.0, jitter=0.0)


def pages_of(messages: list[dict[str, Any]], size: int = 100) -> list[dict[str, Any]]:
    """Split newest-first messages into API page bodies, as the server would serve them."""
    chunks = [messages[i : i + size] for i in range(0, len(messages), size)] or [[]]
    return [
        {
            "object": "MessageList",
            "items": chunk,
            "cursor": None if i == len(chunks) - 1 else f"c{i}",
        }
        for i, chunk in enumerate(chunks)
    ]


def demo_frames(n: int = 200, *, chat_id: str = "chat_demo", seed: int = 0) -> ChatFrames:
    """Frames of a demo chat built without any network."""
    from postpress_frames.tables.build import frames_from_pages
    from postpress_frames.testing import demo_chat

    return frames_from_pages(pages_of(demo_chat(n, seed=seed, chat_id=chat_id)))


@pytest.fixture
def server() -> Iterator[FakePostpress]:
    from postpress_frames.testing import FakePostpress

    with FakePostpress(messages=300) as fake:
        yield fake


@pytest.fixture
def client(server: FakePostpress) -> Iterator[Client]:
    from postpress_frames.api.client import Client

    with Client(api_key=server.api_key, base_url=server.base_url, retry=FAST_RETRY) as c:
        yield c


# -- the key never leaks, in any test ----------------------------------------------------------
# Every test's fake server uses one of these keys (the default, or the canary tests' own).
# For the whole suite, the package's loggers run at DEBUG into a handler that keeps any record
# holding a key, and each test's captured output and failure text are searched for them too.
WATCHED_KEYS = ("pp_test_fake_key", "pp_live_CANARY_7f3a9c_never_print_me")


class _KeyLeakHandler(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.leaks: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        text = f"{record.getMessage()} {record.exc_text or ''}"
        if any(key in text for key in WATCHED_KEYS):
            self.leaks.append(f"{record.name}: {text[:200]}")


_LEAKS = _KeyLeakHandler()


@pytest.fixture(scope="session", autouse=True)
def _package_logs_never_hold_the_key() -> Iterator[None]:
    logger = logging.getLogger("postpress_frames")
    level = logger.level
    logger.setLevel(logging.DEBUG)
    logger.addHandler(_LEAKS)
    try:
        yield
    finally:
        logger.removeHandler(_LEAKS)
        logger.setLevel(level)
    assert not _LEAKS.leaks, f"log records held the API key: {_LEAKS.leaks[:3]}"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    report: pytest.TestReport = outcome.get_result()
    captured = " ".join(content for _, content in report.sections)
    texts = f"{captured} {report.longreprtext}"
    leaked = [key for key in WATCHED_KEYS if key in texts]
    if leaked and report.passed:
        report.outcome = "failed"
        report.longrepr = f"the API key appeared in this test's output or error: {leaked}"


def invoke_cli(
    *args: str,
    env: Mapping[str, str] | None = None,
    secrets: Iterable[str] = (),
    shows: Iterable[str] = (),
) -> Result:
    """Run ``postpress-frames ARGS`` in this process with click's ``CliRunner``.

    Every ``POSTPRESS_*`` variable is unset unless ``env`` sets it. The command's stdout and
    stderr are copied into the test's captured output, where the hook above searches every
    test's output for the watched keys; they are also searched here, at once, for those
    keys, the API key ``env`` passes and any ``secrets``. Log records go through the
    package's loggers, which the session-wide handler above watches. ``shows`` lists keys the
    command is meant to print (``fake-server`` prints its own fake key): they are not
    searched for, and are blanked in the copy.
    """
    from click.testing import CliRunner

    from postpress_frames.cli import cli

    environment: dict[str, str | None] = {k: None for k in os.environ if k.startswith("POSTPRESS_")}
    environment.update(env or {})
    runner = CliRunner(env=environment)
    result = runner.invoke(cli, list(args), prog_name="postpress-frames", catch_exceptions=False)
    shown_on_purpose = set(shows)
    stdout, stderr = result.stdout, result.stderr
    for key in shown_on_purpose:
        stdout, stderr = stdout.replace(key, "<key>"), stderr.replace(key, "<key>")
    sys.stdout.write(stdout)
    sys.stderr.write(stderr)
    keys = {*WATCHED_KEYS, *secrets, *(v for k, v in (env or {}).items() if k.endswith("_KEY"))}
    keys -= shown_on_purpose
    shown = result.output + result.stdout + result.stderr
    leaked = sorted(key for key in keys if key and key in shown)
    assert not leaked, f"`postpress-frames {' '.join(args)}` printed the API key: {leaked}"
    return result
