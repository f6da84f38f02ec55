"""Telegram HTML building blocks: escaping, phone-width tables, splitting long replies.

Pure functions. Telegram counts a message's length in UTF-16 code units after parsing
the markup; `split` measures the raw HTML, which is never shorter, so its chunks are safe.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from typing import Final

MESSAGE_LIMIT: Final = 3900  # below Telegram's 4,096, leaving room for a status line
TABLE_WIDTH: Final = 34  # characters of <pre> that fit a phone screen without wrapping
_TOKEN: Final = re.compile(r"<[^<>]*>|&#?\w{1,32};|[^<&]+|[<&]")
_TAG: Final = re.compile(r"<(/?)([a-zA-Z][\w-]*)[^<>]*>")


def esc(value: object) -> str:
    """Any value as text safe inside Telegram HTML."""
    return html.escape(str(value))


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def table(rows: Sequence[Sequence[str]], right: frozenset[int] = frozenset()) -> str:
    """A monospace table: cells padded to the widest, one space apart; escaped, in <pre>."""
    if not rows:
        return ""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = []
    for row in rows:
        cells = [
            cell.rjust(width) if i in right else cell.ljust(width)
            for i, (cell, width) in enumerate(zip(row, widths, strict=True))
        ]
        lines.append(" ".join(cells).rstrip())
    return "<pre>" + esc("\n".join(lines)) + "</pre>"


def bullets(items: Sequence[str]) -> str:
    """Already-escaped items as a bulleted list."""
    return "\n".join(f"• {item}" for item in items)


class _Splitter:
    """Accumulates lines into chunks, closing open tags at a cut and reopening them after."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.chunks: list[str] = []
        self.stack: list[tuple[str, str]] = []  # (tag name, opening tag) still open
        self.parts: list[str] = []
        self.size = 0
        self.has_text = False

    def _closers(self) -> str:
        return "".join(f"</{name}>" for name, _ in reversed(self.stack))

    def _room(self) -> int:
        return self.limit - self.size - utf16_len(self._closers()) - 16

    def flush(self) -> None:
        if self.has_text:
            self.chunks.append("".join(self.parts) + self._closers())
        openers = "".join(opening for _, opening in self.stack)
        self.parts, self.size, self.has_text = [openers], utf16_len(openers), False

    def _append(self, token: str) -> None:
        self.parts.append(token)
        self.size += utf16_len(token)
        match = _TAG.fullmatch(token)
        if match is None:
            self.has_text = self.has_text or bool(token.strip())
        elif match.group(1):
            if self.stack and self.stack[-1][0] == match.group(2).lower():
                self.stack.pop()
        else:
            self.stack.append((match.group(2).lower(), token))

    def add_line(self, line: str, first: bool) -> None:
        piece = line if first else "\n" + line
        if utf16_len(piece) > self._room() and self.has_text:
            self.flush()
            piece = line
        if utf16_len(piece) <= self._room():
            for token in _TOKEN.findall(piece):
                self._append(token)
            return
        for token in _TOKEN.findall(piece):
            self._add_token(token)

    def _add_token(self, token: str) -> None:
        """Hard split inside an over-long line: tags and entities whole, text anywhere."""
        while utf16_len(token) > self._room():
            if token.startswith(("<", "&")) or self._room() <= 0:
                self.flush()
                if utf16_len(token) > self._room():
                    break  # cannot happen with sane limits; never loop forever
                continue
            cut = _prefix_fitting(token, self._room())
            self._append(token[:cut])
            token = token[cut:]
            self.flush()
        if token:
            self._append(token)

    def finish(self) -> list[str]:
        self.flush()
        return self.chunks


def _prefix_fitting(text: str, room: int) -> int:
    """How many characters of `text` fit in `room` UTF-16 units (at least one)."""
    used = 0
    for i, char in enumerate(text):
        used += utf16_len(char)
        if used > room:
            return max(i, 1)
    return len(text)


def split(text: str, limit: int = MESSAGE_LIMIT) -> list[str]:
    """Cut HTML into messages of at most `limit` UTF-16 units, on line boundaries when
    possible, never inside a tag or entity; tags open at a cut are closed and reopened."""
    splitter = _Splitter(limit)
    for i, line in enumerate(text.split("\n")):
        splitter.add_line(line, first=i == 0)
    return splitter.finish()
