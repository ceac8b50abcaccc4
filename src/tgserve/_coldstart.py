"""A cold start without the collector's passes over what start-up builds.

A cold start on a frozen-instance host (AWS Lambda, Yandex Cloud Functions) is mostly
imports, which allocate long-lived objects by the hundred thousand; CPython's cyclic
collector scans each of them in its young and then its middle generation, and a full pass
at start-up scans them all again, though none of them is garbage (about a tenth of a plain
bot's cold start). Inside :func:`cold_phase` the collector does not run; at its end what
was built is frozen (``gc.freeze()``: kept out of every later scan, as the runtime's
``gc_freeze`` does at start-up) and the collector runs again. The few cycles that became
garbage during the phase are kept with it (bytes, not megabytes). Each phase is bounded:
the import of the host's module, the cold invocation. Each kind of phase freezes once
per process (a test process makes many handlers; its garbage is not kept, it is collected
as usual). ``gc_freeze=False`` (or ``TGSERVE_GC_FREEZE=0`` for the import) pauses without
freezing.
"""

from __future__ import annotations

import contextlib
import gc
import os
from collections.abc import Iterator

FALSE = ("0", "false", "no", "off")
_frozen: set[str] = set()  # the phases that have frozen in this process


def freeze_wanted() -> bool:
    """``TGSERVE_GC_FREEZE`` as read before any Config exists (the import of a host)."""
    return os.environ.get("TGSERVE_GC_FREEZE", "").strip().lower() not in FALSE


@contextlib.contextmanager
def cold_phase(name: str, freeze: bool) -> Iterator[None]:
    """No automatic collection inside the block; after it, freeze what it built (``freeze``,
    the first phase ``name`` of the process) and let the collector run again. A block
    entered with the collector off changes nothing."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
        if freeze and name not in _frozen:
            _frozen.add(name)
            gc.freeze()
    finally:
        gc.enable()
