"""The HTML report in headless Chromium (Debian's `chromium`), driven over the DevTools
protocol: at 1200 px it fits the width, it draws every chart, it logs no error and it asks
for nothing but its own file, interactive or static, for 1, 4 and 12 senders and 2 chats."""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from tornado.websocket import WebSocketClientConnection, websocket_connect

from postpress_frames.analysis.report import write_report
from postpress_frames.tables.build import frames_from_pages
from postpress_frames.tables.chat_frames import ChatFrames
from postpress_frames.testing import demo_chats, demo_names
from tests.conftest import demo_frames, pages_of

pytestmark = pytest.mark.browser  # `make check` skips it: Chromium comes from apt-get

WIDTH = 1200
FIGURES = [
    "messages-over-time",
    "calendar",
    "response-time",
    "response-matrix",
    "weekday-hour",
    "time-to-read",
]
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
]

# What the page looks like once drawn: its width, each figure's drawing, what overflows.
MEASURE = """JSON.stringify({
  scrollWidth: document.documentElement.scrollWidth,
  charts: document.documentElement.dataset.charts || null,
  tables: document.querySelectorAll("table.metrics").length,
  figures: Array.from(document.querySelectorAll("figure"), (f) => ({
    id: f.id,
    svg: f.querySelectorAll(".chart svg.marks").length,
    marks: f.querySelectorAll(".chart svg.marks path, .chart svg.marks rect").length,
    svgWidth: Math.max(0, ...Array.from(f.querySelectorAll(".chart svg"),
      (s) => s.getBoundingClientRect().right)),
    images: Array.from(f.querySelectorAll("img")).filter((i) => i.naturalWidth > 0).length,
  })),
  overflowing: Array.from(document.querySelectorAll(".scroll, .chart, figure, section"))
    .filter((e) => e.scrollWidth > e.clientWidth + 1)
    .map((e) => `${e.closest("section").id} ${e.id || e.className} ` +
      `(${e.scrollWidth} > ${e.clientWidth} px)`),
  bodyRight: document.body.getBoundingClientRect().right,
})"""

# Resolves when the page's script has drawn (or failed to draw) every chart.
CHARTS_DONE = """new Promise((resolve) => {
  const check = () => document.documentElement.dataset.charts
    ? resolve(document.documentElement.dataset.charts) : setTimeout(check, 50);
  check();
})"""


# The centre of the biggest mark of a figure, scrolled into view.
BIGGEST_MARK = """(() => {
  const marks = Array.from(document.querySelectorAll("#FIGURE svg.marks .mark-rect path"));
  const area = (m) => m.getBoundingClientRect().width * m.getBoundingClientRect().height;
  const mark = marks.reduce((a, b) => (area(b) > area(a) ? b : a));
  mark.scrollIntoView({block: "center"});
  const box = mark.getBoundingClientRect();
  return [box.x + box.width / 2, box.y + box.height / 2];
})()"""

# Resolves with the text of vega-tooltip's box once it shows.
TOOLTIP = """new Promise((resolve) => {
  const check = () => {
    const box = document.querySelector("#vg-tooltip-element.visible");
    box ? resolve(box.textContent) : setTimeout(check, 50);
  };
  check();
})"""


def chromium_binary() -> str:
    binary = shutil.which("chromium")
    assert binary, (
        "Debian's chromium is required: `make test` installs it (apt-get install chromium)"
    )
    return binary


@dataclass
class Visit:
    """What one page load did: requests, errors, and the page measured once drawn."""

    requests: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    page: dict[str, Any] = field(default_factory=dict)


class DevTools:
    """One DevTools connection: commands by id, events kept in order."""

    def __init__(self, connection: WebSocketClientConnection) -> None:
        self.connection = connection
        self.events: list[dict[str, Any]] = []
        self.last_id = 0

    async def _next(self) -> dict[str, Any]:
        raw = await asyncio.wait_for(self.connection.read_message(), timeout=120)
        assert raw is not None, "Chromium closed the DevTools connection"
        message: dict[str, Any] = json.loads(raw)
        return message

    async def call(self, method: str, session: str | None = None, **params: Any) -> Any:
        self.last_id += 1
        command: dict[str, Any] = {"id": self.last_id, "method": method, "params": params}
        if session:
            command["sessionId"] = session
        await self.connection.write_message(json.dumps(command))
        while True:
            message = await self._next()
            if message.get("id") == self.last_id:
                assert "error" not in message, f"{method}: {message['error']}"
                return message["result"]
            self.events.append(message)

    async def wait_for(self, method: str) -> None:
        while not any(event.get("method") == method for event in self.events):
            self.events.append(await self._next())


