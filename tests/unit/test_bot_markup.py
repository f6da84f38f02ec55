"""Escaping, phone-width tables and splitting long HTML below Telegram's limit."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.telegram import markup
from tests.fakes.telegram_server import parse_html, utf16_length

TAG = re.compile(r"</?(pre|b|i|code)>")

cells = st.text(max_size=30)
rows = st.lists(st.lists(cells, min_size=3, max_size=3), min_size=1, max_size=40)
blocks = st.one_of(
    st.text(max_size=300).map(markup.esc),
    rows.map(markup.table),
    st.text(max_size=80).map(lambda t: f"<b>{markup.esc(t)}</b>"),
    st.text(max_size=80).map(lambda t: f"<i>{markup.esc(t)}</i> and <code>{markup.esc(t)}</code>"),
)
documents = st.lists(blocks, min_size=1, max_size=30).map("\n\n".join)


def visible(html: str) -> str:
    return "".join(parse_html(html)[0].split())


@settings(max_examples=150, deadline=None)
@given(document=documents, limit=st.integers(min_value=120, max_value=4000))
def test_every_chunk_is_valid_telegram_html_within_the_limit(document: str, limit: int) -> None:
    for chunk in markup.split(document, limit):
        text, _ = parse_html(chunk)  # raises on unbalanced or broken tags and entities
        assert utf16_length(chunk) <= limit
        assert text.strip()


@settings(max_examples=150, deadline=None)
@given(document=documents, limit=st.integers(min_value=120, max_value=4000))
def test_splitting_loses_no_visible_text(document: str, limit: int) -> None:
    chunks = markup.split(document, limit)
    assert "".join(visible(c) for c in chunks) == visible(document)


def test_a_short_reply_stays_in_one_piece() -> None:
    assert markup.split("<b>hi</b>\nthere") == ["<b>hi</b>\nthere"]


def test_a_long_table_is_closed_and_reopened_at_the_cut() -> None:
    table = markup.table([["BTC", "40.0%", "+1.0"]] * 400)
    chunks = markup.split(table, 1000)
    assert len(chunks) > 1
    assert all(c.startswith("<pre>") and c.endswith("</pre>") for c in chunks)


def test_cuts_fall_on_line_boundaries_when_lines_are_short() -> None:
    lines = [f"line {i}" for i in range(1000)]
    for chunk in markup.split("\n".join(lines), 500):
        assert all(line in lines for line in chunk.split("\n"))


def test_emoji_count_as_two_utf16_units() -> None:
    assert markup.utf16_len("✅😀") == 3


def test_tables_escape_their_cells() -> None:
    assert markup.table([["<b>", "&"]]) == "<pre>&lt;b&gt; &amp;</pre>"
