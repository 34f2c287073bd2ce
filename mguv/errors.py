"""Errors a user can act on, and the CLI wrapper that turns them into one line and an exit status:
2 for a problem with the input (``UsageError``), 1 for a run that failed (``RunFailed``)."""

import functools
import sys


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
