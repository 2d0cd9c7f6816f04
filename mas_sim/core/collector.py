"""Python's cyclic garbage collector during a long run: the objects older than the run set aside.

A simulation allocates hundreds of thousands of objects (requests, sub-jobs, events). Every
full collection it triggers traverses every tracked object of the process, most of which were
alive before the run and stay alive after it (modules, numba's and torch's type objects, the
caller's data), so their number, not the run's, sets what a full pass costs.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def older_objects_frozen() -> Iterator[None]:
    """Keep the objects tracked on entry out of the collector's passes until exit.

    ``gc.freeze()`` moves them to the permanent generation and ``gc.unfreeze()`` returns them to
    the oldest one on exit (both O(1)), so nothing is lost to the collector, only deferred: a
    cycle among them that becomes garbage during the block is freed after it. Meant for one
    long block (a whole run), not many short ones: on exit every object that was young on entry
    lands in the oldest generation. Does nothing if the collector is disabled or objects are
    already frozen (by a caller, e.g. before forking: their freeze is theirs to undo).
    """
    if not gc.isenabled() or gc.get_freeze_count():
        yield
        return
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()
