"""Speed only: work moto (5.2.5) does again and again that gives the same result each time, done once
per process. Nothing here changes what moto answers.

* JSONPath: jsonpath_ng builds a new LALR parser (its whole parse table, ~20 ms of CPU) for every
  ``parse(path)``; the Step Functions interpreter parses each path of a state machine that way,
  several threads at once on a first run. One parser of each kind is built once and reused, under a
  lock (a PLY parser is not reentrant), and each path is parsed once (``parse_json_path``).
* ASL: moto parses the whole state machine definition with ANTLR again at every StartExecution
  (~0.4 s of CPU for the reference backend's). The parse tree of a definition is kept (ANTLR trees
  are not changed by visiting them); each execution still builds its own evaluation components
  from it, as moto does, since those keep per-execution state.
* Routing: moto's server lists its own package folder (``list_of_moto_modules``: a listdir and a
  stat per service) on every request to find the service; the list never changes in a process.

``apply()`` is idempotent and thread-safe.
"""

from __future__ import annotations

import functools
import threading
from typing import Any

_lock = threading.Lock()
_applied = False
_parse_lock = threading.RLock()
_parsers: dict[bool, Any] = {}


def apply() -> None:
    global _applied
    with _lock:
        if _applied:
            return
        _patch_asl_parse_trees()
        _patch_moto_module_list()
        _applied = True


# -- JSONPath -------------------------------------------------------------------------------------
@functools.lru_cache(maxsize=4096)
def _parse_json_path(path: str, extended: bool) -> Any:
    parser = _parsers.get(extended)
    if parser is None:
        if extended:
            from jsonpath_ng.ext.parser import ExtendedJsonPathParser as parser_class
        else:
            from jsonpath_ng.parser import JsonPathParser as parser_class
        parser = _parsers[extended] = parser_class()
    return parser.parse(path)


def parse_json_path(path: str, *, extended: bool = True) -> Any:
    """``jsonpath_ng.ext.parse(path)`` (``extended=False``: ``jsonpath_ng.parse``), each path parsed
    once per process by one reused parser (parsed expressions are immutable; ``find()`` is pure)."""
    with _parse_lock:  # one thread fills the cache for a path; PLY's parser is not reentrant
        return _parse_json_path(path, extended)


# -- ASL ------------------------------------------------------------------------------------------
_TREES_KEPT = 32  # definitions whose parse tree is kept (a sandbox deploys a handful)


def _patch_asl_parse_trees() -> None:
    from moto.stepfunctions.parser.asl.parse import asl_parser
    from moto.stepfunctions.parser.asl.parse.preprocessor import Preprocessor

    parser_class = asl_parser.AmazonStateLanguageParser
    original = parser_class.parse
    if getattr(original, "_drs_console_speed", False):
        return
    tree_lock = threading.Lock()

    @functools.lru_cache(maxsize=_TREES_KEPT)
    def tree_of(definition: str) -> Any:
        return original(definition)[1]  # raises ASLParserException (never cached) on a syntax error

    def parse(definition: str) -> tuple[Any, Any]:
        with tree_lock:  # parse a new definition once, even when several executions start at once
            tree = tree_of(definition)
        return Preprocessor().visit(tree), tree

    parse._drs_console_speed = True  # type: ignore[attr-defined]
    parser_class.parse = staticmethod(parse)


# -- routing --------------------------------------------------------------------------------------
def _patch_moto_module_list() -> None:
    from moto import backends

    original = backends.list_of_moto_modules
    if getattr(original, "_drs_console_speed", False):
        return
    modules = frozenset(original())

    def list_of_moto_modules() -> frozenset[str]:
        return modules

    list_of_moto_modules._drs_console_speed = True  # type: ignore[attr-defined]
    backends.list_of_moto_modules = list_of_moto_modules
