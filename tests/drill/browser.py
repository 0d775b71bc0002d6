"""Several pages of one headless Chromium over DevTools (built on tests/report/chromium.py)."""

from __future__ import annotations

import base64
import json
import subprocess
import time
import urllib.request
from pathlib import Path

from report.chromium import FLAGS, _errors, _Session, chromium_binary

__all__ = ["Browser", "chromium_binary"]


class Page:
    """One tab: evaluate JavaScript, wait for a condition, take a screenshot."""

    def __init__(self, ws) -> None:
        self.session = _Session(ws)
        for domain in ("Runtime", "Log", "Page"):
            self.session.call(f"{domain}.enable")
        self.session.call("Emulation.setDeviceMetricsOverride", width=1280, height=820,
                          deviceScaleFactor=1, mobile=False)

    def open(self, url: str) -> None:
        """Navigate and wait for the load event."""
        self.session.events.clear()
        self.session.call("Page.navigate", url=url)
        self.session.wait_for("Page.loadEventFired")

    def js(self, expression: str):
        """The value of a JavaScript expression (promises awaited)."""
        result = self.session.call("Runtime.evaluate", expression=expression,
                                   returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def wait(self, expression: str, timeout: float, step: float = 0.05):
        """Poll ``expression`` until it is truthy; its value."""
        end = time.monotonic() + timeout
        while not (value := self.js(expression)):
            if time.monotonic() > end:
                raise TimeoutError(expression)
            time.sleep(step)
        return value

    def screenshot(self, path: Path) -> None:
        """A PNG of the viewport."""
        shot = self.session.call("Page.captureScreenshot", format="png")
        path.write_bytes(base64.b64decode(shot["data"]))

    def errors(self) -> list[str]:
        """Console errors and uncaught exceptions seen so far."""
        return _errors(self.session.events)


class Browser:
    """Headless Chromium (a context manager that stops it by its PID)."""

    def __init__(self, profile: Path) -> None:
        self.profile, self.sockets = profile, []

    def __enter__(self) -> Browser:
        from loadtest.procs import die_with_parent

        self.proc = subprocess.Popen([chromium_binary(), *FLAGS, f"--user-data-dir={self.profile}",
                                      "about:blank"], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL, preexec_fn=die_with_parent)
        port_file = self.profile / "DevToolsActivePort"
        end = time.monotonic() + 30
        while not (port_file.exists() and port_file.read_text().strip()):
            if time.monotonic() > end or self.proc.poll() is not None:
                self.__exit__()
                raise RuntimeError("chromium did not start")
            time.sleep(0.1)
        self.port = port_file.read_text().split()[0]
        return self

    def page(self) -> Page:
        """A new tab."""
        import websocket

        request = urllib.request.Request(f"http://127.0.0.1:{self.port}/json/new?about:blank",
                                         method="PUT")
        target = json.loads(urllib.request.urlopen(request, timeout=30).read())
        ws = websocket.create_connection(target["webSocketDebuggerUrl"], timeout=60,
                                         suppress_origin=True)
        self.sockets.append(ws)
        return Page(ws)

    def __exit__(self, *exc: object) -> None:
        for ws in self.sockets:
            ws.close()
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)
