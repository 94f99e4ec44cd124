"""Tag selectors: choose a wave's servers by their DRS tags instead of one by one.

Grammar (keywords are case-insensitive, tag keys and values are case-sensitive)::

    expr       := or_expr
    or_expr    := and_expr ("OR" and_expr)*
    and_expr   := not_expr ("AND" not_expr)*
    not_expr   := "NOT" not_expr | primary
    primary    := "(" expr ")" | comparison
    comparison := word ("=" | "!=") word
    word       := bare | "double quoted" | 'single quoted'     (backslash escapes inside quotes)

A bare word is any run of characters other than whitespace, parentheses, ``=``, ``!`` and
quotes, so keys such as ``aws:cloudformation:stack-name`` need no quoting. ``Key!=v`` is the
same as ``NOT Key=v``: it matches servers without the tag, too.

Examples: ``Application=payments AND Tier=web``,
``Application=payments AND NOT (Tier=db OR Tier="batch jobs")``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from .errors import BadInput
from .inventory import SourceServer

MAX_SELECTOR_LENGTH = 4096
MAX_NESTING = 32

_KEYWORDS = {"AND", "OR", "NOT"}
_SPECIAL = set("()=!\"'")


class SelectorSyntaxError(BadInput):
    """A selector that does not parse. ``column`` is 1-based."""

    def __init__(self, reason: str, column: int, text: str = ""):
        self.reason = reason
        self.column = column
        self.text = text
        super().__init__(f"selector, column {column}: {reason}", "Fix the selector expression.")


# --- syntax tree ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TagEquals:
    key: str
    value: str
    negated: bool = False

    def matches(self, tags: Mapping[str, str]) -> bool:
        equal = tags.get(self.key) == self.value
        return not equal if self.negated else equal

    def to_text(self) -> str:
        return f"{_quote(self.key)}{'!=' if self.negated else '='}{_quote(self.value)}"


@dataclass(frozen=True, slots=True)
class Not:
    operand: Expr

    def matches(self, tags: Mapping[str, str]) -> bool:
        return not self.operand.matches(tags)

    def to_text(self) -> str:
        inner = self.operand.to_text()
        return f"NOT {inner}" if isinstance(self.operand, TagEquals | Not) else f"NOT ({inner})"


@dataclass(frozen=True, slots=True)
class And:
    operands: tuple[Expr, ...]

    def matches(self, tags: Mapping[str, str]) -> bool:
        return all(o.matches(tags) for o in self.operands)

    def to_text(self) -> str:
        return " AND ".join(f"({o.to_text()})" if isinstance(o, Or) else o.to_text() for o in self.operands)


@dataclass(frozen=True, slots=True)
class Or:
    operands: tuple[Expr, ...]

    def matches(self, tags: Mapping[str, str]) -> bool:
        return any(o.matches(tags) for o in self.operands)

    def to_text(self) -> str:
        return " OR ".join(o.to_text() for o in self.operands)


Expr = TagEquals | Not | And | Or


def _quote(word: str) -> str:
    if (
        word
        and not any(c.isspace() or c in _SPECIAL or c == "\\" for c in word)
        and word.upper() not in _KEYWORDS
    ):
        return word
    return '"' + word.replace("\\", "\\\\").replace('"', '\\"') + '"'


# --- tokenizer -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Tok:
    kind: str  # WORD, AND, OR, NOT, LPAREN, RPAREN, EQ, NE, END
    value: str
    column: int  # 1-based
    quoted: bool = False


def _describe(tok: _Tok) -> str:
    if tok.kind == "END":
        return "the end of the expression"
    if tok.kind == "WORD":
        return f'"{tok.value}"' if not tok.quoted else f"the quoted value {_quote(tok.value)}"
    return f'"{tok.value}"'


def _tokenize(text: str) -> list[_Tok]:
    toks: list[_Tok] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        col = i + 1
        if c.isspace():
            i += 1
        elif c == "(":
            toks.append(_Tok("LPAREN", c, col))
            i += 1
        elif c == ")":
            toks.append(_Tok("RPAREN", c, col))
            i += 1
        elif c == "=":
            if text.startswith("==", i):
                raise SelectorSyntaxError('use "=" rather than "=="', col, text)
            toks.append(_Tok("EQ", c, col))
            i += 1
        elif c == "!":
            if text.startswith("!=", i):
                toks.append(_Tok("NE", "!=", col))
                i += 2
            else:
                raise SelectorSyntaxError(
                    '"!" must be followed by "=" (write Key!=value or NOT ...)', col, text
                )
        elif c in "\"'":
            quote = c
            buf: list[str] = []
            j = i + 1
            while True:
                if j >= n:
                    raise SelectorSyntaxError(f"unterminated quoted value (opened with {quote})", col, text)
                d = text[j]
                if d == "\\" and j + 1 < n:
                    buf.append(text[j + 1])
                    j += 2
                elif d == quote:
                    j += 1
                    break
                else:
                    buf.append(d)
                    j += 1
            toks.append(_Tok("WORD", "".join(buf), col, quoted=True))
            i = j
        else:
            j = i
            while j < n and not text[j].isspace() and text[j] not in _SPECIAL:
                j += 1
            word = text[i:j]
            upper = word.upper()
            if upper in _KEYWORDS:
                toks.append(_Tok(upper, word, col))
            else:
                toks.append(_Tok("WORD", word, col))
            i = j
    toks.append(_Tok("END", "", n + 1))
    return toks


# --- parser --------------------------------------------------------------------------------


class _Parser:
    def __init__(self, text: str):
        self.text = text
        self.toks = _tokenize(text)
        self.pos = 0
        self.depth = 0

    def peek(self) -> _Tok:
        return self.toks[self.pos]

    def take(self) -> _Tok:
        tok = self.toks[self.pos]
        if tok.kind != "END":
            self.pos += 1
        return tok

    def error(self, reason: str, tok: _Tok | None = None) -> SelectorSyntaxError:
        tok = tok or self.peek()
        return SelectorSyntaxError(reason, tok.column, self.text)

    def parse(self) -> Expr:
        if self.peek().kind == "END":
            raise self.error("the selector is empty; write for example Application=payments")
        expr = self.parse_or()
        tok = self.peek()
        if tok.kind == "RPAREN":
            raise self.error('unmatched ")"', tok)
        if tok.kind != "END":
            raise self.error(f"expected AND, OR or the end, found {_describe(tok)}", tok)
        return expr

    def enter(self, tok: _Tok) -> None:
        self.depth += 1
        if self.depth > MAX_NESTING:
            raise self.error(f"nested more than {MAX_NESTING} levels deep", tok)

    def parse_or(self) -> Expr:
        items = [self.parse_and()]
        while self.peek().kind == "OR":
            self.take()
            items.append(self.parse_and())
        return items[0] if len(items) == 1 else Or(tuple(items))

    def parse_and(self) -> Expr:
        items = [self.parse_not()]
        while self.peek().kind == "AND":
            self.take()
            items.append(self.parse_not())
        return items[0] if len(items) == 1 else And(tuple(items))

    def parse_not(self) -> Expr:
        tok = self.peek()
        if tok.kind == "NOT":
            self.take()
            self.enter(tok)
            inner = self.parse_not()
            self.depth -= 1
            return Not(inner)
        return self.parse_primary()

    def parse_primary(self) -> Expr:
        tok = self.take()
        if tok.kind == "LPAREN":
            self.enter(tok)
            if self.peek().kind == "RPAREN":
                raise self.error('empty parentheses "()"')
            expr = self.parse_or()
            close = self.peek()
            if close.kind != "RPAREN":
                raise self.error(
                    f'expected ")" to close the "(" at column {tok.column}, found {_describe(close)}'
                )
            self.take()
            self.depth -= 1
            return expr
        if tok.kind == "WORD":
            op = self.take()
            if op.kind not in ("EQ", "NE"):
                raise self.error(
                    f'expected "=" or "!=" after the tag key {_quote(tok.value)}, found {_describe(op)}', op
                )
            value = self.take()
            if value.kind != "WORD":
                raise self.error(
                    f'expected a value after "{op.value}", found {_describe(value)} (quote values with spaces or keywords)',
                    value,
                )
            if not tok.value:
                raise self.error("the tag key is empty", tok)
            return TagEquals(tok.value, value.value, negated=op.kind == "NE")
        if tok.kind == "END":
            raise self.error("the expression ends too early; expected a condition such as Key=value", tok)
        if tok.kind in ("AND", "OR"):
            raise self.error(f"expected a condition such as Key=value before {tok.kind}", tok)
        raise self.error(f"expected a condition such as Key=value, found {_describe(tok)}", tok)


def parse_selector(text: str) -> Expr:
    """Parse a selector expression; raise ``SelectorSyntaxError`` with the column on error."""
    if not isinstance(text, str):
        raise SelectorSyntaxError("the selector must be text", 1)
    if len(text) > MAX_SELECTOR_LENGTH:
        raise SelectorSyntaxError(
            f"the selector is longer than {MAX_SELECTOR_LENGTH} characters", MAX_SELECTOR_LENGTH + 1, ""
        )
    return _Parser(text).parse()


def selector_error(text: str) -> SelectorSyntaxError | None:
    """The syntax error of ``text``, or None when it parses (for live feedback while typing)."""
    try:
        parse_selector(text)
    except SelectorSyntaxError as exc:
        return exc
    return None


@dataclass(frozen=True, slots=True)
class SelectorPreview:
    """What a selector picks from an inventory: the matches in inventory order."""

    expression: str
    matched: tuple[SourceServer, ...]
    inventory_size: int

    @property
    def count(self) -> int:
        return len(self.matched)

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(s.source_server_id for s in self.matched)

    def summary(self) -> str:
        noun = "server" if self.count == 1 else "servers"
        return f"{self.count} of {self.inventory_size} {noun} match"


@dataclass(frozen=True, slots=True)
class TagSelector:
    """A parsed selector; build with ``TagSelector.parse(text)``."""

    expression: str
    tree: Expr

    @classmethod
    def parse(cls, text: str) -> TagSelector:
        return cls(text, parse_selector(text))

    def matches(self, server: SourceServer) -> bool:
        return self.tree.matches(server.tags)

    def resolve(self, servers: Iterable[SourceServer]) -> list[SourceServer]:
        return [s for s in servers if self.tree.matches(s.tags)]

    def preview(self, servers: Iterable[SourceServer]) -> SelectorPreview:
        servers = tuple(servers)
        return SelectorPreview(self.expression, tuple(self.resolve(servers)), len(servers))

    def canonical(self) -> str:
        """A normalised rendering (keywords upper case, minimal quoting)."""
        return self.tree.to_text()
