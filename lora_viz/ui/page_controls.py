"""Each page's own controls; every key is its URL parameter, and a link can hide any of them."""

from __future__ import annotations

from typing import TypeVar

import streamlit as st
from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx

from ..builds import BuildFailed, Ticket
from ..presets import ALL_LINEAR, CUSTOM, default_targets, target_names
from ..numbers.memory import ZERO_STAGES
from ..config_json import MAX_CONFIG_CHARS, read_config, reading_text
from ..settings import CUSTOM_KEYS, Settings, capped, model_spec, parse_settings, schema, to_query
from ..model.view import qlora_prepared
from ..training.train import TrainingResult, VariantRuns, at_rank
from ..training.figures import variants_figure
from ..training.view import TRAININGS, VARIANTS, ask_training, ask_variants, to_task, variants_kept
from .control import control, shown
from .display import figure_kept, figure_requested, open_view

T = TypeVar("T")


def step_control(s: Settings, phases: list[str]) -> None:
    """The merge animation's opening step."""
    control(s, st, "step", options=list(range(len(phases))), format_func=phases.__getitem__)


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
    st.session_state["targets"] = kept or list(default_targets(spec))


def whole_model_controls(s: Settings) -> None:
    """The whole-model page's own controls: under full fine-tuning, none of LoRA's (targets, serving adapters, the
    adapter file, QLoRA's preparation); under QLoRA as PEFT prepares it, checkpointing shown on, as it is."""
    top = st.columns([2, 3, 2])
    control(s, top[0], "model", on_change=_keep_targets)
    control(s, top[1], "targets", options=[ALL_LINEAR, *target_names(model_spec(s))])
    control(s, top[2], "method")
    row = st.columns(4)
    control(s, row[0], "optimizer")
    control(s, row[1], "batch")
    control(s, row[2], "seq")
    control(s, row[3], "adapters")
    batch_recipe = st.columns([2, 2, 1.4], vertical_alignment="center")  # what the batch goes through
    control(s, batch_recipe[0], "lora_dropout")
    control(s, batch_recipe[1], "model_dropout")
    control(s, batch_recipe[2], "padded")
    switches = st.columns([1.3, 1.6, 1.05, 1.45])  # "QLoRA as PEFT prepares it" whole on a laptop
    prepared = s.method == "qlora" and qlora_prepared(s)
    paper = prepared and s.qlora_recipe == "paper"
    if prepared:  # prepare_model_for_kbit_training turns checkpointing on
        _forced_on(switches[0], "ckpt", "_ckpt_prepared",
                   "On: PEFT's prepare_model_for_kbit_training, which QLoRA recipes call, turns it on. "
                   + ("The QLoRA paper's recipe always calls it." if paper else "Turn “QLoRA as PEFT prepares it” off to choose."))
    else:
        control(s, switches[0], "ckpt")
    if paper:
        _forced_on(switches[1], "prepared", "_prepared_paper",
                   "On: the QLoRA paper's qlora.py calls prepare_model_for_kbit_training before its casts.")
    else:
        control(s, switches[1], "prepared")
    control(s, switches[2], "attention")
    control(s, switches[3], "save_dtype")
    control(s, st, "qlora_recipe")
    if s.model == CUSTOM:
        # Each layout's own sizes (the schema's `when`): KV heads and the layout's switches are Llama's, learned
        # positions GPT-2's. Sizes in one row, switches in the next.
        keys = [key for key in CUSTOM_KEYS if schema(key).applies(s)]
        with st.expander("Custom model sizes", expanded=True):
            for row in ([key for key in keys if schema(key).kind != "bool"], [key for key in keys if schema(key).kind == "bool"]):
                for column, key in zip(st.columns(len(row)) if row else (), row):
                    control(s, column, key)
    config_box(s)


CONFIG_BOX = "_config_json"  # the pasted text: an input, not a view (the link carries the sizes it gives)


def config_box(s: Settings) -> None:
    """A pasted config.json, read when asked: what it gave in plain text, and a link that opens it as a custom model."""
    with st.expander("Paste a model's config.json"):
        with st.form("config_form", border=False):
            text = st.text_area("config.json", key=CONFIG_BOX, max_chars=MAX_CONFIG_CHARS, height=160,
                                placeholder='{"model_type": "qwen2", "hidden_size": 3584, …}',
                                help="Read here, never fetched: Llama, Mistral, Qwen2/2.5, Qwen3, Phi-3/Phi-4 and GPT-2 configs. The "
                                     "sizes it gives become a custom model, so the link carries them.")
            asked = st.form_submit_button("Read it")
        if not asked:
            return
        reading = read_config(str(text))
        opened, clamped = parse_settings({**to_query(s), **reading.values}) if reading.values else (s, [])
        st.text("\n".join(f"- {line}" for line in capped([*reading_text(reading), *clamped])))
        if reading.values:
            open_view(f"Open these sizes as a custom model ({reading.model_type} layout) →", opened, key="_open_config")


