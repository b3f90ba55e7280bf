"""What the rank slider shows while it is dragged: every reachable rank's headline numbers and drawing, made on the
server by the functions that draw and write the page, so the browser only looks them up (static/rank_preview.js).

A page's preview holds, for each rank the slider can reach (numbers.ranks.rank_options, at most 68), the texts of its
headline numbers that change with the rank (each number and its formula) and the sketch of each chart that follows the
thumb (render.sketch: the figure the server draws for that rank, as a canvas draws it), and names the charts that
cannot follow it: they are dimmed while it moves and redrawn on release. A preview reads only the settings its texts
and figures declare (preview_settings) and the list of ranks (an off-grid rank joins it), never the current rank, so a
move of the slider, or of any setting it does not show, reads the preview from the cache.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from typing import Callable

from .matrix.figures import drawing_figure
from .matrix.text import seed_numbers
from .keys import depends_on
from .model.budget import model_counts
from .model.text import trainable_formula
from .model.view import MODEL
from .numbers.ranks import rank_options
from .render.markdown import Headline
from .render.plotly import FigureSpec
from .render.sketch import Tables, sketch
from .settings import Settings, model_spec

METRIC, CELL = "metric", "cell"  # where a number is shown: a headline metric, or a row of the page's first table
PREVIEWED = ("", "matrices", "whole_model")  # the pages with a preview ('' is Home)


@dataclass(frozen=True)
class Slot:
    """One text that changes with the rank: where it is shown (the index-th headline metric, or the index-th row of
    the page's first table; its number or its formula), and its text at every reachable rank."""

    kind: str  # METRIC or CELL
    index: int
    part: str  # "value" or "formula"
    texts: tuple[str, ...]


@dataclass(frozen=True)
class RankPreview:
    """A page's numbers and sketches at every rank the slider can reach, and the charts dimmed while the thumb moves."""

    ranks: tuple[int, ...]
    slots: tuple[Slot, ...]
    dimmed: tuple[str, ...]  # chart names (their elements are keyed chart-<name>)
    sketches: dict[str, list] = field(default_factory=dict)  # chart name → its sketch at each rank (render.sketch)
    tables: list = field(default_factory=list)  # the arrays the sketches share (render.sketch.Tables)

    def as_json(self) -> str:
        """What the browser is sent (compact)."""
        return json.dumps({"ranks": self.ranks, "slots": [vars(slot) for slot in self.slots], "dimmed": self.dimmed,
                           "sketches": self.sketches, "tables": self.tables}, separators=(",", ":"), ensure_ascii=False)


def preview_ranks(s: Settings) -> tuple[int, ...]:
    """The ranks the sidebar's slider reaches: its options (numbers.ranks.rank_options)."""
    return tuple(rank_options(min(s.d, s.k), s.r))


def preview_settings(page: str, s: Settings) -> Settings:
    """What a page's preview reads, the rank aside (its cache key: moving any other setting reads it from the cache);
    every other setting at its default, so that the preview cannot read one it did not declare."""
    keys = {"": seed_numbers.depends.keys, "matrices": seed_numbers.depends.keys + drawing_figure.depends.keys,
            "whole_model": (*_whole_model_headline.depends.keys, "method")}.get(page, ())
    return Settings(**{key: getattr(s, key) for key in keys if key != "r"})


def rank_preview(page: str, s: Settings, ranks: tuple[int, ...]) -> RankPreview | None:
    """The preview for a page ('' is Home) at each of the ranks, or None for a page without one. The settings' own
    rank is not read: a cached preview serves every rank of the same settings."""
    if page == "":
        return _preview(ranks, _headline_slots(seed_numbers, s, ranks, METRIC), ())
    if page == "matrices":
        return _preview(ranks, _headline_slots(seed_numbers, s, ranks, CELL), ("delta", "scaling"), s, {"drawing": drawing_figure})
    if page == "whole_model" and s.method != "full":
        return _preview(ranks, _headline_slots(_whole_model_headline, s, ranks, METRIC), ("block", "memory"))
    return None


def _headline_slots(items_at: Callable[[Settings], list[Headline]], s: Settings, ranks: tuple[int, ...], kind: str) -> list[Slot]:
    """Each headline's number and formula at every rank."""
    at = [items_at(replace(s, r=r)) for r in ranks]
    return [slot for i in range(len(at[0])) for slot in (Slot(kind, i, "value", tuple(f"{items[i].value:,}" for items in at)),
                                                          Slot(kind, i, "formula", tuple(items[i].formula for items in at)))]


@depends_on(*MODEL)
def _whole_model_headline(s: Settings) -> list[Headline]:
    """The whole-model page's first headline: what the adapter trains (pages/whole_model.py)."""
    spec = model_spec(s)
    counts = model_counts(spec, s.r, s.targets, s.variant)
    return [Headline("trains", counts.trainable, trainable_formula(spec, counts, s.r, s.variant))]


def _preview(ranks: tuple[int, ...], slots: list[Slot], dimmed: tuple[str, ...], s: Settings | None = None,
             sketched: dict[str, Callable[[Settings], FigureSpec]] | None = None) -> RankPreview:
    """The preview of these slots and of each sketched chart (its name and figure builder) at every rank."""
    tables = Tables()
    sketches = {name: [sketch(build(replace(s, r=r)), tables) for r in ranks] for name, build in (sketched or {}).items()}
    # A slot whose text is the same at every rank needs no preview.
    return RankPreview(tuple(ranks), tuple(slot for slot in slots if len(set(slot.texts)) > 1), dimmed, sketches, tables.items)
