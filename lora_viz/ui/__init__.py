"""Streamlit glue shared by every page: settings ⇄ URL, the sidebar, page controls, and display helpers.

The only place in lora_viz that imports streamlit. Pages call these names as `ui.…`.
"""

from ..render.markdown import Headline
from .guard import page
from .control import shown
from .display import cached, clear_cache, figure, metrics, open_view, page_link
from .lesson_view import lesson_step
from .page_controls import (step_control, train, train_variants, trained_switch, training_controls, variants_ready,
                            whole_model_controls, zero_controls)
from .state import page_settings

__all__ = [
    "Headline", "cached", "clear_cache", "figure", "lesson_step", "metrics", "open_view", "page", "page_link", "page_settings", "shown",
    "step_control", "train", "train_variants", "trained_switch", "training_controls", "variants_ready", "whole_model_controls",
    "zero_controls",
]
