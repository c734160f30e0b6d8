"""`senso --help`: the root help page, drawn without Typer's help renderer.

Typer's renderer (`typer.rich_utils`) imports Rich's Markdown (markdown-it, pygments) and
traceback modules (attrs) before it draws anything: about 0.1 s of the 0.2 s a `senso --help`
may take. The root page needs none of that: its texts are plain sentences whose only markup is
`code`. This module draws the same page (usage, description, an Options and a Commands panel,
the same styles) from Rich's console, table and panel alone. A command's own help page still
goes through Typer.
"""

from __future__ import annotations

import inspect
import re
from typing import TYPE_CHECKING

from rich.console import Console
from rich.highlighter import RegexHighlighter
from rich.padding import Padding
from rich.panel import Panel
from rich.table import Table
from rich.text import Text
from rich.theme import Theme

if TYPE_CHECKING:
    from typer._click.core import Command, Context
    from typer.core import TyperGroup as Group

# Typer's styles (typer.rich_utils), so the root page looks like every command's page.
THEME = Theme(
    {
        "option": "bold cyan",
        "switch": "bold green",
        "types": "bold yellow",
        "types_sep": "dim",
        "usage": "yellow",
    }
)
CODE_STYLE = "bold cyan on black"  # Rich's `markdown.code`: what Typer shows for `code`
_CODE = re.compile(r"`([^`]+)`")


class _OptionHighlighter(RegexHighlighter):
    highlights = [  # noqa: RUF012 - Rich's documented way to declare a highlighter
        r"(^|\W)(?P<switch>\-\w+)(?![a-zA-Z0-9])",
        r"(^|\W)(?P<option>\-\-[\w\-]+)(?![a-zA-Z0-9])",
        r"(?P<types>\<[^\>]+\>)",
        r"(?P<usage>Usage: )",
    ]


_highlight = _OptionHighlighter()


def _console() -> Console:
    # The width comes from COLUMNS / the terminal, as for Typer's own pages.
    return Console(theme=THEME, highlighter=_highlight)


def prose(text: str, style: str = "") -> Text:
    """A help paragraph: single line breaks joined, `code` spans styled as Typer shows them."""
    out = Text(style=style, overflow="fold")  # a long path folds, never cut with "…"
    words = " ".join(text.split())
    position = 0
    for match in _CODE.finditer(words):
        out.append(words[position : match.start()])
        out.append(match.group(1), style=CODE_STYLE)
        position = match.end()
    out.append(words[position:])
    return out


def _grid() -> Table:
    return Table(
        highlight=True, show_header=False, expand=True, box=None, pad_edge=False, padding=(0, 1)
    )


def _options(group: Group, ctx: Context) -> Table | None:
    table = _grid()
    rows = 0
    for param in group.get_params(ctx):
        if getattr(param, "hidden", False) or param.param_type_name != "option":
            continue
        # Typer's own label (`<path>`, `<str>`; none for a flag, see senso_cli.typer_compat).
        display = getattr(param, "display_type_rich", None)
        label = display(ctx) if display is not None else None
        table.add_row(
            *(_names(param.opts)),
            *(_names(param.secondary_opts)),
            Text(label or "", style="types"),
            prose(getattr(param, "help", None) or ""),
        )
        rows += 1
    return table if rows else None


def _names(opts: list[str]) -> tuple[Text, Text]:
    """Long and short names, each its own column as on Typer's pages."""
    return (
        _highlight(Text(",".join(o for o in opts if o.startswith("--")))),
        _highlight(Text(",".join(o for o in opts if not o.startswith("--")))),
    )


def _commands(commands: list[Command]) -> Table:
    table = Table(
        highlight=False, show_header=False, expand=True, box=None, pad_edge=False, padding=(0, 1)
    )
    width = max((len(c.name or "") for c in commands), default=0)
    table.add_column(style="bold cyan", no_wrap=True, width=width)
    table.add_column("Description", justify="left", no_wrap=False, ratio=10)
    for command in commands:
        table.add_row(Text(command.name or ""), prose(command.short_help or command.help or ""))
    return table


def render(group: Group, ctx: Context, commands: list[Command]) -> None:
    """Print the root help page for `group` listing `commands` (names and summaries only)."""
    console = _console()
    console.print(Padding(_highlight(Text(group.get_usage(ctx))), 1), style="bold")
    first, *rest = inspect.cleandoc(group.help or "").split("\n\n")
    paragraphs = [prose(first)]
    for paragraph in rest:  # the later paragraphs dim, a blank line before each, as Typer does
        paragraphs += [Text(""), prose(paragraph, style="dim")]
    description = Text("\n").join(paragraphs)
    console.print(Padding(description, (0, 1, 1, 1)))
    options = _options(group, ctx)
    if options is not None:
        console.print(Panel(options, border_style="dim", title="Options", title_align="left"))
    console.print(
        Panel(_commands(commands), border_style="dim", title="Commands", title_align="left")
    )