class Chromium:
    """A headless Chromium with its DevTools endpoint on a free local port."""

    def __init__(self, profile: Path) -> None:
        self.log = (profile.parent / "chromium.log").open("w")
        self.process = subprocess.Popen(
            [
                chromium_binary(),
                *CHROMIUM_FLAGS,
                "--remote-debugging-port=0",
                f"--user-data-dir={profile}",
                "about:blank",
            ],
            stdout=self.log,
            stderr=self.log,
        )
        port_file = profile / "DevToolsActivePort"
        deadline = time.monotonic() + 60  # a guard against a hang, not a speed check
        while not port_file.is_file() or len(port_file.read_text().splitlines()) < 2:
            assert self.process.poll() is None, "chromium exited before it listened"
            assert time.monotonic() < deadline, "chromium did not open its DevTools port"
            time.sleep(0.1)
        port, path = port_file.read_text().splitlines()[:2]
        self.endpoint = f"ws://127.0.0.1:{port}{path}"

    def close(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)
        self.log.close()

    def visit(self, page: Path, *, interactive: bool, hover: str | None = None) -> Visit:
        """Load ``page`` at 1200 px, wait for its charts, measure it; ``hover``: move the
        mouse over the biggest mark of that figure and keep the tooltip's text."""
        return asyncio.run(self._visit(page.as_uri(), interactive=interactive, hover=hover))

    async def _visit(self, url: str, *, interactive: bool, hover: str | None) -> Visit:
        connection = await websocket_connect(self.endpoint, max_message_size=1 << 26)
        tools = DevTools(connection)
        target = (await tools.call("Target.createTarget", url="about:blank"))["targetId"]
        attached = await tools.call("Target.attachToTarget", targetId=target, flatten=True)
        session = attached["sessionId"]
        for domain in ("Network", "Runtime", "Log", "Page"):
            await tools.call(f"{domain}.enable", session)
        await tools.call(
            "Emulation.setDeviceMetricsOverride",
            session,
            width=WIDTH,
            height=900,
            deviceScaleFactor=1,
            mobile=False,
        )
        await tools.call("Page.navigate", session, url=url)
        await tools.wait_for("Page.loadEventFired")
        if interactive:
            await tools.call("Runtime.evaluate", session, expression=CHARTS_DONE, awaitPromise=True)
        measured = await tools.call(
            "Runtime.evaluate", session, expression=MEASURE, returnByValue=True
        )
        visit = Visit(page=json.loads(measured["result"]["value"]))
        if hover:
            where = await tools.call(
                "Runtime.evaluate",
                session,
                expression=BIGGEST_MARK.replace("FIGURE", hover),
                returnByValue=True,
            )
            x, y = where["result"]["value"]
            await tools.call("Input.dispatchMouseEvent", session, type="mouseMoved", x=x, y=y)
            tip = await tools.call(
                "Runtime.evaluate", session, expression=TOOLTIP, awaitPromise=True
            )
            visit.page["tooltip"] = tip["result"]["value"]
        await tools.call("Target.closeTarget", targetId=target)
        connection.close()
        for event in tools.events:
            method, params = event.get("method"), event.get("params", {})
            if method == "Network.requestWillBeSent":
                visit.requests.append(params["request"]["url"])
            elif method == "Runtime.exceptionThrown":
                visit.errors.append(json.dumps(params["exceptionDetails"])[:500])
            elif method == "Runtime.consoleAPICalled" and params["type"] in ("error", "assert"):
                visit.errors.append(json.dumps(params["args"])[:500])
            elif method == "Log.entryAdded" and params["entry"]["level"] == "error":
                visit.errors.append(params["entry"]["text"][:500])
        return visit


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Chromium]:
    chromium = Chromium(tmp_path_factory.mktemp("chromium") / "profile")
    yield chromium
    chromium.close()


# --------------------------------------------------------------------------- the chats


def one_sender() -> ChatFrames:
    frames = demo_frames(400)
    return frames.filter(sender_ids=[frames.messages.get_column("sender_id")[0]])


