"""Drills (演练, design S21): scripts of injects with answer keys, live replay and scoring.

``hotline drill SCENARIO ...`` builds a drill directory from a window of simulated traffic
(:mod:`sim.drill.build`), ``hotline drill play DIR`` paces its injects (:mod:`sim.drill.play`)
and ``hotline drill score DIR responses.csv`` scores trainees (:mod:`sim.drill.score`).
See docs/drills.md.
"""
