"""Telegram's ``parse_mode=HTML``, following TDLib's ``do_parse_html`` (MessageEntity.cpp).

The parser walks the UTF-8 bytes like TDLib does, so error messages carry the same wording and
byte offsets Telegram reports, and entity offsets are counted in UTF-16 code units.

One deliberate difference, on by default: a bare ``&`` that starts no entity is an error here
(``Unescaped "&" at byte offset N``). Telegram keeps it literally, but its documentation says
every ``&`` must be escaped, and text that misses that escape usually misses the one for ``<``
too. Pass ``strict_ampersand=False`` for Telegram's exact behaviour.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

SUPPORTED_TAGS = frozenset(
    {
        "a", "b", "strong", "i", "em", "s", "strike", "del", "u", "ins",
        "tg-spoiler", "tg-emoji", "tg-time", "span", "pre", "code", "blockquote",
    }
)  # fmt: skip
_SIMPLE_ENTITIES = {
    "b": "bold", "strong": "bold", "i": "italic", "em": "italic", "u": "underline",
    "ins": "underline", "s": "strikethrough", "strike": "strikethrough",
    "del": "strikethrough", "tg-spoiler": "spoiler", "span": "spoiler",
}  # fmt: skip
_NAMED_REFERENCES = {b"lt": ord("<"), b"gt": ord(">"), b"amp": ord("&"), b"quot": ord('"')}
_SPACES = frozenset(b" \t\r\n\v\0")
_ATTRIBUTE_NAME_STOPS = frozenset(b"=>/\"'")
_DIGITS = frozenset(b"0123456789")
_HEX_DIGITS = frozenset(b"0123456789abcdefABCDEF")
_NAME_TOKEN = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-")
_LETTERS = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
_SURROGATE_ERROR = (
    "Text contains invalid Unicode characters after decoding HTML entities, "
    "check for unmatched surrogate code units"
)


class EntityParseError(ValueError):
    """The text is not valid Telegram HTML; ``str(error)`` is Telegram's reason."""


def utf16_length(text: str) -> int:
    """Length of ``text`` in UTF-16 code units, the unit Telegram counts offsets and limits in."""
    return len(text.encode("utf-16-le")) // 2


def parse_html(text: str, *, strict_ampersand: bool = True) -> tuple[str, list[dict[str, Any]]]:
    """Parse Telegram HTML into ``(plain_text, entities)`` or raise :class:`EntityParseError`."""
    return _HtmlParser(text.encode("utf-8"), strict_ampersand).parse()


@dataclass
class _OpenTag:
    tag: str
    argument: str
    offset: int
    output_position: int


