"""Counted nouns, said right: "1 wave", "2 waves", "0 recovery instances".

Every count the console prints next to a noun goes through ``plural`` so that no message says
"1 waves" or "execution(s)".
"""

from __future__ import annotations

# Plurals that are not the singular plus "s" (add here when a message needs one).
_IRREGULAR = {
    "is": "are",
    "was": "were",
    "has": "have",
    "this": "these",
    "that": "those",
    "it": "they",
}


def plural_of(word: str) -> str:
    """The plural of ``word`` (the last word of a phrase is the one inflected)."""
    head, _, last = word.rpartition(" ")
    if last in _IRREGULAR:
        inflected = _IRREGULAR[last]
    elif last.endswith(("s", "x", "z", "ch", "sh")):
        inflected = last + "es"
    elif last.endswith("y") and len(last) > 1 and last[-2] not in "aeiou":
        inflected = last[:-1] + "ies"
    else:
        inflected = last + "s"
    return f"{head} {inflected}" if head else inflected


def noun(count: float, word: str, plural_form: str | None = None) -> str:
    """``word`` as it goes with ``count``, without the number: noun(1, "wave") -> "wave"."""
    if count == 1:
        return word
    return plural_form if plural_form is not None else plural_of(word)


def plural(count: int, word: str, plural_form: str | None = None) -> str:
    """``count`` and ``word`` agreeing: plural(1, "wave") -> "1 wave", plural(2, "wave") -> "2 waves"."""
    return f"{count} {noun(count, word, plural_form)}"


def sentence(text: str) -> str:
    """``text`` ending with a full stop (or its own ! ? : closing), for joining sentences."""
    text = text.rstrip()
    if not text or text.endswith((".", "!", "?", ".)", ".'", '."')):
        return text
    return text + "."
