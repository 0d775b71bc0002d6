"""``python -m loadtest.server``: the same as ``hotline serve``."""

from loadtest.server.command import serve

if __name__ == "__main__":
    serve(prog_name="python -m loadtest.server")
