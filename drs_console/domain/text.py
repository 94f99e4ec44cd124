"""Text from files and from AWS made safe to echo: control characters escaped (pure Python).

A plan file, a tag or an error body may hold terminal escape sequences (``ESC [ ... m``, OSC
titles, the C1 ``CSI``), bidirectional overrides that reorder what is shown, or a lone surrogate
that cannot even be encoded. ``printable`` writes each of them as a visible ``\\x1b``,
``\\u202e``, ``\\ud800`` escape so that what is printed is what is in the file.
"""

from __future__ import annotations

import re

# C0 and C1 controls, DEL, bidi embeddings/overrides/isolates, line and paragraph separators,
# and surrogates (only ever lone ones in a str).
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
_UNSAFE_KEEP_LINES = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def _escape(m: re.Match[str]) -> str:
    code = ord(m.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: object, *, keep_newlines: bool = False) -> str:
    """``text`` with every control character written as a visible escape; safe for a terminal
    line or a GUI label. With ``keep_newlines`` a plain ``\\n`` is kept."""
    text = "" if text is None else str(text)
    return (_UNSAFE_KEEP_LINES if keep_newlines else _UNSAFE).sub(_escape, text)



def first_unsafe_character(text: str) -> str | None:
    """The first character ``printable`` would escape (newlines included), or None."""
    m = _UNSAFE.search(text)
    return m.group() if m else None
