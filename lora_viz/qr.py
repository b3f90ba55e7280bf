"""The student link as a QR code (segno), so that a class can open the teacher's view on their phones."""

from __future__ import annotations

import base64
import io
from functools import lru_cache

import segno


@lru_cache(maxsize=64)
def qr_data_uri(text: str, scale: int = 3) -> str:
    """A QR code of text as an SVG data URI: black on white with its quiet zone (a dark theme must not invert it,
    or phones cannot read it), error correction M (a projector's glare takes a corner)."""
    svg = io.BytesIO()
    segno.make(text, error="m").save(svg, kind="svg", scale=scale, border=4, dark="#000", light="#fff", xmldecl=False)
    return "data:image/svg+xml;base64," + base64.b64encode(svg.getvalue()).decode("ascii")
