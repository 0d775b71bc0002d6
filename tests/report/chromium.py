"""Open an HTML file in headless Chromium through the DevTools protocol (websocket-client).

Collects console errors, uncaught exceptions and log errors, whether every image decoded, the
page's visible text, and a screenshot.
"""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--remote-debugging-port=0", "--window-size=1280,2400", "--remote-allow-origins=*"]


def chromium_binary() -> str | None:
    """The Chromium executable, or None when it is not installed."""
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


@dataclass
class PageResult:
    """What the browser saw."""

    text: str = ""
    errors: list[str] = field(default_factory=list)
    images: int = 0
    broken_images: int = 0
    values: list = field(default_factory=list)  # of the ``steps`` expressions, in order


class _Session:
    def __init__(self, ws) -> None:
        self.ws, self.next_id, self.events = ws, 0, []

    def call(self, method: str, **params) -> dict:
        self.next_id += 1
        self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            msg = json.loads(self.ws.recv())
            if msg.get("id") == self.next_id:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                return msg.get("result", {})
            self.events.append(msg)

    def wait_for(self, method: str, timeout: float = 30.0) -> None:
        end = time.monotonic() + timeout
        while not any(e.get("method") == method for e in self.events):
            if time.monotonic() > end:
                raise TimeoutError(method)
            self.events.append(json.loads(self.ws.recv()))


def _errors(events: list[dict]) -> list[str]:
    out = []
    for e in events:
        method, p = e.get("method"), e.get("params", {})
        if method == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
            out.append("console: " + " ".join(str(a.get("value", a)) for a in p.get("args", [])))
        elif method == "Runtime.exceptionThrown":
            out.append("exception: " + str(p.get("exceptionDetails", {}).get("text")))
        elif method == "Log.entryAdded" and p.get("entry", {}).get("level") == "error":
            out.append("log: " + str(p["entry"].get("text")))
    return out


def open_page(html: Path, screenshot: Path, profile: Path, steps: Sequence[str] = (),
              clip: str | None = None) -> PageResult:
    """Load ``html`` (a file), wait for its load event, evaluate the JavaScript ``steps`` in
    order (promises are awaited; their values are kept), inspect the page and save a
    screenshot: of the whole page, or of the element matching the CSS selector ``clip``."""
    import websocket

    from loadtest.procs import die_with_parent

    proc = subprocess.Popen([chromium_binary(), *FLAGS, f"--user-data-dir={profile}",
                             "about:blank"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            preexec_fn=die_with_parent)
    try:
        port_file = profile / "DevToolsActivePort"
        end = time.monotonic() + 30
        while not (port_file.exists() and port_file.read_text().strip()):
            if time.monotonic() > end or proc.poll() is not None:
                raise RuntimeError("chromium did not start")
            time.sleep(0.1)
        port = port_file.read_text().split()[0]
        import urllib.request

        targets = json.loads(urllib.request.urlopen(f"http://127.0.0.1:{port}/json").read())
        page = next(t for t in targets if t["type"] == "page")
        ws = websocket.create_connection(page["webSocketDebuggerUrl"], timeout=60,
                                         suppress_origin=True)
        try:
            return _inspect(_Session(ws), html, screenshot, steps, clip)
        finally:
            ws.close()
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


def _inspect(s: _Session, html: Path, screenshot: Path, steps: Sequence[str] = (),
             clip: str | None = None) -> PageResult:
    for domain in ("Runtime", "Log", "Page"):
        s.call(f"{domain}.enable")
    s.call("Page.navigate", url=html.resolve().as_uri())
    s.wait_for("Page.loadEventFired")

    def evaluate(expr: str):
        out = s.call("Runtime.evaluate", expression=expr, returnByValue=True, awaitPromise=True)
        return out["result"].get("value")

    values = [evaluate(step) for step in steps]

    result = PageResult(
        text=evaluate("document.body.innerText"),
        images=evaluate("document.images.length"),
        broken_images=evaluate(
            "Array.from(document.images).filter(i => !(i.complete && i.naturalWidth > 0)).length"))
    result.values = values
    options = {}
    if clip:
        box = evaluate(f"(() => {{ const r = document.querySelector({json.dumps(clip)})"
                       ".getBoundingClientRect(); return [r.x + window.scrollX, r.y + "
                       "window.scrollY, r.width, r.height]; })()")
        options["clip"] = dict(zip(("x", "y", "width", "height"), box, strict=True), scale=1)
    shot = s.call("Page.captureScreenshot", format="png", captureBeyondViewport=True, **options)
    screenshot.write_bytes(base64.b64decode(shot["data"]))
    result.errors = _errors(s.events)
    return result