@dataclass
class _HtmlParser:
    data: bytes
    strict_ampersand: bool
    pos: int = 0
    utf16_offset: int = 0
    output: bytearray = field(default_factory=bytearray)
    stack: list[_OpenTag] = field(default_factory=list)
    entities: list[dict[str, Any]] = field(default_factory=list)

    def at(self, index: int) -> int:
        """The byte at ``index``; past the end reads as NUL, like the C string TDLib walks."""
        return self.data[index] if index < len(self.data) else 0

    def skip_spaces(self, index: int) -> int:
        while self.at(index) != 0 and self.at(index) in _SPACES:
            index += 1
        return index

    def parse(self) -> tuple[str, list[dict[str, Any]]]:
        while self.pos < len(self.data):
            byte = self.data[self.pos]
            if byte == ord("&") and self._decode_reference_into_output():
                continue
            if byte != ord("<"):
                if byte == ord("&") and self.strict_ampersand:
                    raise EntityParseError(f'Unescaped "&" at byte offset {self.pos}')
                self._copy_byte(byte)
            elif self.at(self.pos + 1) == ord("/"):
                self._end_tag()
            else:
                self._start_tag()
        if self.stack:
            tag = self.stack[-1].tag
            raise EntityParseError(f'Can\'t find end tag corresponding to start tag "{tag}"')
        for entity in self.entities:
            if entity["type"] == "code":
                entity.pop("language", None)
        self.entities.sort(key=lambda entity: (entity["offset"], -entity["length"]))
        return self.output.decode("utf-8"), self.entities

    def _copy_byte(self, byte: int) -> None:
        if byte & 0xC0 != 0x80:  # first byte of a UTF-8 sequence
            self.utf16_offset += 2 if byte >= 0xF0 else 1
        self.output.append(byte)
        self.pos += 1

    def _decode_reference_into_output(self) -> bool:
        decoded = decode_reference(self.data, self.pos)
        if decoded is None:
            return False
        code, self.pos = decoded
        self.utf16_offset += 2 if code > 0xFFFF else 1
        self.output += chr(code).encode("utf-8")
        return True

    def _start_tag(self) -> None:
        begin = self.pos
        index = begin + 1
        while self.at(index) not in _SPACES and self.at(index) != ord(">"):
            index += 1
        if self.at(index) == 0:
            raise EntityParseError(f"Unclosed start tag at byte offset {begin}")
        tag = self.data[begin + 1 : index].lower().decode("utf-8", "replace")
        if tag not in SUPPORTED_TAGS:
            raise EntityParseError(f'Unsupported start tag "{tag}" at byte offset {begin}')
        argument, index = self._attributes(tag, begin, index)
        if tag == "span" and argument != "spoiler":
            raise EntityParseError(
                f'Tag "span" must have class "tg-spoiler" at byte offset {begin}'
            )
        self.stack.append(_OpenTag(tag, argument, self.utf16_offset, len(self.output)))
        self.pos = index + 1

    def _attributes(self, tag: str, begin: int, index: int) -> tuple[str, int]:
        """Read the attributes of a start tag; returns its argument and the index of its '>'."""
        argument = ""
        while self.at(index) != ord(">"):
            index = self.skip_spaces(index)
            if self.at(index) == ord(">"):
                break
            name_start = index
            while self.at(index) not in _SPACES and self.at(index) not in _ATTRIBUTE_NAME_STOPS:
                index += 1
            name = self.data[name_start:index].decode("utf-8", "replace")
            if not name:
                raise EntityParseError(
                    f'Empty attribute name in the tag "{tag}" at byte offset {begin}'
                )
            index = self.skip_spaces(index)
            if self.at(index) != ord("="):
                if self.at(index) == 0:
                    raise EntityParseError(f'Unclosed start tag "{tag}" at byte offset {begin}')
                argument = "1" if (tag, name) == ("blockquote", "expandable") else argument
                continue
            index = self.skip_spaces(index + 1)
            if self.at(index) == 0:
                raise EntityParseError(f'Unclosed start tag "{tag}" at byte offset {begin}')
            value, index = self._attribute_value(index)
            if self.at(index) == 0:
                raise EntityParseError(f"Unclosed start tag at byte offset {begin}")
            argument = _tag_argument(tag, name, value, argument)
        return argument, index

    def _attribute_value(self, index: int) -> tuple[str, int]:
        quote = self.at(index)
        if quote not in (ord("'"), ord('"')):
            token_start = index
            while self.at(index) in _NAME_TOKEN:
                index += 1
            if self.at(index) not in _SPACES and self.at(index) != ord(">"):
                raise EntityParseError(f"Unexpected end of name token at byte offset {token_start}")
            return self.data[token_start:index].lower().decode("utf-8", "replace"), index
        index += 1
        value = bytearray()
        while self.at(index) not in (quote, 0):
            decoded = decode_reference(self.data, index) if self.at(index) == ord("&") else None
            if decoded is None:
                value.append(self.data[index])
                index += 1
            else:
                value += chr(decoded[0]).encode("utf-8")
                index = decoded[1]
        if self.at(index) == quote:
            index += 1
        return value.decode("utf-8", "replace"), index

    def _end_tag(self) -> None:
        begin = self.pos
        if not self.stack:
            raise EntityParseError(f"Unexpected end tag at byte offset {begin}")
        index = begin + 2
        while self.at(index) not in _SPACES and self.at(index) != ord(">"):
            index += 1
        end_tag = self.data[begin + 2 : index].lower().decode("utf-8", "replace")
        while self.at(index) != 0 and self.at(index) in _SPACES:
            index += 1
        if self.at(index) != ord(">"):
            raise EntityParseError(f"Unclosed end tag at byte offset {begin}")
        open_tag = self.stack[-1]
        if end_tag and end_tag != open_tag.tag:
            raise EntityParseError(
                f'Unmatched end tag at byte offset {begin}, expected "</{open_tag.tag}>", '
                f'found "</{end_tag}>"'
            )
        if self.utf16_offset > open_tag.offset:
            self._add_entity(open_tag, self.utf16_offset - open_tag.offset)
        self.stack.pop()
        self.pos = index + 1

    def _add_entity(self, open_tag: _OpenTag, length: int) -> None:
        tag, argument = open_tag.tag, open_tag.argument
        if tag in ("pre", "code") and self._merge_pre_and_code(tag, argument, open_tag, length):
            return
        entity: dict[str, Any] = {"offset": open_tag.offset, "length": length}
        if tag in _SIMPLE_ENTITIES:
            entity["type"] = _SIMPLE_ENTITIES[tag]
        elif tag == "blockquote":
            entity["type"] = "expandable_blockquote" if argument else "blockquote"
        elif tag == "tg-emoji":
            if not argument.isdigit() or int(argument) == 0:
                raise EntityParseError("Invalid custom emoji identifier specified")
            entity.update(type="custom_emoji", custom_emoji_id=argument)
        elif tag == "a":
            url = argument or self.output[open_tag.output_position :].decode("utf-8", "replace")
            entity.update(type="text_link", url=url)
        elif tag in ("pre", "code"):
            entity["type"] = tag
            if argument:
                entity["language"] = argument
        else:  # tg-time carries no entity here
            return
        self.entities.append(entity)

    def _merge_pre_and_code(self, tag: str, argument: str, open_tag: _OpenTag, length: int) -> bool:
        """``<pre><code class="language-x">`` on one span make one pre entity with a language."""
        last = self.entities[-1] if self.entities else None
        if last is None or (last["offset"], last["length"]) != (open_tag.offset, length):
            return False
        if tag == "pre" and last["type"] == "code" and last.get("language"):
            last["type"] = "pre"
            return True
        if tag == "code" and last["type"] == "pre" and argument:
            last["language"] = argument
            return True
        return False


