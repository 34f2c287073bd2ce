"""Errors a user can act on, and the CLI wrapper that turns them into one line and an exit status:
2 for a problem with the input (``UsageError``), 1 for a run that failed (``RunFailed``)."""

import functools
import sys


def first_line(err):
    """The first line of an exception's message (its type's name if it has none)."""
    text = str(err).strip() or type(err).__name__
    return text.splitlines()[0]


def error_reason(err, empty="no message", limit=200):
    """Why something failed, in one line of at most ``limit`` characters: "Type: first line of the
    message", with ``empty`` for a message-less exception (an EOFError, say)."""
    text = str(err).strip() or empty
    return f"{type(err).__name__}: {text.splitlines()[0]}"[:limit]


class UsageError(Exception):
    """A problem with the user's input (path, option, run directory). Shown as one line, exit 2."""

    exit_code = 2


class RunFailed(UsageError):
    """A run that could not finish (training diverged). Shown as one line, exit 1."""

    exit_code = 1


def cli_entry(main):
    """Decorates a CLI ``main(argv)`` so that a ``UsageError`` prints ``error: ...`` and exits with its
    ``exit_code`` (2, or 1 for ``RunFailed``).

    Anything else is a bug and keeps its traceback. ``KeyboardInterrupt`` exits 130 quietly, since
    training state is already kept by the checkpoint callbacks.
    """

    @functools.wraps(main)
    def wrapper(argv=None):
        try:
            return main(argv)
        except UsageError as err:
            print(f"error: {err}", file=sys.stderr)
            raise SystemExit(err.exit_code) from None
        except KeyboardInterrupt:
            print("interrupted", file=sys.stderr)
            raise SystemExit(130) from None

    return wrapper
