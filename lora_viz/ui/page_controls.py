"""Each page's own controls; every key is its URL parameter, and a link can hide any of them."""

from __future__ import annotations


import streamlit as st

from ..model.text import METHOD_LABELS, OPTIMIZER_LABELS
from ..model.presets import ALL_LINEAR, CUSTOM, DEFAULT_TARGETS, PRESETS, target_names
from ..settings import CUSTOM_KEYS, Settings, model_spec, parse_settings, schema
from ..cache import LruCache, Slots
from ..training.train import at_rank, train_everything, Training, TrainingResult
from ..training.task import training_spec, TrainingSpec
from .control import control, shown

SPECTRUM_LABELS = {"rank": "exactly rank s", "power": "power-law decay", "noise": "full-rank noise"}


def step_control(s: Settings, phases: list[str]) -> None:
    """The merge animation's opening step."""
    control(s, st, "select_slider", "step", options=list(range(len(phases))), format_func=phases.__getitem__)


def trained_switch(s: Settings, text: str) -> None:
    """A notice, with a button that turns the shared 'trained' setting on unless the link hides that control."""
    st.info(text)
    if shown(s, "trained"):
        st.button("Use a trained adapter", on_click=lambda: st.session_state.update(trained=True))


def _reset_targets() -> None:
    """A new model gets PEFT's default targets for it (the old model's names may not exist there).

    The model's value is read like a link's (an unknown one becomes the default), as a widget's value can be anything.
    """
    chosen, _ = parse_settings({"model": str(st.session_state.get("model", ""))})
    st.session_state["targets"] = list(DEFAULT_TARGETS[model_spec(chosen).family])


def whole_model_controls(s: Settings) -> None:
    """The whole-model page's own controls."""
    spec = model_spec(s)
    top = st.columns([2, 3, 2])
    control(s, top[0], "selectbox", "model", on_change=_reset_targets,
            format_func=lambda key: "Custom (Llama- or GPT-2-style)" if key == CUSTOM else PRESETS[key].label)
    control(s, top[1], "multiselect", "targets", options=[ALL_LINEAR, *target_names(spec)])
    control(s, top[2], "radio", "method", format_func=METHOD_LABELS.get, horizontal=True)
    row = st.columns(5)
    control(s, row[0], "selectbox", "optimizer", format_func=OPTIMIZER_LABELS.get)
    control(s, row[1], "number_input", "batch", step=1)
    control(s, row[2], "number_input", "seq", step=256)
    control(s, row[3], "number_input", "adapters", step=1)
    control(s, row[4], "number_input", "gpus", step=1)
    switches = st.columns([1.3, 1.6, 1.05, 1.45])  # "QLoRA as PEFT prepares it" whole on a laptop
    control(s, switches[0], "toggle", "ckpt")
    control(s, switches[1], "toggle", "prepared")
    control(s, switches[2], "radio", "attention", horizontal=True)
    control(s, switches[3], "radio", "save_dtype", horizontal=True)
    if s.model == CUSTOM:
        with st.expander("Custom model sizes", expanded=True):
            for column, key in zip(st.columns(len(CUSTOM_KEYS)), CUSTOM_KEYS):
                if schema(key).kind == "choice":
                    control(s, column, "selectbox", key)
                else:
                    control(s, column, "number_input", key, step=1)


def training_controls(s: Settings) -> None:
    """The low-rank page's controls for the task and the training."""
    left, middle, right = st.columns(3)
    control(s, left, "radio", "spectrum", format_func=SPECTRUM_LABELS.get)
    if s.spectrum == "rank":
        control(s, left, "slider", "spectrum_rank")
    elif s.spectrum == "power":
        control(s, left, "slider", "decay", step=0.05)
    control(s, middle, "slider", "noise", step=0.05)
    control(s, middle, "radio", "trainer", horizontal=True, format_func={"adam": "Adam", "gd": "gradient descent"}.get)
    control(s, right, "number_input", "steps", step=50)
    control(s, right, "number_input", "lr", step=0.005, format="%g")


# Trainings are cached here rather than with st.cache_data: st.cache_data would record the progress bar's
# updates and replay them into another session's page, where that bar does not exist. One training covers
# every rank, so the rank slider never retrains; 16 trainings (a few MB) are kept, shared by all sessions.
# A class opening one link starts one training (the others wait for it), and at most two different trainings
# run at once: on two cores, four side by side each took ten times as long as one alone.
_TRAINED: LruCache[TrainingSpec, Training] = LruCache(size=16)
TRAINING_SLOTS = Slots(2)


def clear_training_cache() -> None:
    _TRAINED.clear()


def train(s: Settings) -> TrainingResult:
    """Train (or fetch the cached training) with a progress bar that stays to say what was trained."""
    spec = training_spec(s)
    doing = "Training full fine-tuning and LoRA at every rank…"
    # Drawn empty only when there is training to do: a bar emptied and refilled on every rank move would
    # cost the browser two updates and an animation each time.
    bar = None if spec in _TRAINED else st.progress(0.0, text=doing)
    notice = None

    def show(share: float) -> None:
        nonlocal bar
        bar = (bar or st).progress(min(share, 1.0), text=doing)

    def say(text: str) -> None:
        nonlocal notice
        notice = notice or st.empty()
        notice.info(text, icon="⏳")

    def waiting(seconds: float) -> None:
        say(f"Training in another session (the same settings): showing it when it is done… {seconds:.0f} s")

    def queued(seconds: float) -> None:
        say(f"Queued: {TRAINING_SLOTS.count} other trainings are running; this one starts when one finishes… {seconds:.0f} s")

    def clear_notice() -> None:
        if notice is not None:
            notice.empty()

    def start() -> Training:
        clear_notice()  # a queued training has its slot now
        return train_everything(spec, show)

    training = _TRAINED.get(spec, lambda: TRAINING_SLOTS.run(start, queued), waiting)
    clear_notice()
    result = at_rank(training, s.r)
    done = f"Trained: full fine-tuning and LoRA at ranks 1–{len(result.sweep)}, {spec.steps} steps each; showing r = {result.r}."
    (bar or st).progress(1.0, text=done)
    return result
