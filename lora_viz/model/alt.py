"""Text alternatives for the whole-model page's figures, from the same numbers the figures draw."""

from __future__ import annotations

from ..names import METHODS
from ..numbers.memory import card_by_key
from ..settings import Settings, model_spec
from ..presets import linear_layers, resolve_targets
from .text import METHOD_LABELS
from .view import model_view


def block_alt(s: Settings) -> str:
    spec = model_spec(s)
    chosen = set(resolve_targets(spec, s.targets))
    parts = [
        f"{layer.label} {layer.out_features:,}×{layer.in_features:,}" + (" (LoRA)" if layer.name in chosen else "")
        for layer in linear_layers(spec)
        if layer.copies == spec.layers
    ]
    return f"One {spec.label} block's weight matrices at one scale, out × in: " + ", ".join(parts) + "."


def memory_alt(s: Settings) -> str:
    view = model_view(s)
    totals = ", ".join(f"{METHOD_LABELS[m]} {view.training[m].peak.bytes / 2**30:.1f} GiB at {view.training[m].peak.at.where} "
                       f"({'with' if view.training[m].saved.checkpointing else 'no'} checkpointing)" for m in METHODS)
    card = card_by_key(s.card)
    return (f"Stacked training memory per method at its step's peak (weights, gradients, optimizer states, activations "
            f"saved for backward, temporaries): {totals}. A dotted line marks the {card.name} less the CUDA allowance.")
