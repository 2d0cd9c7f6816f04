"""Start a command-line process as a user's terminal would, for tests that interrupt it."""

from __future__ import annotations

import signal


def ctrl_c_default() -> None:
    """``preexec_fn`` for ``subprocess.Popen``: Ctrl-C (SIGINT) at its default in the child.

    A process started in the background of a non-interactive shell (``cmd &``, as CI runners and
    ``nohup`` jobs start test suites) inherits SIGINT ignored, and Python then installs no
    KeyboardInterrupt handler; a test of what Ctrl-C does must not depend on how it was started.
    """
    signal.signal(signal.SIGINT, signal.SIG_DFL)
