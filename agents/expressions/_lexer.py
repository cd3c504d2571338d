"""Tokenizer: expression text to a list of tokens, each with its offset."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from ._errors import ExpressionError

TokenKind = Literal["number", "string", "name", "quoted_name", "op", "end"]

#: Words that are operators or constants; a field with such a name is written `quoted`.
KEYWORDS = frozenset({"and", "or", "not", "true", "false"})
# Longest first, so "<=" is one token and not "<" then "=".
_OPERATORS = ("==", "!=", "<=", ">=", "<>", "+", "-", "*", "/", "=", "<", ">", "(", ")", ",")


@dataclass(frozen=True, slots=True)
class Token:
    """One token: its kind, its text (unquoted for strings and names) and its offset."""

    kind: TokenKind
    text: str
    position: int
    number: int | Decimal | None = None


def _quoted(source: str, start: int, quote: str) -> tuple[str, int]:
    """Read a quoted run starting at ``start`` (the opening quote); a doubled quote is one."""
    chars: list[str] = []
    at = start + 1
    while at < len(source):
        ch = source[at]
        if ch == quote:
            if source.startswith(quote * 2, at):
                chars.append(quote)
                at += 2
                continue
            return "".join(chars), at + 1
        chars.append(ch)
        at += 1
    what = "field name" if quote == "`" else "string"
    raise ExpressionError(f"unterminated {what}: missing the closing {quote}", source, start)


def _number(source: str, start: int) -> tuple[Token, int]:
    at = start
    while at < len(source) and source[at].isascii() and source[at].isdigit():
        at += 1
    if at < len(source) and source[at] == ".":
        frac = at + 1
        while frac < len(source) and source[frac].isascii() and source[frac].isdigit():
            frac += 1
        if frac == at + 1:
            raise ExpressionError("a decimal point must be followed by digits", source, at)
        at = frac
    text = source[start:at]
    # Decimal keeps the written scale ("0.10" has two places); integers stay int.
    value: int | Decimal = Decimal(text) if "." in text else int(text)
    return Token("number", text, start, value), at


def _is_name_start(ch: str) -> bool:
    return ch == "_" or ch.isalpha()


def _is_name_part(ch: str) -> bool:
    return ch == "_" or ch.isalnum()


def tokenize(source: str) -> list[Token]:
    """Split an expression into tokens, ending with an ``end`` token.

    Raises:
        ExpressionError: an unterminated string or quoted name, or a character that
            starts no token, with its position.
    """
    tokens: list[Token] = []
    at = 0
    while at < len(source):
        ch = source[at]
        if ch.isspace():
            at += 1
        elif ch.isascii() and ch.isdigit():
            token, at = _number(source, at)
            tokens.append(token)
        elif ch in "'\"":
            text, end = _quoted(source, at, ch)
            tokens.append(Token("string", text, at))
            at = end
        elif ch == "`":
            text, end = _quoted(source, at, ch)
            if not text:
                raise ExpressionError("empty field name ``", source, at)
            tokens.append(Token("quoted_name", text, at))
            at = end
        elif _is_name_start(ch):
            end = at + 1
            while end < len(source) and _is_name_part(source[end]):
                end += 1
            tokens.append(Token("name", source[at:end], at))
            at = end
        else:
            op = next((op for op in _OPERATORS if source.startswith(op, at)), None)
            if op is None:
                raise ExpressionError(f"unexpected character {ch!r}", source, at)
            tokens.append(Token("op", op, at))
            at += len(op)
    tokens.append(Token("end", "", len(source)))
    return tokens