def twelve_senders() -> ChatFrames:
    """A demo chat whose messages and reactions are spread over 12 senders of 35-character
    ids (the readers of its receipts become readers who never wrote)."""
    frames = demo_frames(1200, seed=3)
    ids = [f"ACoAA{i:02d}Xq7LmN4pR8sT1vW3yZ5bC6dF9ghJ" for i in range(12)]
    index = pl.int_range(pl.len()) % len(ids)
    sender = {"sender_id": pl.lit(pl.Series(ids)).gather(index), "is_sender": index == 0}
    messages = frames.messages.with_columns(
        **sender, sender_attendee_id=pl.format("att_x{}", index)
    )
    reactions = frames.reactions.with_columns(**sender)
    return frames.replace(messages=messages, reactions=reactions)


def two_chats() -> ChatFrames:
    chats = demo_chats(2, 400)
    return frames_from_pages(pages_of([m for messages in chats.values() for m in messages]))


def names_of_two_chats() -> dict[str, str]:
    return {**demo_names("chat_demo"), **demo_names("chat_demo_2")}


CHATS = {
    "1 sender": (one_sender, None),
    "4 senders": (lambda: demo_frames(600), demo_names()),
    "12 senders": (
        twelve_senders,
        {
            "ACoAA03Xq7LmN4pR8sT1vW3yZ5bC6dF9ghJ": "Maximilian Alexander von Hohenzollern-Sigmaringen"
        },
    ),
    "2 chats": (two_chats, names_of_two_chats()),
}


@pytest.fixture(scope="module", params=list(CHATS))
def chat(request: pytest.FixtureRequest) -> tuple[str, ChatFrames, dict[str, str] | None]:
    build, names = CHATS[request.param]
    return request.param, build(), names


@pytest.mark.parametrize("static", [False, True], ids=["interactive", "static"])
def test_report_fits_draws_and_loads_nothing_in_chromium(
    browser: Chromium,
    chat: tuple[str, ChatFrames, dict[str, str] | None],
    static: bool,
    tmp_path: Path,
) -> None:
    _, frames, names = chat
    page = write_report(frames, tmp_path / "report.html", names=names, static=static)
    visit = browser.visit(page, interactive=not static)
    measured = visit.page

    assert visit.errors == []
    # Only the file itself: no font, script or image from anywhere (the static page's
    # images are its own data: URIs, one per chart).
    inline = [url for url in visit.requests if url.startswith("data:image/svg+xml;base64,")]
    assert [url for url in visit.requests if url not in inline] == [page.as_uri()]
    assert len(inline) == (len(FIGURES) if static else 0)
    assert measured["scrollWidth"] <= WIDTH
    assert measured["overflowing"] == []  # no table or chart scrolls inside the page either
    assert measured["tables"] >= 8
    figures = measured["figures"]
    assert [f["id"] for f in figures] == FIGURES
    if static:
        assert measured["charts"] is None
        assert all(f["images"] == 1 and f["svg"] == 0 for f in figures), figures
    else:
        assert measured["charts"] == "drawn"
        assert all(f["svg"] >= 1 and f["marks"] > 0 for f in figures), figures
        assert all(f["svgWidth"] <= measured["bodyRight"] for f in figures), figures


def test_tooltips_show_offline(browser: Chromium, tmp_path: Path) -> None:
    names = demo_names()
    page = write_report(demo_frames(600), tmp_path / "report.html", names=names)
    visit = browser.visit(page, interactive=True, hover="messages-over-time")
    assert visit.errors == []
    assert visit.requests == [page.as_uri()]
    tip = visit.page["tooltip"]
    assert "messages" in tip
    assert any(name in tip for name in names.values())  # the person, by name


def test_screenshot_of_the_report(tmp_path: Path) -> None:
    """The command line that takes the README's screenshot works: the charts are drawn
    within the virtual time budget, and the image is a rendered page."""
    page = write_report(demo_frames(600), tmp_path / "report.html", names=demo_names())
    shot = tmp_path / "report.png"
    result = subprocess.run(
        [
            chromium_binary(),
            *CHROMIUM_FLAGS,
            f"--user-data-dir={tmp_path / 'profile'}",
            f"--window-size={WIDTH},2400",
            "--virtual-time-budget=20000",
            f"--screenshot={shot}",
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    png = shot.read_bytes()
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    assert len(png) > 50_000  # a rendered page, not a blank one
