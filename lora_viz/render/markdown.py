"""Markdown that pages show: captions, lists, tables, and headline numbers with their formulas."""

from __future__ import annotations

from dataclasses import dataclass

from ..numbers.memory import format_bytes

NO_BREAK = "\u00a0"  # a space that never breaks a line


@dataclass(frozen=True)
class Headline:
    """One headline number with the formula that gives it."""

    label: str
    value: int
    formula: str


def caption(text: str) -> str:
    """Text set as a caption (small, grey) in Markdown, so it can share one element with the text around it."""
    return f":small[:gray[{text}]]"


def bullet_list(lines: list[str]) -> str:
    """Lines as a Markdown bulleted list."""
    return "\n".join(f"- {line}" for line in lines)


def markdown_table(columns: dict[str, list], text_columns: tuple[str, ...] = ()) -> str:
    """Columns of values as a Markdown table: the first column and any named in text_columns left-aligned, the rest
    (numbers) right-aligned."""
    def cell(value: object) -> str:
        return str(value).replace("|", "\\|") or " "

    names = list(columns)
    aligns = [":---" if i == 0 or name in text_columns else "---:" for i, name in enumerate(names)]
    lines = ["| " + " | ".join(cell(name) for name in names) + " |", "|" + "|".join(aligns) + "|"]
    for row in zip(*columns.values()):
        lines.append("| " + " | ".join(cell(value) for value in row) + " |")
    return "\n".join(lines)


def bytes_text(n: int | None) -> str:
    """'32 MiB' with its exact bytes in small grey type beneath-or-beside ('(33,554,432 B)', held together: a lone
    'B)' wrapped onto a line of its own), or a dash when not applicable."""
    if n is None:
        return "—"
    readable = format_bytes(n)
    exact = f"({n:,}{NO_BREAK}B)"
    return readable if readable.endswith(" B") else f"{readable} {caption(exact)}"
