"""The one error of the expression language: what is wrong, and where (a caret line)."""

from __future__ import annotations


class ExpressionError(ValueError):
    """An expression is malformed or ill-typed; nothing of it was evaluated.

    Attributes:
        message: what is wrong.
        source: the expression text.
        position: the 0-based offset of the fault in ``source``.
    """

    def __init__(self, message: str, source: str, position: int) -> None:
        self.message = message
        self.source = source
        self.position = max(0, min(position, len(source)))
        super().__init__(str(self))

    @property
    def column(self) -> int:
        """The 1-based column of the fault, as editors count."""
        return self.position + 1

    def __str__(self) -> str:
        # Control characters would break the caret alignment; show them as spaces.
        shown = "".join(" " if not ch.isprintable() else ch for ch in self.source)
        caret = " " * self.position + "^"
        return f"{self.message} (column {self.column})\n  {shown}\n  {caret}"
