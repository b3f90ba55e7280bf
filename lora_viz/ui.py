"""Streamlit glue shared by every page: settings ⇄ URL, sidebar controls, navigation, layout helpers.

The only module in lora_viz that imports streamlit.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from . import figures, merge, merge_figures, model_figures
from .memory import DTYPE_LABELS
from .ranks import rank_options
from .model_summary import METHOD_LABELS, OPTIMIZER_LABELS
from .models import ALL_LINEAR, CUSTOM, DEFAULT_TARGETS, PRESETS, target_names
from .training import TrainingResult, TrainingSpec, train_everything, training_spec
from .settings import (
    CUSTOM_KEYS, DTYPES, FLOAT_RANGES, INT_RANGES, SPECTRA, TRAINERS, MAX_ALPHA, MAX_DIM, MAX_SEED, METHODS, MODELS, NOTATIONS, OPTIMIZERS, URL_KEYS,
    Settings, model_spec, parse_settings, to_query,
)
from .site import PAGES
from .summary import Figure, MemoryRow, bytes_text  # noqa: F401 (Figure is used by pages as ui.Figure)

_LAST_URL = "_lora_viz_last_url"  # the query we last wrote; a different URL means a new link was opened
_STREAMLIT_KEYS = ("embed", "embed_options")


def _url_query() -> dict[str, list[str]]:
    """The current URL's query, every value kept (repeated keys give lists)."""
    return {key: st.query_params.get_all(key) for key in st.query_params.keys() if key not in _STREAMLIT_KEYS}


def _as_query_value(value: object) -> str:
    """A control's value as the URL writes it: lists comma-joined, switches as 1/0."""
    if isinstance(value, (list, tuple)):
        return ",".join(value)
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


def _widget_query() -> dict[str, str]:
    """The controls' current values as query strings (a page's own controls exist only on that page)."""
    return {key: _as_query_value(st.session_state[key]) for key in URL_KEYS if key in st.session_state}


def _store_in_widgets(s: Settings) -> None:
    """Give every control its value before it is drawn (so links and clamping win over stale state)."""
    for key, value in vars(s).items():
        st.session_state[key] = list(value) if isinstance(value, tuple) else value


def _controls(s: Settings) -> None:
    """The shared sidebar controls; each one's key is its URL parameter."""
    sidebar = st.sidebar
    sidebar.header("Settings")
    sidebar.number_input("d — rows of W (output size)", min_value=1, max_value=MAX_DIM, step=1, key="d")
    sidebar.number_input("k — columns of W (input size)", min_value=1, max_value=MAX_DIM, step=1, key="k")
    sidebar.select_slider(
        "r — rank of the adapter",
        options=rank_options(min(s.d, s.k), s.r),
        key="r",
        help="Steps are spaced roughly logarithmically; any rank up to min(d, k) can be given in the link.",
    )
    sidebar.number_input("α — scaling numerator (ΔW is scaled by α/r)", min_value=1e-3, max_value=MAX_ALPHA, step=1.0, format="%g", key="alpha")
    sidebar.selectbox("dtype of W", options=DTYPES, format_func=DTYPE_LABELS.get, key="dtype")
    sidebar.radio(
        "Notation",
        options=NOTATIONS,
        format_func={"card": "W + A×B (A is d×r)", "paper": "W₀ + B·A (paper, PEFT)"}.get,
        key="notation",
        help="The same model either way: only the names swap. Tools differ on this.",
    )
    sidebar.toggle("Trained adapter (both factors non-zero)", key="trained")
    sidebar.number_input("Seed", min_value=0, max_value=MAX_SEED, step=1, key="seed")


def _navigation(s: Settings) -> None:
    """Links to every page that carry the current settings."""
    st.sidebar.header("Pages")
    for page in PAGES:
        st.sidebar.page_link(page.script, label=page.label, query_params=to_query(s))


