"""The live drill's web app (FastAPI): pages, assets, the JSON API and server-sent events.

Each link carries a token (``/trainer/TOKEN``, ``/console/TOKEN``); the pages send it back as
``Authorization: Bearer TOKEN``; ``?token=`` is taken only where a browser cannot set headers
(the event stream and the CSV download), and a page is served for its link's own token only. Every asset is package data: the app works on a LAN without
internet access.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib.resources import files
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Request, Response
from fastapi.responses import HTMLResponse, StreamingResponse
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, ConfigDict, Field

from sim.domain.api_errors import ApiError
from sim.drill.live import views
from sim.drill.live.decide import decide, responses_csv, score
from sim.drill.live.errors import install_error_handlers
from sim.drill.live.session import LiveDrill, Submission
from sim.drill.live.store import TRAINEE, TRAINER

STATIC = files("sim.drill.live") / "static"
TICK_S = 0.05
"""Real seconds between clock ticks: how late at most a call rings or a push goes out."""
KEEPALIVE_S = 10.0
STREAM_POLL_S = 0.5
"""Real seconds an idle event stream waits before looking again (pushes wake it at once)."""


class DecisionIn(BaseModel):
    """A trainee's decision; the server stamps the time."""

    model_config = ConfigDict(extra="forbid", strict=True)  # "1" is not the number 1
    decision_id: str = Field(pattern=r"^[A-Za-z0-9_-]{8,64}$",
                             description="client-generated id: a retry sends the same one")
    inject_id: int
    category: str = Field(min_length=1, max_length=24, description="diversion-list code")
    handling: str = Field(max_length=40)
    target_line: str = Field(max_length=10)
    first_dispatch: str = Field(max_length=10, description="110, 119, 120, 122 or empty: none")


class Pushes:
    """Wakes every event stream when the drill's state changes."""

    def __init__(self) -> None:
        self.event = asyncio.Event()

    def notify(self) -> None:
        """Wake the streams waiting now."""
        self.event.set()
        self.event = asyncio.Event()

    async def wait(self, timeout: float) -> None:
        """Until the next change or ``timeout`` seconds."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.event.wait(), timeout)


def _caller(request: Request, given: str) -> tuple[str, str]:
    found = request.app.state.tokens.get(given)
    if found is None:
        raise ApiError(403, "forbidden", "unknown token")
    return found


def _bearer(request: Request) -> str | None:
    """The token of an ``Authorization: Bearer TOKEN`` header; 401 for any other scheme."""
    header = request.headers.get("authorization")
    if header is None:
        return None
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(401, "unauthorized", "expected the header Authorization: Bearer TOKEN")
    return token.strip()


def who(request: Request) -> tuple[str, str]:
    """(role, trainee) of the request's bearer token; 401 without one, 403 with a wrong one."""
    given = _bearer(request)
    if given is None:
        hint = ("?token= is taken only by the event stream and the CSV download; send "
                "Authorization: Bearer TOKEN") if "token" in request.query_params else \
            "no token: open the link hotline drill serve printed"
        raise ApiError(401, "unauthorized", hint)
    return _caller(request, given)


def who_or_query(request: Request, token: str | None = None) -> tuple[str, str]:
    """As :func:`who`, or ``?token=`` where a browser cannot set headers (EventSource, a link)."""
    if "authorization" in request.headers or token is None:
        return who(request)
    return _caller(request, token)


Who = Annotated[tuple[str, str], Depends(who)]
WhoOrQuery = Annotated[tuple[str, str], Depends(who_or_query)]


def trainer(caller: Who) -> None:
    """Only the trainer's token."""
    if caller[0] != TRAINER:
        raise ApiError(403, "forbidden", "the trainer's link is needed for this")


def trainer_or_query(caller: WhoOrQuery) -> None:
    """Only the trainer's token, as a header or ``?token=`` (the CSV download link)."""
    trainer(caller)


def trainee(caller: Who) -> str:
    """Only a trainee's token; the trainee's name."""
    if caller[0] != TRAINEE:
        raise ApiError(403, "forbidden", "a trainee's link is needed for this")
    return caller[1]


