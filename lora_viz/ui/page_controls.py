"""Each page's own controls; every key is its URL parameter, and a link can hide any of them."""

from __future__ import annotations


import streamlit as st
from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx

from ..builds import BuildFailed, Builds
from ..model.text import METHOD_LABELS, OPTIMIZER_LABELS
from ..model.presets import ALL_LINEAR, CUSTOM, DEFAULT_TARGETS, PRESETS, target_names
from ..numbers.memory import ZERO_STAGES, card_by_key
from ..settings import CUSTOM_KEYS, Settings, model_spec, parse_settings, schema
from ..training.train import CPU_BUDGET_S, at_rank, train_everything, Training, TrainingResult
from ..training.task import training_spec
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


def _keep_targets() -> None:
    """A new model keeps the chosen targets that it has too (all-linear stays all-linear); if it has none of them,
    it gets PEFT's default targets for it.

    The model's value is read like a link's (an unknown one becomes the default), as a widget's value can be anything.
    """
    chosen, _ = parse_settings({"model": str(st.session_state.get("model", ""))})
    spec = model_spec(chosen)
    names = set(target_names(spec)) | {ALL_LINEAR}
    kept = [name for name in st.session_state.get("targets", []) if name in names]
    st.session_state["targets"] = kept or list(DEFAULT_TARGETS[spec.family])


def whole_model_controls(s: Settings) -> None:
    """The whole-model page's own controls: under full fine-tuning, none of LoRA's (targets, serving adapters, the
    adapter file, QLoRA's preparation); under QLoRA as PEFT prepares it, checkpointing shown on, as it is."""
    spec = model_spec(s)
    adapter = s.method != "full"
    top = st.columns([2, 3, 2])
    control(s, top[0], "selectbox", "model", on_change=_keep_targets,
            format_func=lambda key: "Custom sizes" if key == CUSTOM else PRESETS[key].label)
    if adapter:
        control(s, top[1], "multiselect", "targets", options=[ALL_LINEAR, *target_names(spec)])
    control(s, top[2], "radio", "method", format_func=METHOD_LABELS.get, horizontal=True)
    row = st.columns(4)
    control(s, row[0], "selectbox", "optimizer", format_func=OPTIMIZER_LABELS.get)
    control(s, row[1], "number_input", "batch", step=1)
    control(s, row[2], "number_input", "seq", step=256)
    if adapter:
        control(s, row[3], "number_input", "adapters", step=1)
    switches = st.columns([1.3, 1.6, 1.05, 1.45])  # "QLoRA as PEFT prepares it" whole on a laptop
    if s.method == "qlora" and s.prepared:
        # prepare_model_for_kbit_training turns checkpointing on: the switch says so, and cannot be turned off here.
        switches[0].toggle(schema("ckpt").label, value=True, disabled=True, key="_ckpt_prepared",
                           help="On: PEFT's prepare_model_for_kbit_training, which QLoRA recipes call, turns it on. "
                                "Turn “QLoRA as PEFT prepares it” off to choose.")
    else:
        control(s, switches[0], "toggle", "ckpt")
    if s.method == "qlora":
        control(s, switches[1], "toggle", "prepared")
    control(s, switches[2], "radio", "attention", horizontal=True)
    if adapter:
        control(s, switches[3], "radio", "save_dtype", horizontal=True)
    if s.model == CUSTOM:
        # Each layout's own sizes: KV heads are Llama's (grouped-query attention), learned positions GPT-2's.
        unused = "positions" if s.arch == "llama" else "kv_heads"
        keys = [key for key in CUSTOM_KEYS if key != unused]
        with st.expander("Custom model sizes", expanded=True):
            for column, key in zip(st.columns(len(keys)), keys):
                if schema(key).kind == "choice":
                    control(s, column, "selectbox", key)
                else:
                    control(s, column, "number_input", key, step=1)


def zero_controls(s: Settings) -> None:
    """The multi-GPU verdict's controls: the card, the ZeRO stage and how many GPUs."""
    card, stage, gpus = st.columns([2, 2, 1])
    control(s, card, "selectbox", "card", format_func=lambda key: card_by_key(key).name)
    control(s, stage, "radio", "zero", horizontal=True, options=list(ZERO_STAGES))
    control(s, gpus, "number_input", "gpus", step=1)


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


# Trainings run on threads of their own (lora_viz/builds.py) and are kept here rather than with st.cache_data:
# st.cache_data would record the progress bar's updates and replay them into another session's page. One training
# covers every rank, so the rank slider never retrains; 16 trainings (a few MB) are kept, shared by all sessions.
# A class opening one link starts one training (the others wait for it, and get it even if its starter leaves),
# and at most two run at once: on two cores, four side by side each took ten times as long as one alone.
TRAININGS: Builds[Training] = Builds(workers=2, keep=16, budget_s=CPU_BUDGET_S)
POLL_SECONDS = 0.5  # how often a waiting page redraws its bar (and can be stopped by its own session)
DOING = "Training full fine-tuning and LoRA at every rank…"


def clear_training_cache() -> None:
    TRAININGS.clear()


def _session() -> str:
    ctx = get_script_run_ctx()
    return ctx.session_id if ctx else "no session"


def train(s: Settings) -> TrainingResult:
    """Train (or fetch the cached training) with a progress bar while it trains, then a line that says what was trained.

    The training runs on the builds' own threads: this page only waits for it and draws its progress, so a session
    that reruns or leaves stops waiting, never the training. If the training fails, the page says so and stops.
    """
    spec = training_spec(s)
    with TRAININGS.ask(spec, _session(), lambda job: train_everything(spec, job.report)) as ticket:
        # Drawn only when there is training to wait for: a bar emptied and refilled on every rank move would
        # cost the browser two updates and an animation each time.
        bar = None if ticket.wait(0) else st.progress(0.0, text=DOING)
        notice = st.empty() if bar else None
        waited = 0.0
        while not ticket.wait(POLL_SECONDS):
            waited += POLL_SECONDS
            bar.progress(min(ticket.progress, 1.0), text=DOING)
            if text := _waiting_text(ticket.place, ticket.started_elsewhere, waited):
                notice.info(text, icon="⏳")
            else:
                notice.empty()
        if notice:
            notice.empty()
        try:
            training = ticket.result()
        except BuildFailed:
            st.warning("This training stopped before it finished (the server's log says why). Move any control, "
                       "or reload the page, to train it again.", icon="⚠️")
            st.stop()
    result = at_rank(training, s.r)
    if bar is not None:
        bar.empty()  # a full bar left on the page read as something still going on
    st.caption(f"Trained: full fine-tuning and LoRA at ranks 1–{len(result.sweep)}, {spec.steps} steps each; showing r = {result.r}.")
    return result


def _waiting_text(place: int | None, elsewhere: bool, seconds: float) -> str:
    """What a waiting page says: queued behind other trainings, or trained for another session too ('' for its own)."""
    if place is not None:
        before = f", and {place} more queued before this one" if place else ""
        return (f"Queued: {TRAININGS.workers} other trainings are running{before}; this one starts when a turn "
                f"comes… {seconds:.0f} s")
    if elsewhere:
        return f"Training in another session (the same settings): showing it when it is done… {seconds:.0f} s"
    return ""
