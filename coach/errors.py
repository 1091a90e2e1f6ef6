"""The one exception type the CLI turns into a one-line message and a non-zero exit."""


class CoachError(Exception):
    """A user-facing error: its message is one line that says what is wrong and how to fix it.

    Raise it (or a subclass) for bad input: a missing file, a corrupt model, a bad exercise
    file, a camera that will not open, an unknown exercise. The CLI prints ``error: <message>``
    and exits with ``exit_code``; it never shows a traceback for these.
    """

    exit_code: int = 2

    def __init__(self, message: str, exit_code: int | None = None) -> None:
        super().__init__(message)
        if exit_code is not None:
            self.exit_code = exit_code