def page_settings(title: str) -> Settings:
    """Set up a page: read the settings from a new link or from the controls, draw controls and notices, sync the URL."""
    st.set_page_config(page_title=f"{title} · lora-viz", page_icon="🧮", layout="wide")
    url = _url_query()
    new_link = st.session_state.get(_LAST_URL) != url
    # A new link wins; otherwise the controls do, and the URL fills in for any control not on this page.
    settings, notices = parse_settings(url if new_link else {**url, **_widget_query()})
    _store_in_widgets(settings)
    _controls(settings)
    _navigation(settings)
    query = to_query(settings)
    if url != {key: [value] for key, value in query.items()}:
        st.query_params.from_dict(query)
    st.session_state[_LAST_URL] = {key: [value] for key, value in query.items()}
    if notices:
        heading = "Some settings in this link were adjusted:" if new_link else "Adjusted:"
        st.warning(heading + "\n\n" + "\n".join(f"- {notice}" for notice in notices), icon="⚠️")
    return settings


def step_control(s: Settings, phases: list[str]) -> None:
    """The merge animation's opening step; its key is the URL parameter `step`."""
    st.select_slider("Open the animation at step", options=list(range(len(phases))), format_func=phases.__getitem__, key="step")


def trained_switch(text: str) -> None:
    """A notice with a button that turns the shared 'trained' setting on."""
    st.info(text)
    st.button("Use a trained adapter", on_click=lambda: st.session_state.update(trained=True))


def _reset_targets() -> None:
    """A new model gets PEFT's default targets for it (the old model's names may not exist there)."""
    model = st.session_state["model"]
    family = "llama" if model == CUSTOM else PRESETS[model].family
    st.session_state["targets"] = list(DEFAULT_TARGETS[family])


def whole_model_controls(s: Settings) -> None:
    """The whole-model page's own controls; each key is its URL parameter."""
    spec = model_spec(s)
    top = st.columns([2, 3, 2])
    top[0].selectbox("Model", options=MODELS, format_func=lambda key: "Custom (Llama-style)" if key == CUSTOM else PRESETS[key].label,
                     key="model", on_change=_reset_targets)
    top[1].multiselect("LoRA target modules", options=[ALL_LINEAR, *target_names(spec)], key="targets",
                       help="Module names as PEFT matches them; all-linear is every linear layer except the output head.")
    top[2].radio("Method", options=METHODS, format_func=METHOD_LABELS.get, key="method", horizontal=True)
    row = st.columns(5)
    row[0].selectbox("Optimizer", options=OPTIMIZERS, format_func=OPTIMIZER_LABELS.get, key="optimizer")
    row[1].number_input("Batch size", *INT_RANGES["batch"], step=1, key="batch")
    row[2].number_input("Sequence length", *INT_RANGES["seq"], step=256, key="seq")
    row[3].number_input("Adapters served", *INT_RANGES["adapters"], step=1, key="adapters")
    row[4].toggle("Checkpointing", key="ckpt", help="Gradient checkpointing: keep each layer's input only, recompute the rest.")
    if s.model == CUSTOM:
        with st.expander("Custom model sizes", expanded=True):
            sizes = st.columns(6)
            for column, key, label in zip(sizes, CUSTOM_KEYS, ("hidden", "intermediate", "layers", "heads", "KV heads", "vocab")):
                column.number_input(label, *INT_RANGES[key], step=1, key=key)


def training_controls(s: Settings) -> None:
    """The low-rank page's controls for the task and the training; each key is its URL parameter."""
    left, middle, right = st.columns(3)
    left.radio("Needed change ΔW*", options=SPECTRA, key="spectrum", format_func=SPECTRUM_LABELS.get)
    if s.spectrum == "rank":
        left.slider("its rank s", *INT_RANGES["spectrum_rank"], key="spectrum_rank")
    elif s.spectrum == "power":
        left.slider("decay p (σᵢ ∝ i⁻ᵖ)", *FLOAT_RANGES["decay"], step=0.05, key="decay")
    middle.slider("label noise", *FLOAT_RANGES["noise"], step=0.05, key="noise")
    middle.radio("Optimizer", options=TRAINERS, key="trainer", format_func={"adam": "Adam", "gd": "gradient descent"}.get, horizontal=True)
    right.number_input("steps", *INT_RANGES["steps"], step=50, key="steps")
    right.number_input("learning rate", *FLOAT_RANGES["lr"], step=0.005, format="%g", key="lr")


