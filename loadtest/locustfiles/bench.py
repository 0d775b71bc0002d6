"""Locust file of ``hotline bench``: the open-loop rate search (``loadtest.benchrun``)."""

from loadtest.benchrun import BenchUser

__all__ = ["BenchUser"]
