"""App: one module per command; each a thin driver that wires the stages below it.

`coach.cli` dispatches to these. Errors become one line and a non-zero exit.
"""
