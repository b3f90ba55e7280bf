"""The whole-model page: presets (data), budget (counts and memory), view, text, figures, alt."""
