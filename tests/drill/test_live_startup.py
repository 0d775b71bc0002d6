"""A resumed running drill loses no drill time while the server starts up: the clock is held
until uvicorn accepts connections, and the links are announced only then."""

from __future__ import annotations

import threading

import httpx

from sim.drill.live.serve import bind, links, make_server, open_live

from .live_support import GRACE_S, SPEED, wait_until


class Real:
    """A real-time clock moved by hand (seconds)."""

    def __init__(self) -> None:
        self.t = 500.0

    def __call__(self) -> float:
        return self.t


def test_a_restarted_running_drill_resumes_when_the_server_accepts(four, tmp_path):
    db = tmp_path / "live.sqlite"
    first = open_live(four, db, SPEED, GRACE_S)
    first.store.save_clock("running", 100.0)  # as a kill -9 leaves it
    first.store.close()
    live = open_live(four, db, SPEED, GRACE_S, held=True)
    real = Real()
    live.real = live.clock.real = real
    live.clock.base_real = real()
    real.t += 30  # importing the web stack and starting up, as slowly as it likes
    seen: list[tuple[float, bool]] = []
    server = make_server(live, on_serving=lambda: seen.append((live.now(), live.clock.held)))
    sock = bind("127.0.0.1", 0)
    base = f"http://127.0.0.1:{sock.getsockname()[1]}"
    trainer = links(live, base).trainer.rsplit("/", 1)[1]
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        wait_until(lambda: seen, 20, "the server announces itself")
        assert seen == [(100.0, False)]  # not 100 + 30 × SPEED: the start-up cost nothing
        state = httpx.get(f"{base}/api/state", timeout=10,
                          headers={"Authorization": f"Bearer {trainer}"}).json()
        assert (state["clock"]["status"], state["clock"]["drill_s"]) == ("running", 100.0)
        real.t += 1
        assert live.now() == 100.0 + SPEED
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()
    assert not thread.is_alive()
