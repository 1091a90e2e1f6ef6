"""Store: the session history in SQLite, progress over time, and personal targets.

May import `coach.coaching`, `coach.angles` and the root modules; never the UI.
"""