def create_app(live: LiveDrill) -> FastAPI:
    """The app serving one live drill."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.pushes = Pushes()
        task = asyncio.create_task(_ticker(live, app.state.pushes))
        yield
        task.cancel()
        live.save_clock()  # a graceful stop resumes exactly where it was
        live.store.close()

    # no /docs: Swagger UI loads from a CDN, and a training room may be offline
    app = FastAPI(title="hotline-sim live drill", version="1", lifespan=lifespan,
                  docs_url=None, redoc_url=None,
                  summary="trainee consoles and the trainer's dashboard (hotline drill serve)")
    app.state.live = live
    app.state.stopping = False
    app.state.tokens = live.store.tokens()
    install_error_handlers(app)
    app.mount("/static", StaticFiles(directory=str(STATIC)), name="static")
    _routes(app, live)
    return app


async def _ticker(live: LiveDrill, pushes: Pushes) -> None:
    while True:
        if live.tick():
            pushes.notify()
        await asyncio.sleep(TICK_S)


def _page(name: str) -> HTMLResponse:
    return HTMLResponse((STATIC / name).read_text(encoding="utf-8"),
                        headers={"Cache-Control": "no-store"})


def _view(live: LiveDrill, caller: tuple[str, str]) -> dict[str, Any]:
    live.tick()  # a request never sees a clock the ticker has not caught up with yet
    return views.trainer_view(live) if caller[0] == TRAINER else views.trainee_view(live, caller[1])


def _routes(app: FastAPI, live: LiveDrill) -> None:
    _page_routes(app, live)
    _view_routes(app, live)
    _action_routes(app, live)


def _page_routes(app: FastAPI, live: LiveDrill) -> None:
    @app.get("/healthz", tags=["service"])
    async def healthz() -> dict[str, str]:
        return {"status": "ok", "clock": live.clock.status}

    @app.get("/trainer/{token}", response_class=HTMLResponse, tags=["pages"])
    async def trainer_page(request: Request, token: str) -> HTMLResponse:
        trainer(_caller(request, token))  # the link's token, whatever the headers say
        return _page("trainer.html")

    @app.get("/console/{token}", response_class=HTMLResponse, tags=["pages"])
    async def console_page(request: Request, token: str) -> HTMLResponse:
        trainee(_caller(request, token))
        return _page("console.html")


def _view_routes(app: FastAPI, live: LiveDrill) -> None:
    @app.get("/api/choices", tags=["drill"])
    async def get_choices(_: Who) -> dict[str, Any]:
        return views.choices()

    @app.get("/api/state", tags=["drill"])
    async def get_state(caller: Who) -> dict[str, Any]:
        return _view(live, caller)

    @app.get("/api/events", tags=["drill"])
    async def events(request: Request, caller: WhoOrQuery) -> StreamingResponse:
        return StreamingResponse(_stream(request, live, caller), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})


def _action_routes(app: FastAPI, live: LiveDrill) -> None:
    @app.post("/api/clock/{action}", tags=["trainer"], dependencies=[Depends(trainer)])
    async def clock_action(action: str, request: Request) -> dict[str, Any]:
        live.act(action)
        request.app.state.pushes.notify()
        return views.clock_view(live)

    @app.post("/api/decisions", tags=["trainee"], status_code=201)
    async def post_decision(body: DecisionIn, request: Request, response: Response,
                            name: Annotated[str, Depends(trainee)]) -> dict[str, Any]:
        decision, replayed = decide(live, name, Submission(**body.model_dump()))
        request.app.state.pushes.notify()
        if replayed:
            response.status_code = 200
        return {"saved": True, "replayed": replayed, "decision": decision.to_dict()}

    @app.get("/api/score", tags=["trainer"], dependencies=[Depends(trainer)])
    async def get_score() -> dict[str, Any]:
        return score(live)

    @app.get("/api/responses.csv", tags=["trainer"], dependencies=[Depends(trainer_or_query)])
    async def get_responses() -> Response:
        return Response(responses_csv(live), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": 'attachment; filename="responses.csv"'})


async def _stream(request: Request, live: LiveDrill, caller: tuple[str, str]
                  ) -> AsyncIterator[str]:
    state = request.app.state
    sent, quiet = -1, 0.0
    # the server's shutdown sets state.stopping: streams end so it need not cut them off
    while not state.stopping and not await request.is_disconnected():
        if live.version != sent:
            sent, quiet = live.version, 0.0
            view = json.dumps(_view(live, caller), ensure_ascii=False, allow_nan=False)
            yield f"event: state\ndata: {view}\n\n"
        elif quiet >= KEEPALIVE_S:
            quiet = 0.0
            yield ": keepalive\n\n"
        await state.pushes.wait(STREAM_POLL_S)
        quiet += STREAM_POLL_S