def _tag_argument(tag: str, name: str, value: str, current: str) -> str:
    if (tag, name) in (("a", "href"), ("tg-emoji", "emoji-id")):
        return value
    if (tag, name) == ("code", "class") and value.startswith("language-"):
        return value.removeprefix("language-")
    if (tag, name) == ("span", "class") and value.startswith("tg-"):
        return value.removeprefix("tg-")
    if (tag, name) == ("blockquote", "expandable"):
        return "1"
    return current


def decode_reference(data: bytes, pos: int) -> tuple[int, int] | None:
    """Decode ``&lt;``/``&gt;``/``&amp;``/``&quot;``/``&#NN;``/``&#xHH;`` (';' optional) at ``pos``.

    Returns ``(code_point, position_after)``, or ``None`` when ``pos`` starts no reference.
    """

    def at(index: int) -> int:
        return data[index] if index < len(data) else 0

    end = pos + 1
    if at(end) == ord("#"):
        end += 1
        base, digits = (16, _HEX_DIGITS) if at(end) == ord("x") else (10, _DIGITS)
        end += 1 if base == 16 else 0
        digits_start = end
        while at(end) in digits:
            end += 1
        code = int(data[digits_start:end], base) if end > digits_start else 0
        if code == 0 or code >= 0x10FFFF or end - pos >= 10:
            return None
        if 0xD800 <= code <= 0xDFFF:
            raise EntityParseError(_SURROGATE_ERROR)
    else:
        while at(end) in _LETTERS:
            end += 1
        named = _NAMED_REFERENCES.get(data[pos + 1 : end])
        if named is None:
            return None
        code = named
    return code, end + 1 if at(end) == ord(";") else end
