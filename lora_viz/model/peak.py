"""The peak of one training step: what is alive at each moment of forward, loss, backward and the optimizer step.

The step is the loop every trainer runs after its first step: forward, loss, backward, optimizer.step(), then
zero_grad(set_to_none=True). Weights, optimizer states (created on the first step) and the batch live throughout;
what else is alive changes, and the step's peak is the largest of these moments:
- the loss, at the end of the forward: the saved tensors, the logits and their fp32 copy (the log-softmax is saved);
- the start of backward: the saved tensors and two fp32 gradients the size of the logits (the log-softmax's and the
  logits'), 8 bytes per logit;
- the last layer's forward, where a layer's outputs in flight were measured to matter (BERT, without a loss over a
  vocabulary) or QLoRA dequantises a 4-bit weight; with DoRA, where a target builds its dense ΔW and the norm of
  W + ΔW (an identity in × in pushed through A and B, and out × in temporaries) or scales its output;
- the last layer's backward: what the loss, the head and the final norm kept is freed; the layer's own working set of
  gradients and temporaries (activations.layer_work) is added, with checkpointing on top of the recomputed layer;
- the end of backward, with a tied head: the embedding's gradient beside the head's, before the two are added;
- the optimizer step: every gradient, and the update's temporaries (update_temporaries); an update in place adds
  none, and every gradient is alive already at the end of backward.
Checked against torch.profiler allocation events of real training steps on the CPU, within 2% on every measured case
but three named in tests/test_peak.py (tools/measure_peak.py, tests/golden/peak.json).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..numbers.memory import FP32_BYTES
from .activations import Activations, Part

INDEX_BYTES = 8  # int64 token ids and labels
LOSS_GRADIENTS = 2 * FP32_BYTES  # the log-softmax's gradient and the logits' gradient, both fp32, alive at once
SAVED, GRADIENTS, UPDATE, TEMPORARY = "saved", "gradients", "update", "temporary"  # a Part's kinds
DORA_MOMENT = "the last layer's forward, at a DoRA target"


@dataclass(frozen=True)
class StepCosts:
    """What a step allocates besides its weights, states and saved tensors."""

    tokens: int  # batch × sequence: the batch's ids and labels, int64
    update: int  # the optimizer update's temporaries (update_temporaries)
    head_gradient: int = 0  # the gradient that appears in the head's backward (full fine-tuning's head or tied embedding)
    tied_gradient: int = 0  # with a tied head, the embedding's own gradient, beside the head's until they are added
    dequantised: int = 0  # QLoRA: one 16-bit copy of the widest 4-bit weight, alive while it multiplies


@dataclass(frozen=True)
class Moment:
    """One moment of the step: where it is, and what is alive then besides weights, optimizer states and the batch."""

    where: str
    parts: tuple[Part, ...]

    @property
    def bytes(self) -> int:
        return sum(part.bytes for part in self.parts)

    def of_kind(self, kind: str) -> int:
        return sum(part.bytes for part in self.parts if part.kind == kind)


@dataclass(frozen=True)
class StepPeak:
    """The step's moments and its peak: the persistent bytes plus the largest moment."""

    persistent: int  # weights, optimizer states and the batch's token ids and labels
    batch: int  # the batch's part of `persistent`
    moments: tuple[Moment, ...]

    @property
    def at(self) -> Moment:
        """The moment the peak happens (the first of equals)."""
        return max(self.moments, key=lambda moment: moment.bytes)

    @property
    def bytes(self) -> int:
        return self.persistent + self.at.bytes


def update_temporaries(trained: list[tuple[int, int]], optimizer: str, element_bytes: int, foreach: bool) -> int:
    """Bytes the optimizer's update allocates on top of its states, for trained tensors given as (numel, copies).

    AdamW computes √v̂ + ε as a new tensor. The foreach implementation (CUDA's default) does it for every tensor at
    once: one temporary the size of all that is trained. The loop over tensors (the CPU's default) keeps the square
    root and its division by √(1 − β₂ᵗ) alive together for one tensor at a time (PyTorch's optim/adam.py).
    SGD without momentum, and bitsandbytes' 8-bit and paged AdamW, update in place in one kernel per tensor: none."""
    if optimizer != "adamw" or not trained:
        return 0
    if foreach:
        return sum(numel * copies for numel, copies in trained) * element_bytes
    return 2 * max(numel for numel, _ in trained) * element_bytes