@st.cache_data(max_entries=32, show_spinner=False)
def _train(spec: TrainingSpec, _progress: Any = None) -> TrainingResult:
    return train_everything(spec, _progress)  # _progress is left out of the cache key (leading underscore)


def train(s: Settings) -> TrainingResult:
    """Train (or fetch the cached result) with a progress bar that stays to say what was trained."""
    spec = training_spec(s)
    bar = st.progress(0.0, text="Training LoRA, full fine-tuning and every rank…")
    result = _train(spec, lambda share: bar.progress(min(share, 1.0), text="Training LoRA, full fine-tuning and every rank…"))
    bar.progress(1.0, text=f"Trained: LoRA at r = {result.r}, full fine-tuning, and ranks 1–{len(result.sweep)}, {spec.steps} steps each.")
    return result


def page_link(script: str, s: Settings) -> None:
    """A link to one page of the app that keeps the current settings."""
    page = next(p for p in PAGES if p.script == script)
    st.page_link(page.script, label=f"**{page.label}** — {page.blurb}", query_params=to_query(s))


def metrics(items: list[Figure], columns: int = 4) -> None:
    """Headline numbers in a row (wrapping on narrow screens), each with its formula as help text and caption."""
    for start in range(0, len(items), columns):
        for column, item in zip(st.columns(columns), items[start : start + columns]):
            with column:
                st.metric(item.label, f"{item.value:,}")
                st.caption(item.formula)


def memory_table(rows: list[MemoryRow]) -> None:
    """The memory table: exact bytes and binary units, full fine-tuning beside LoRA."""
    st.table(
        {
            "": [row.part for row in rows],
            "Full fine-tuning": [bytes_text(row.full) for row in rows],
            "LoRA": [bytes_text(row.lora) for row in rows],
        }
    )


# The core's heavier results, by name. Each is cached under the settings it really depends on
# (the merge example's are reduced to the example's size), so unrelated moves are cache hits.
_CACHED = {
    "scale_figure": figures.scale_figure,
    "magnifier_figure": figures.magnifier_figure,
    "delta_figure": figures.delta_figure,
    "merge_animation": merge_figures.merge_animation,
    "spectra_figure": merge_figures.spectra_figure,
    "two_adapters_figure": merge_figures.two_adapters_figure,
    "compare_outputs": merge.compare_outputs,
    "block_figure": model_figures.block_figure,
    "memory_figure": model_figures.memory_figure,
}
SPECTRUM_LABELS = {"rank": "exactly rank s", "power": "power-law decay", "noise": "full-rank noise"}
_KEYS = {
    "merge_animation": merge.example_settings,
    "spectra_figure": merge.example_settings,
    "two_adapters_figure": merge.example_settings,
    "compare_outputs": merge.sample_settings,
}


@st.cache_data(max_entries=64, show_spinner=False)
def _cached(name: str, s: Settings) -> Any:
    return _CACHED[name](s)


def cached(name: str, s: Settings) -> Any:
    """A core result by name, cached by a small key (at most 64 entries per name, so memory stays bounded)."""
    return _cached(name, _KEYS.get(name, lambda x: x)(s))


def figure(name: str, s: Settings, alt: str) -> None:
    """Draw one of the core's figures (cached) with a text alternative."""
    st.plotly_chart(cached(name, s), config={"displayModeBar": False, "scrollZoom": False}, alt=alt)
