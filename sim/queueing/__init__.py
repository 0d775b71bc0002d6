"""Closed-form queueing: Erlang B, C and A and their inverses. Pure functions of numbers."""
