"""An equal-scale figure as the few things a canvas draws: what the rank slider's preview draws while the thumb moves
(static/rank_preview.js), where plotly.js draws the figure itself once the rank is committed.

Only what the app's equal-scale figures use (render.plotly): heatmaps on a colour axis, rectangle shapes, line traces
with arrowheads, and text notes, on one or two subplots whose rows grow downwards. Each heatmap's cells become colour
levels 0…255 on its colour axis (level = round(255·(z − cmin)/(cmax − cmin))); the browser looks them up in a palette
of 256 colours made from the same colour scale. Anything else in a figure is refused, so a figure that grows a new
kind of mark fails its tests rather than being previewed without it.

A sketch is plain JSON-ready lists. Arrays (cell levels, edges) go into a Tables of their own, each distinct one once,
so that W, which is the same at every rank, is sent once for a whole slider's worth of sketches.
"""

from __future__ import annotations

import base64
from typing import Any

import numpy as np

from .plotly import FigureSpec

LEVELS = 256  # colour levels: a level is 1/255 of the colour range, finer than a screen shows
PAPER = -1  # a note placed on the whole plot area (xref/yref "paper") rather than on a subplot's axes
SUBPLOTS = {"x": 0, "y": 0, "x2": 1, "y2": 1, "paper": PAPER}
DIGITS = 4  # decimals kept of a place or an edge: 10⁻⁴ of a cell is far below a pixel at any size the app draws


def _at(value: float | None) -> float | None:
    """A place in data units, to DIGITS decimals (None, a break in a line, stays None)."""
    return None if value is None else round(float(value), DIGITS)


class Tables:
    """Arrays shared by several sketches, each distinct one stored once and named by its index."""

    def __init__(self) -> None:
        self.items: list[Any] = []
        self._index: dict[str, int] = {}

    def add(self, item: Any) -> int:
        """The index of `item` (a base64 string or a list of numbers), stored if it is new."""
        key = repr(item)
        if key not in self._index:
            self._index[key] = len(self.items)
            self.items.append(item)
        return self._index[key]


def unpacked(values: Any) -> np.ndarray:
    """A trace's array as NumPy, whether a list or render.plotly's packed typed array."""
    if isinstance(values, dict) and "bdata" in values:
        array = np.frombuffer(base64.b64decode(values["bdata"]), dtype=np.dtype(values["dtype"]).newbyteorder("<"))
        shape = [int(n) for n in values.get("shape", str(array.size)).split(",")]
        return array.reshape(shape)
    return np.asarray(values, dtype=np.float64)


def colour_levels(z: np.ndarray, cmin: float, cmax: float) -> np.ndarray:
    """Each cell's colour level, 0…255: round(255·(z − cmin)/(cmax − cmin)), clipped as Plotly clips its colours."""
    spread = cmax - cmin if cmax > cmin else 1.0
    return np.clip(np.rint((np.asarray(z, dtype=np.float64) - cmin) / spread * (LEVELS - 1)), 0, LEVELS - 1).astype(np.uint8)


def sketch(spec: FigureSpec, tables: Tables) -> list:
    """The figure as [height, margin, subplots, grids, rects, lines, notes] (see static/rank_preview.js, drawSketch)."""
    layout = spec["layout"]
    margin = layout["margin"]
    for trace in spec["data"]:
        if trace["type"] not in ("heatmap", "scatter") or (trace["type"] == "scatter" and "lines" not in trace.get("mode", "")):
            raise ValueError(f"a sketch draws heatmaps and lines, not a {trace['type']} trace")
    return [
        layout["height"],
        [margin["l"], margin["r"], margin["t"], margin["b"]],
        [_subplot(layout, x, y) for x, y in (("xaxis", "yaxis"), ("xaxis2", "yaxis2")) if x in layout],
        [_grid(trace, layout, tables) for trace in spec["data"] if trace["type"] == "heatmap"],
        [_rect(shape) for shape in layout.get("shapes", [])],
        [_line(trace) for trace in spec["data"] if trace["type"] == "scatter"],
        [_note(note) for note in layout.get("annotations", [])],
    ]