def step_peak(weights: int, gradients: int, optimizer_states: int, saved: Activations, costs: StepCosts) -> StepPeak:
    """The moments of one training step and its peak (see the module's note)."""
    batch = 2 * costs.tokens * INDEX_BYTES
    kept = Part("saved for backward", saved.forward)
    below = Part("saved for the layers' backward", saved.forward - saved.above_layers)
    weight_copy = (Part("a 4-bit weight dequantised to 16 bits", costs.dequantised, kind=TEMPORARY),) if costs.dequantised else ()
    moments = []
    if saved.logits:
        copy = saved.logits * FP32_BYTES if saved.logits_bytes != FP32_BYTES else 0
        moments.append(Moment("the loss, at the end of the forward", (
            kept, Part("the logits", saved.logits * saved.logits_bytes, kind=TEMPORARY),
            Part("their fp32 copy for the loss", copy, kind=TEMPORARY))))
        moments.append(Moment("the start of backward, the loss's gradient", (
            kept, Part("two fp32 gradients the size of the logits", saved.logits * LOSS_GRADIENTS, kind=TEMPORARY))))
    if saved.forward_work or costs.dequantised:
        moments.append(Moment("the last layer's forward", (
            below, Part("the layer's outputs in flight", saved.forward_work, kind=TEMPORARY), *weight_copy)))
    if saved.dora_peak:
        earlier = saved.forward - saved.above_layers - (0 if saved.checkpointing else saved.layer)
        moments.append(Moment(DORA_MOMENT, (
            Part("saved for backward before the last layer", earlier),
            Part("the last layer's saved tensors so far, and a DoRA target's identity, ΔW and W + ΔW or its output's "
                 "temporaries",
                 saved.dora_peak, kind=TEMPORARY))))
    if saved.checkpointing:  # backward reruns the layer's forward, then its backward, on top of the checkpoints
        layer = (Part("the last layer, recomputed", saved.layer),
                 Part("the layer's working set", max(saved.layer_work, saved.forward_work, saved.dora_peak - saved.layer), kind=TEMPORARY))
    else:
        layer = (Part("the layer's gradients and temporaries", saved.layer_work, kind=TEMPORARY),)
    moments.append(Moment("the last layer's backward", (
        below, *layer, Part("the head's gradient", costs.head_gradient, kind=GRADIENTS), *weight_copy)))
    if costs.tied_gradient:
        moments.append(Moment("the end of backward, the tied embedding's gradient", (
            Part("gradients", gradients, kind=GRADIENTS),
            Part("the embedding's gradient before it is added to the head's", costs.tied_gradient, kind=TEMPORARY))))
    if costs.update:
        moments.append(Moment("the optimizer step", (
            Part("gradients", gradients, kind=GRADIENTS), Part("the update's temporaries", costs.update, kind=UPDATE))))
    else:  # an update in place adds nothing: every gradient is alive from the end of backward through the step
        moments.append(Moment("the end of backward, every gradient", (Part("gradients", gradients, kind=GRADIENTS),)))
    return StepPeak(weights + optimizer_states + batch, batch, tuple(moments))


def transient_per_gpu(peak: StepPeak, gpus: int, stage: int) -> int:
    """The largest moment on one of N data-parallel GPUs, each running its own batch: from stage 1 each GPU updates
    only its shard of the states, so the update's temporaries are split; from stage 2 it keeps only its shard of the
    gradients (ZeRO, Rajbhandari et al. 2020, §5)."""
    def shard(n: int, split: bool) -> int:
        return -(-n // gpus) if split else n

    def on_one(moment: Moment) -> int:
        update, gradients = moment.of_kind(UPDATE), moment.of_kind(GRADIENTS)
        return moment.bytes - update - gradients + shard(update, stage >= 1) + shard(gradients, stage >= 2)
    return max(on_one(moment) for moment in peak.moments)