def _forced_on(container, key: str, widget_key: str, why: str) -> None:
    """A switch the chosen recipe turns on: drawn on and disabled, saying why (the setting itself is not read)."""
    container.toggle(schema(key).label, value=True, disabled=True, key=widget_key, help=why)


def zero_controls(s: Settings) -> None:
    """The multi-GPU verdict's controls: the card, the ZeRO stage and how many GPUs."""
    card, stage, gpus = st.columns([2, 2, 1])
    control(s, card, "card")
    control(s, stage, "zero", options=list(ZERO_STAGES))
    control(s, gpus, "gpus")


def training_controls(s: Settings) -> None:
    """The low-rank page's controls for the task and the training."""
    left, middle, right = st.columns(3)
    control(s, left, "spectrum")
    control(s, left, "spectrum_rank")  # for an exactly low-rank change
    control(s, left, "decay")  # for a power law
    control(s, middle, "noise")
    control(s, middle, "trainer")
    control(s, middle, "lr_ratio")
    control(s, right, "steps")
    control(s, right, "lr")


POLL_SECONDS = 0.5  # how often a waiting page redraws its bar (and can be stopped by its own session)
DOING = "Training full fine-tuning and LoRA at every rank…"


def _session() -> str:
    ctx = get_script_run_ctx()
    return ctx.session_id if ctx else "no session"


def train(s: Settings) -> TrainingResult:
    """Train (or fetch the cached training) with a progress bar while it trains, then a line that says what was trained.

    The trainings run on the builds' own threads: this page only waits for them and draws their progress, so a
    session that reruns or leaves stops waiting, never a training. If a training fails, the page says so and stops.
    """
    result = at_rank(_wait(ask_training(s, _session()), DOING, TRAININGS.workers), s.r)
    st.caption(f"Trained: full fine-tuning and LoRA at ranks 1–{len(result.sweep)}, {s.steps} steps each; showing r = {result.r}.")
    return result


def variants_ready(s: Settings) -> bool:
    """True when this run draws rsLoRA's and PiSSA's curves at the shown rank: they are trained, or their chart's
    stand-in asked for this run (which trains them, drawing its progress). Otherwise the page draws the stand-in
    (ui.figure's `later`), which asks for that run once the slider rests: a rank move answers at once, and the ranks a
    hand moves past are never trained."""
    return figure_kept(variants_figure, s) or figure_requested(variants_figure, s) or variants_kept(s)


def train_variants(s: Settings) -> VariantRuns:
    """rsLoRA and PiSSA at the shown rank, waited for as train() waits for the sweep. The page calls this where their
    chart goes, once variants_ready: in a run that finds them kept, or in the run their stand-in asked for."""
    return _wait(ask_variants(s, _session()), f"Training rsLoRA and PiSSA at r = {to_task(s).r}…", VARIANTS.workers)


def _wait(ticket_of: Ticket[T], doing: str, workers: int) -> T:
    """Wait for a training, drawing its progress and its place in the queue while it runs; stop the page if it failed."""
    with ticket_of as ticket:
        # Drawn only when there is training to wait for: a bar emptied and refilled on every rank move would
        # cost the browser two updates and an animation each time.
        bar = None if ticket.wait(0) else st.progress(0.0, text=doing)
        notice = st.empty() if bar else None
        waited = 0.0
        while not ticket.wait(POLL_SECONDS):
            waited += POLL_SECONDS
            bar.progress(min(ticket.progress, 1.0), text=doing)
            if text := _waiting_text(ticket.place, ticket.started_elsewhere, waited, workers):
                notice.info(text, icon="⏳")
            else:
                notice.empty()
        if notice:
            notice.empty()
        try:
            found = ticket.result()
        except BuildFailed:
            st.warning("This training stopped before it finished (the server's log says why). Move any control, "
                       "or reload the page, to train it again.", icon="⚠️")
            st.stop()
    if bar is not None:
        bar.empty()  # a full bar left on the page read as something still going on
    return found


def _waiting_text(place: int | None, elsewhere: bool, seconds: float, workers: int = TRAININGS.workers) -> str:
    """What a waiting page says: queued behind other trainings, or trained for another session too ('' for its own)."""
    if place is not None:
        before = f", and {place} more queued before this one" if place else ""
        running = f"{workers} other trainings are running" if workers > 1 else "another training is running"
        return (f"Queued: {running}{before}; this one starts when a turn "
                f"comes… {seconds:.0f} s")
    if elsewhere:
        return f"Training in another session (the same settings): showing it when it is done… {seconds:.0f} s"
    return ""