def _subplot(layout: dict, x: str, y: str) -> list[float]:
    """[x_from, x_to, y_top, y_bottom, domain_bottom, domain_top]: the axes' ranges, and the y domain (plot fractions)."""
    y_range = layout[y]["range"]
    if y_range[0] < y_range[1]:
        raise ValueError("a sketch draws rows growing downwards (a reversed y axis), as every equal-scale figure does")
    bottom, top = layout[y].get("domain", [0, 1])
    return [_at(v) for v in (*layout[x]["range"], y_range[1], y_range[0])] + [round(bottom, 6), round(top, 6)]


def _grid(trace: dict, layout: dict, tables: Tables) -> list:
    """[subplot, x edges, y edges, cell levels, opacity, colour scale]: a heatmap's cells between their edges. The
    edges, the levels (uint8, row-major, base64) and the colour scale are indices into the tables."""
    if set(trace) - {"type", "z", "x", "y", "coloraxis", "name", "hovertemplate", "xaxis", "yaxis", "opacity"}:
        raise ValueError(f"a sketch draws plain heatmaps only, not one with {sorted(trace)}")
    axis = layout[trace["coloraxis"]]
    z = unpacked(trace["z"])
    x, y = unpacked(trace["x"]), unpacked(trace["y"])
    if z.shape != (y.size - 1, x.size - 1):
        raise ValueError("a sketch's heatmaps give their cells' edges, one more than the cells")
    for edges in (x, y):
        steps = np.diff(edges)
        # np.allclose's test (|a − b| ≤ 1e-8 + 1e-5·|b|), in one pass: a preview checks some 200 grids at once
        if steps.size > 1 and np.abs(steps[:-1] - steps[0]).max() > 1e-8 + 1e-5 * abs(steps[0]):
            raise ValueError("a sketch's cells are all one size but the last (matrix.field.block_edges), which the browser relies on")
    levels = base64.b64encode(colour_levels(z, axis["cmin"], axis["cmax"]).tobytes()).decode("ascii")
    return [SUBPLOTS[trace.get("xaxis", "x")], tables.add(_places(x)), tables.add(_places(y)),
            tables.add(levels), trace.get("opacity", 1), tables.add(axis["colorscale"])]


def _places(values: np.ndarray) -> list[float]:
    """Places in data units to DIGITS decimals, as _at rounds each (Python's round: the shortest decimal, which
    NumPy's multiply-and-divide rounding does not always give)."""
    return [round(value, DIGITS) for value in np.asarray(values, dtype=np.float64).tolist()]


def _rect(shape: dict) -> list:
    """[subplot, x0, x1, y0, y1, colour, width]: a rectangle's outline."""
    if shape.get("type") != "rect" or shape.get("fillcolor"):
        raise ValueError("a sketch draws rectangles' outlines only")
    line = shape["line"]
    return [SUBPLOTS[shape.get("xref", "x")], *(_at(shape[end]) for end in ("x0", "x1", "y0", "y1")), line["color"], line["width"]]


def _line(trace: dict) -> list:
    """[subplot, colour, width, xs, ys, arrowhead sizes]: lines through points (None breaks them), heads where sized."""
    sizes = trace.get("marker", {}).get("size", [0] * len(trace["x"]))
    return [SUBPLOTS[trace.get("xaxis", "x")], trace["line"]["color"], trace["line"]["width"], [_at(v) for v in trace["x"]], [_at(v) for v in trace["y"]], list(sizes)]


def _note(note: dict) -> list:
    """[subplot, x, y, text, x anchor, y anchor, align, font size, backing colour]: a text note (<br> breaks lines)."""
    subplot = SUBPLOTS[note["xref"]]
    if note.get("showarrow") or SUBPLOTS[note["yref"]] != subplot:
        raise ValueError("a sketch draws notes without arrows, on one subplot or on the paper")
    return [subplot, _at(note["x"]), _at(note["y"]), note["text"], note.get("xanchor", "center"), note.get("yanchor", "middle"),
            note.get("align", "center"), note.get("font", {}).get("size", 13), note.get("bgcolor", "")]
