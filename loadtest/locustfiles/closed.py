"""Locust file of ``hotline bench replay``'s closed-loop reference: FastHttpUser, no wait."""

from locust import FastHttpUser, events, task


@events.init_command_line_parser.add_listener
def _add_arguments(parser):
    parser.add_argument("--bench-path", default="/", help="path to GET")


class ClosedLoopUser(FastHttpUser):
    """GETs one path back to back (Locust's own maximum for this endpoint)."""

    @task
    def get(self) -> None:
        """One request."""
        self.client.get(self.environment.parsed_options.bench_path, name="closed-loop")
