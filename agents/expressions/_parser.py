"""A Pratt parser over the tokens of :mod:`._lexer`: text to a :mod:`._nodes` tree.

Binding powers, loosest first: ``or`` < ``and`` < ``not`` < comparisons (which do not
chain) < ``+ -`` < ``* /`` < unary minus < literals, names, calls and parentheses.
"""

from __future__ import annotations

from typing import cast

from ._errors import ExpressionError
from ._lexer import KEYWORDS, Token, tokenize
from ._nodes import COMPARISONS, Binary, BinaryOp, Boolean, Call, Field, Node, Number, String, Unary

NOT_POWER = 3
COMPARISON_POWER = 4
NEGATE_POWER = 7
#: Left binding power of each infix operator.
INFIX_POWER: dict[str, int] = {
    "or": 1,
    "and": 2,
    **dict.fromkeys(COMPARISONS, COMPARISON_POWER),
    "+": 5,
    "-": 5,
    "*": 6,
    "/": 6,
}
# Spellings folded to one operator, so each concept has one node.
_ALIASES = {"==": "=", "<>": "!="}
#: Deepest nesting accepted: far beyond any real calculation, well within Python's stack.
MAX_DEPTH = 100


def _describe(token: Token) -> str:
    if token.kind == "end":
        return "the end of the expression"
    if token.kind == "string":
        return f"the string {token.text!r}"
    return repr(token.text)


class _Parser:
    def __init__(self, source: str) -> None:
        self.source = source
        self.tokens = tokenize(source)
        self.at = 0
        self.depth = 0

    def peek(self) -> Token:
        return self.tokens[self.at]

    def advance(self) -> Token:
        token = self.tokens[self.at]
        self.at += 1
        return token

    def error(self, message: str, token: Token) -> ExpressionError:
        return ExpressionError(message, self.source, token.position)

    def infix_op(self, token: Token) -> str | None:
        if token.kind == "op":
            op = _ALIASES.get(token.text, token.text)
            return op if op in INFIX_POWER else None
        if token.kind == "name" and token.text.lower() in ("and", "or"):
            return token.text.lower()
        return None

    def expression(self, min_power: int = 0) -> Node:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.error(f"expression nested deeper than {MAX_DEPTH} levels", self.peek())
        left = self.prefix()
        while True:
            token = self.peek()
            op = self.infix_op(token)
            if op is None or INFIX_POWER[op] <= min_power:
                break
            self.advance()
            power = INFIX_POWER[op]
            right = self.expression(power)
            if op in COMPARISONS:
                following = self.infix_op(self.peek())
                if following in COMPARISONS:
                    raise self.error(
                        "comparisons do not chain: write 'a < b and b < c'", self.peek()
                    )
            left = Binary(cast("BinaryOp", op), left, right, token.position)
        self.depth -= 1
        return left

    def prefix(self) -> Node:
        token = self.advance()
        if token.kind == "number":
            assert token.number is not None  # the lexer sets it on every number token
            return Number(token.number, token.position)
        if token.kind == "string":
            return String(token.text, token.position)
        if token.kind == "quoted_name":
            return Field(token.text, token.position)
        if token.kind == "name":
            return self.name(token)
        if token.kind == "op" and token.text == "-":
            return Unary("-", self.expression(NEGATE_POWER - 1), token.position)
        if token.kind == "op" and token.text == "(":
            inner = self.expression()
            self.expect(")", "to close the '(' at column " + str(token.position + 1))
            return inner
        raise self.error(f"expected a value, found {_describe(token)}", token)

    def name(self, token: Token) -> Node:
        word = token.text.lower()
        if word == "not":
            return Unary("not", self.expression(NOT_POWER - 1), token.position)
        if word in ("true", "false"):
            return Boolean(word == "true", token.position)
        if word in KEYWORDS:
            raise self.error(f"expected a value, found the operator {token.text!r}", token)
        if self.peek().kind == "op" and self.peek().text == "(":
            self.advance()
            return Call(word, self.arguments(), token.position)
        return Field(token.text, token.position)

    def arguments(self) -> tuple[Node, ...]:
        args: list[Node] = []
        if self.peek().kind == "op" and self.peek().text == ")":
            self.advance()
            return ()
        while True:
            args.append(self.expression())
            token = self.advance()
            if token.kind == "op" and token.text == ")":
                return tuple(args)
            if not (token.kind == "op" and token.text == ","):
                raise self.error(
                    f"expected ',' or ')' in the arguments, found {_describe(token)}", token
                )

    def expect(self, text: str, why: str) -> None:
        token = self.advance()
        if not (token.kind == "op" and token.text == text):
            raise self.error(f"expected {text!r} {why}, found {_describe(token)}", token)


def parse(source: str) -> Node:
    """Parse an expression.

    Args:
        source: the expression text, e.g. ``"revenue / impressions * 1000"``.

    Returns:
        The syntax tree.

    Raises:
        ExpressionError: the text is not an expression; the error has the position and a
            caret line under the fault.
    """
    if not isinstance(source, str):
        raise ExpressionError(f"an expression must be text, not {type(source).__name__}", "", 0)
    parser = _Parser(source)
    if parser.peek().kind == "end":
        raise parser.error("empty expression", parser.peek())
    node = parser.expression()
    token = parser.peek()
    if token.kind != "end":
        raise parser.error(f"expected an operator or the end, found {_describe(token)}", token)
    return node
