"""Mention passages: the verbatim pieces of an answer that talk about the org.

The answer is read as markdown blocks: headings, table rows, list items (with their wrapped
lines and nested sub-items) and paragraphs (a map-pack entry, a name line followed by its
rating and address lines, is one paragraph). A passage is the block holding a mention, as a
careful reader copies it (domain §4: "the full sentence/paragraph/section"):

- a table row, whole, pipes included; the whole table when the org heads one of its columns
  (a comparison table is about every org it compares);
- a list item without its bullet or number, with its sub-items;
- a paragraph, whole; but when the name is the text of one of several links in it
  ("Sources: [A](..), [B](..)"), only that link;
- a section when its heading names the org: the heading and everything up to the next
  heading of the same or a higher level. A line that is only bold text (`**Chime**`) heads
  the list or table right under it. The answer's title (a first heading before any text) is
  never expanded, or a title naming the org would make the whole answer its passage.

Passages are copied verbatim, merged when they overlap and joined with " || ", the format the
share of voice is computed on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from handlers.evaluation.models import MentionSpan

PASSAGE_SEPARATOR = " || "

_LIST_MARKER = re.compile(r"([ \t]*)(?:[-*+•]|\d{1,3}[.)])[ \t]+")
_HEADING_MARKER = re.compile(r"[ \t]*(#{1,6})[ \t]+")
_BOLD_LINE = re.compile(r"[ \t]*(\*\*|__)(?!\s).+?(?<!\s)\1[ \t]*:?[ \t]*")
_MARKDOWN_LINK = re.compile(r"(?<!!)\[([^\]\n]+)\]\([^)\s]+\)")
# Bold-only lines rank below every markdown heading level.
_BOLD_LEVEL = 7

BlockKind = Literal["heading", "row", "item", "paragraph"]


@dataclass(frozen=True)
class Block:
    """A markdown block: `text[start:end]`, whose content starts at `body`.

    `level` is the heading level (1-6, 7 for a bold-only line) or 0 for other blocks;
    `indent` is a list item's indentation.
    """

    kind: BlockKind
    start: int
    body: int
    end: int
    level: int = 0
    indent: int = 0


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


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" \t"))


def markdown_blocks(text: str) -> list[Block]:
    """The blocks of `text` in order.

    A wrapped line joins the item or paragraph above it, and a line indented deeper than an
    open list item (a sub-item or its text) joins that item.
    """
    blocks: list[Block] = []
    offset = 0
    open_block: Block | None = None
    for line in text.split("\n"):
        kind = _line_kind(line)
        line_end = offset + len(line.rstrip())
        joins = open_block is not None and (
            (kind == "paragraph" and not _BOLD_LINE.fullmatch(line))
            or (open_block.kind == "item" and kind == "item" and _indent(line) > open_block.indent)
        )
        if kind is None:
            open_block = None
        elif joins and open_block is not None:
            open_block = Block(
                open_block.kind,
                open_block.start,
                open_block.body,
                line_end,
                open_block.level,
                open_block.indent,
            )
            blocks[-1] = open_block
        else:
            block = _new_block(kind, line, offset, line_end)
            blocks.append(block)
            open_block = block if kind in ("item", "paragraph") else None
        offset += len(line) + 1
    return blocks


def _new_block(kind: BlockKind, line: str, offset: int, line_end: int) -> Block:
    if kind == "item":
        found = _LIST_MARKER.match(line)
        assert found is not None
        return Block(kind, offset, offset + found.end(), line_end, indent=len(found.group(1)))
    if kind == "heading":
        found = _HEADING_MARKER.match(line)
        assert found is not None
        return Block(kind, offset, offset + found.end(), line_end, level=len(found.group(1)))
    lead = len(line) - len(line.lstrip())
    level = _BOLD_LEVEL if kind == "paragraph" and _BOLD_LINE.fullmatch(line) else 0
    return Block(kind, offset, offset + lead, line_end, level=level)


def _section_end(blocks: list[Block], index: int) -> int:
    level = blocks[index].level
    end = blocks[index].end
    for block in blocks[index + 1 :]:
        if block.level and block.level <= level:
            break
        # A bold line heads only the list or table right under it: the next plain paragraph
        # ("Things to know about all three") is no longer about it.
        if level == _BOLD_LEVEL and block.kind == "paragraph":
            break
        end = block.end
    return end


def _link_bounds(text: str, start: int, end: int, span: MentionSpan) -> tuple[int, int] | None:
    """The link whose text holds `span`, when the paragraph cites several links: the org's
    own link is what is about it, not its neighbours' (long URLs would swamp the SOV)."""
    links = list(_MARKDOWN_LINK.finditer(text, start, end))
    if len(links) < 2:
        return None
    for link in links:
        if link.start(1) <= span.start and span.end <= link.end(1):
            return link.span()
    return None


def _is_header_column(text: str, blocks: list[Block], index: int, span: MentionSpan) -> bool:
    """Whether `span` heads a column of a table (the org is compared across its rows)."""
    if index > 0 and blocks[index - 1].kind == "row":
        return False
    first_cell_end = text.find("|", text.find("|", blocks[index].start) + 1)
    return first_cell_end != -1 and span.start > first_cell_end


def _table_end(blocks: list[Block], index: int) -> int:
    end = blocks[index].end
    for block in blocks[index + 1 :]:
        if block.kind != "row":
            break
        end = block.end
    return end


def _is_title(text: str, blocks: list[Block], index: int) -> bool:
    return index == 0 and blocks[0].kind == "heading" and not text[: blocks[0].start].strip()


def _passage_bounds(text: str, blocks: list[Block], span: MentionSpan) -> tuple[int, int]:
    for index, block in enumerate(blocks):
        if not block.start <= span.start < block.end:
            continue
        if block.level and not _is_title(text, blocks, index):
            return block.body, _section_end(blocks, index)
        if block.kind == "paragraph":
            return _link_bounds(text, block.body, block.end, span) or (block.body, block.end)
        if block.kind == "row" and _is_header_column(text, blocks, index, span):
            return block.body, _table_end(blocks, index)
        # A heading's or item's marker is not part of the passage, a table row's pipes are.
        return block.body, block.end
    return span.start, span.end


def mention_passages(text: str, spans: list[MentionSpan]) -> list[str]:
    """The distinct passages holding `spans`, in order of position, verbatim."""
    blocks = markdown_blocks(text)
    bounds: list[tuple[int, int]] = []
    for start, end in sorted(_passage_bounds(text, blocks, span) for span in spans):
        if bounds and start < bounds[-1][1]:
            # Two mentions in one passage (or a passage inside a section): keep it once.
            bounds[-1] = (bounds[-1][0], max(bounds[-1][1], end))
            continue
        bounds.append((start, end))
    return [text[start:end] for start, end in bounds if text[start:end].strip()]


def join_passages(passages: list[str]) -> str:
    return PASSAGE_SEPARATOR.join(passages)
