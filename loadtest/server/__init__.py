"""The reference exchange server (``hotline serve``): a small real 12345 ↔ 110 linkage service.

``start_server`` runs it in a subprocess for tests, benchmarks and the load tester;
``app.serving_app`` builds the ASGI app uvicorn serves. Nothing here imports locust.
"""

from loadtest.server.process import ServerHandle, start_server

__all__ = ["ServerHandle", "start_server"]
