"""The live drill (``hotline drill serve DIR``): trainee consoles and the trainer's dashboard.

Layers, each its own module: :mod:`.clock` (the drill clock, pure), :mod:`.store` (SQLite:
tokens, clock, decisions, committed before they are acknowledged), :mod:`.session` (the drill's
rules: delivery, missed calls, decisions, scoring with :func:`sim.drill.score.score_responses`),
:mod:`.views` (what each page may see), :mod:`.app` (FastAPI routes and server-sent events) and
:mod:`.serve` (binding, links, uvicorn). Pages and assets are package data in ``static/``.
"""
