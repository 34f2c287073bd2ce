"""Errors a user can act on, and the CLI wrapper that turns them into one line and exit status 2."""

import functools
import sys


class UsageError(Exception):
    """A problem with the user's input (path, option, run directory). Shown as one line, exit 2."""


def cli_entry(main):
    """Decorates a CLI ``main(argv)`` so that a ``UsageError`` prints ``error: ...`` and exits 2.

    Anything else is a bug and keeps its traceback. ``KeyboardInterrupt`` exits 130 quietly, since
    training state is already kept by the checkpoint callbacks.
    """

    @functools.wraps(main)
    def wrapper(argv=None):
        try:
            return main(argv)
        except UsageError as err:
            print(f"error: {err}", file=sys.stderr)
            raise SystemExit(2) from None
        except KeyboardInterrupt:
            print("interrupted", file=sys.stderr)
            raise SystemExit(130) from None

    return wrapper
