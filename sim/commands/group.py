"""The ``hotline`` group's conventions: exit codes, and the command line kept for the record.

Exit codes: 0 success; 1 a target missed (``run --fail-on-miss``), an SLO missed or validation
outside its interval; 2 bad input (a scenario, trace, profile or argument), reported with the
file and key path before any work is done; 3 a model invariant broken (``run --audit``); 130
interrupted (Ctrl-C); 143 terminated (SIGTERM: ``kill``, ``timeout``, a CI cancel, Slurm), which
takes the same path as Ctrl-C (a run records ``run.json`` with status ``interrupted``); 141 the output pipe closed (``hotline ... | head``).
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys

import click

from sim.domain.errors import InputError

EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report it
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE
EXIT_TERMINATED = 143  # 128 + SIGTERM
ARGV_KEY = "hotline.argv"


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised where Ctrl-C would be so that it is handled the same way."""


def _on_sigterm(owner: int):
    def handler(signum, frame):
        if os.getpid() != owner:  # a forked worker inherited the handler: just die
            signal.signal(signum, signal.SIG_DFL)
            os.kill(os.getpid(), signum)
            return
        raise Terminated

    return handler


@contextlib.contextmanager
def sigterm_as_interrupt():
    """Within the block, SIGTERM raises ``Terminated`` (a ``KeyboardInterrupt``) in this
    process; the earlier handler is restored after (nothing is changed outside the main
    thread, where Python cannot set one)."""
    try:
        earlier = signal.signal(signal.SIGTERM, _on_sigterm(os.getpid()))
    except ValueError:  # not the main thread
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, earlier)


class HotlineGroup(click.Group):
    """Turns ``InputError`` anywhere below into a clear message and exit code 2, Ctrl-C into
    130, SIGTERM into 143 and a closed output pipe into 141 (never 1, which means a missed
    target)."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        """Keep the command line for the run's record (``run.json``)."""
        ctx.meta[ARGV_KEY] = ["hotline", *args]
        return super().parse_args(ctx, args)

    def invoke(self, ctx: click.Context):
        try:
            with sigterm_as_interrupt():
                return super().invoke(ctx)
        except InputError as exc:
            click.echo(f"error: {exc}", err=True)
            ctx.exit(2)
        except KeyboardInterrupt as exc:
            what = "terminated" if isinstance(exc, Terminated) else "interrupted"
            done = ("the run directory was complete: it is in place" if
                    getattr(exc, "run_committed", False) else "nothing complete was written")
            click.echo(f"\n{what}: {done}", err=True)
            ctx.exit(EXIT_TERMINATED if isinstance(exc, Terminated) else EXIT_INTERRUPTED)
        except BrokenPipeError:
            # Python would complain again when it flushes stdout at exit: point it at devnull.
            # (stdout may not be a file, e.g. when a test captures it)
            with contextlib.suppress(OSError, ValueError):
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            ctx.exit(EXIT_BROKEN_PIPE)


def command_line() -> list[str] | None:
    """``["hotline", *args]`` of the command being run (``None`` outside the group)."""
    ctx = click.get_current_context(silent=True)
    return ctx.meta.get(ARGV_KEY) if ctx is not None else None
