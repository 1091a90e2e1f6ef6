"""Coaching: exercises, the rep/hold engine, the circle guard and the guided flow; pure.

Readings in, events and actions out: never draws, speaks, reads the clock or touches the history.
May import `coach.angles` and the root modules.
"""
