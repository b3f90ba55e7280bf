"""The low-rank page's view of the settings: what a training depends on, and the training, kept in the one cache."""

from __future__ import annotations

from dataclasses import replace
from typing import Hashable

from ..builds import Builds, Ticket
from ..cache import RESULTS
from ..keys import depends_on
from ..settings import Settings
from .task import TrainingSpec, task_size
from .train import CPU_BUDGET_S, Training, TrainingResult, VariantRuns, at_rank, train_everything, train_variants

TRAINED_ON = ("d", "k", "alpha", "seed", "spectrum", "spectrum_rank", "decay", "noise", "steps", "lr", "trainer", "lr_ratio")

# Trainings run on threads of their own (lora_viz/builds.py) and are kept in the one cache, RESULTS, rather than
# with st.cache_data: st.cache_data would record the progress bar's updates and replay them into another session's
# page. One training covers every rank, so the rank slider never retrains. A class opening one link starts one
# training (the others wait for it, and get it even if its starter leaves), and at most two run at once: on two
# cores, four side by side each took ten times as long as one alone.
TRAININGS: Builds[Training] = Builds(workers=2, done=RESULTS, budget_s=CPU_BUDGET_S)
# rsLoRA and PiSSA at one rank (at most 0.76 s of CPU) on a worker of their own: in the sweeps' queue, a page that had
# its sweep waited behind another student's sweep for them.
VARIANTS: Builds[VariantRuns] = Builds(workers=1, done=RESULTS, budget_s=CPU_BUDGET_S)


def to_task(s: Settings) -> Settings:
    """The settings at the task's size: d and k at most 48, the target's rank and r at most min(d, k)."""
    d, k = task_size(s.d, s.k)
    return replace(s, d=d, k=k, spectrum_rank=min(s.spectrum_rank, d, k), r=min(s.r, d, k))


@depends_on(*TRAINED_ON, reduce=to_task)
def training_spec(s: Settings) -> TrainingSpec:
    """What a training depends on (its cache key): not the rank, since one training covers every rank."""
    return TrainingSpec(**{key: getattr(s, key) for key in TRAINED_ON})


def ask_training(s: Settings, session: Hashable) -> Ticket[Training]:
    """A ticket for the training of s: kept, under way, or queued now (see lora_viz.builds)."""
    spec = training_spec(s)
    return TRAININGS.ask(("training", spec), session, lambda job: train_everything(spec, job.report))


@depends_on(*TRAINED_ON, "r", reduce=to_task)
def trained(s: Settings) -> TrainingResult:
    """The training of s seen at its rank. The page has waited for it (ui.train), so it is kept; were it dropped from
    the cache since, it is trained again on the builds' threads, within their budget, and waited for here."""
    with ask_training(s, object()) as ticket:  # a session of its own: this wait ends no page's wait
        ticket.wait(None)
        return at_rank(ticket.result(), s.r)


def _variants_key(s: Settings) -> Hashable:
    """What rsLoRA's and PiSSA's trainings at the settings' rank (at most the task's min(d, k)) are kept under."""
    return ("variants", training_spec(s), to_task(s).r)


def ask_variants(s: Settings, session: Hashable) -> Ticket[VariantRuns]:
    """A ticket for rsLoRA's and PiSSA's trainings at the settings' rank."""
    key = _variants_key(s)
    _, spec, r = key
    return VARIANTS.ask(key, session, lambda job: train_variants(spec, r, job.report))


def variants_kept(s: Settings) -> bool:
    """True if rsLoRA's and PiSSA's trainings at the settings' rank are kept (asking for them costs no training)."""
    return _variants_key(s) in VARIANTS.done


@depends_on(*TRAINED_ON, "r", reduce=to_task)
def variants_trained(s: Settings) -> VariantRuns:
    """rsLoRA and PiSSA at the settings' rank; the page has waited for them (ui.train), as for trained()."""
    with ask_variants(s, object()) as ticket:
        ticket.wait(None)
        return ticket.result()
