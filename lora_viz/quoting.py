"""User text quoted for a notice, which pages show as plain text: the bottom of the app, so every reader can quote."""

from __future__ import annotations


def quote_input(raw: str, limit: int = 40) -> str:
    """User text for a notice, which pages show as plain text: printable characters only, truncated, in quotes."""
    text = "".join(ch if ch.isprintable() else "?" for ch in str(raw)[: limit + 1])
    if len(text) > limit:
        text = text[:limit] + "…"
    return f"“{text}”"
