"""Mention passages: the verbatim pieces of an answer that talk about the org.

The answer is read as markdown blocks: headings, table rows, list items (with their wrapped
continuation lines) and paragraphs. A passage is the block holding a mention: the whole table
row, the list item without its bullet or number, the heading text, or, inside a paragraph, the
sentence. Passages are copied verbatim, deduplicated and joined with " || ", the format the
share of voice is computed on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from handlers.evaluation.models import MentionSpan

PASSAGE_SEPARATOR = " || "

_LIST_MARKER = re.compile(r"[ \t]*(?:[-*+•]|\d{1,3}[.)])[ \t]+")
_HEADING_MARKER = re.compile(r"[ \t]*#{1,6}[ \t]+")
# A sentence ends at . ! or ? (optionally closed by quotes, brackets or emphasis) + whitespace.
_SENTENCE_END = re.compile(r"[.!?][\"'”’)\]*_]*\s+")
_WORD_BEFORE = re.compile(r"([\w.]+)$")
_MARKDOWN_LINK = re.compile(r"(?<!!)\[([^\]\n]+)\]\([^)\s]+\)")
# Words whose trailing period does not end a sentence.
_ABBREVIATION_WORDS = """
inc corp co ltd llc plc jr sr st mr mrs ms dr vs etc e.g i.e u.s u.k n.a no approx fig dept
"""
_ABBREVIATIONS = frozenset(_ABBREVIATION_WORDS.split())

BlockKind = Literal["heading", "row", "item", "paragraph"]


@dataclass(frozen=True)
class Block:
    """A markdown block: `text[start:end]`, whose content starts at `body`."""

    kind: BlockKind
    start: int
    body: int
    end: int


def _line_kind(line: str) -> BlockKind | None:
    stripped = line.strip()
    if not stripped:
        return None
    if stripped.startswith("|"):
        return "row"
    if _HEADING_MARKER.match(line):
        return "heading"
    if _LIST_MARKER.match(line):
        return "item"
    return "paragraph"


def markdown_blocks(text: str) -> list[Block]:
    """The blocks of `text` in order; wrapped lines join the item or paragraph above them."""
    blocks: list[Block] = []
    offset = 0
    open_block: Block | None = None
    for line in text.split("\n"):
        kind = _line_kind(line)
        line_end = offset + len(line.rstrip())
        if kind is None:
            open_block = None
        elif kind == "paragraph" and open_block is not None:
            open_block = Block(open_block.kind, open_block.start, open_block.body, line_end)
            blocks[-1] = open_block
        else:
            marker = _LIST_MARKER if kind == "item" else _HEADING_MARKER
            found = marker.match(line) if kind in ("item", "heading") else None
            lead = found.end() if found else len(line) - len(line.lstrip())
            block = Block(kind, offset, offset + lead, line_end)
            blocks.append(block)
            open_block = block if kind in ("item", "paragraph") else None
        offset += len(line) + 1
    return blocks


def _sentence_bounds(text: str, block: Block, span: MentionSpan) -> tuple[int, int]:
    start, end = block.body, block.end
    for match in _SENTENCE_END.finditer(text, block.body, block.end):
        word = _WORD_BEFORE.search(text, block.body, match.start())
        before = word.group(1).rstrip(".").lower() if word else ""
        if match.group(0)[0] == "." and (before in _ABBREVIATIONS or len(before) == 1):
            continue
        following = text[match.end() : match.end() + 1]
        if following and following.islower():
            continue
        if match.end() <= span.start:
            start = match.end()
        elif match.start() >= span.end:
            end = len(text[: match.end()].rstrip())
            break
    return start, end


def _link_bounds(text: str, start: int, end: int, span: MentionSpan) -> tuple[int, int] | None:
    """The link whose text holds `span`, when the sentence is a list of several links."""
    links = list(_MARKDOWN_LINK.finditer(text, start, end))
    if len(links) < 2:
        return None
    for link in links:
        if link.start(1) <= span.start and span.end <= link.end(1):
            return link.span()
    return None


def _passage_bounds(text: str, blocks: list[Block], span: MentionSpan) -> tuple[int, int]:
    for block in blocks:
        if block.start <= span.start < block.end:
            if block.kind == "paragraph":
                start, end = _sentence_bounds(text, block, span)
                # In "Sources: [A](..), [B](..)" only the org's own link is about the org.
                return _link_bounds(text, start, end, span) or (start, end)
            # A heading's or item's marker is not part of the passage, a table row's pipes are.
            return block.body, block.end
    return span.start, span.end


def mention_passages(text: str, spans: list[MentionSpan]) -> list[str]:
    """The distinct passages holding `spans`, in order of position, verbatim."""
    blocks = markdown_blocks(text)
    bounds: list[tuple[int, int]] = []
    for span in sorted(spans, key=lambda s: s.start):
        start, end = _passage_bounds(text, blocks, span)
        if bounds and start < bounds[-1][1]:
            # Two mentions in one passage (or overlapping ones): keep the passage once.
            bounds[-1] = (bounds[-1][0], max(bounds[-1][1], end))
            continue
        bounds.append((start, end))
    return [text[start:end] for start, end in bounds if text[start:end].strip()]


def join_passages(passages: list[str]) -> str:
    return PASSAGE_SEPARATOR.join(passages)
