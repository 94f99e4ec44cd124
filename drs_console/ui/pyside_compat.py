"""A guard against a PySide6 6.12 refcount bug on Python 3.11.

PySide6/shiboken6 6.12 return ``None`` (and ``True``/``False``) from wrapped C++ calls without
taking a reference – fine on Python 3.12+, where these singletons are immortal (PEP 683), but on
Python 3.11 each call of a void Qt method (``setText``, ``setPen``, ``drawLine`` …) takes one
reference from ``None``. A GUI that repaints every second exhausts it within minutes and aborts
with "Fatal Python error: none_dealloc: deallocating None" (or ``bool_dealloc``).

``protect_singletons()`` gives the three singletons a reference count no run can exhaust, which is
what Python 3.12 does for every interpreter. It does nothing on 3.12+ and is idempotent.
"""

from __future__ import annotations

import ctypes
import sys

_HEADROOM = 1 << 40  # references; a void call per nanosecond would need 18 minutes to spend 1e12


def protect_singletons() -> bool:
    """Make None, True and False effectively immortal on Python < 3.12. Returns whether it acted."""
    if sys.version_info >= (3, 12) or sys.implementation.name != "cpython":
        return False
    for obj in (None, True, False):
        refcnt = ctypes.c_ssize_t.from_address(id(obj))  # ob_refcnt is the first field of PyObject
        if refcnt.value < _HEADROOM:
            refcnt.value += _HEADROOM
    return True
