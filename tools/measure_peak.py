"""Measure the peak of one training step with torch.profiler (dev only; writes a golden file).

    pip install -r requirements-tools.txt && python tools/measure_peak.py [dora]

For small random-weight models of each family, built in the app's recipes as tools/measure_activations.py builds
them (2 layers), a warm-up step runs (forward, loss, backward, optimizer.step(), zero_grad(set_to_none=True)), then a
measured step inside torch.profiler.profile(profile_memory=True). Every allocation and free the CPU allocator reports
is replayed in order; the peak is the bytes alive at the start of the step (every storage of the weights, the
optimizer's states and the batch's ids and labels, each once) plus the largest running sum, and the phase it falls in
(forward, backward, optimizer) is recorded. AdamW runs PyTorch's CPU default (a loop over tensors) and, where
`foreach` is set, the foreach implementation that is CUDA's default; SGD has no momentum. The CPU allocator frees at
once and rounds nothing; CUDA's caching allocator rounds each block up to 512 bytes and keeps freed blocks reserved.
QLoRA is not measured: on the CPU bitsandbytes dequantises through a pure-PyTorch fallback (int32 codes and fp32
values for every weight) that CUDA's kernel, which writes the 16-bit weight directly, does not allocate.
"""

from __future__ import annotations

from pathlib import Path

import torch
from torch.profiler import ProfilerActivity, profile, record_function

import measure_activations as built

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "tests" / "golden" / "peak.json"
DORA_OUT = ROOT / "tests" / "golden" / "peak_dora.json"
SMALL = (256, 2)  # (hidden, layers) of tools/measure_activations.py's models, from which the working-set rules were read
HELD_OUT = dict(hidden=384, intermediate=1536, heads=6, kv_heads=2, layers=3)  # a size no rule was read from


def sized(hidden: int, intermediate: int, heads: int, kv_heads: int):
    """tools/measure_activations.py's configurations at another size."""
    original = built._released

    def released(family: str, layers: int, attention: str):
        cls, cfg = original(family, layers, attention)
        cfg.hidden_size = hidden
        cfg.num_attention_heads = heads
        setattr(cfg, {"llama": "intermediate_size", "gpt2": "n_inner", "opt": "ffn_dim", "bert": "intermediate_size"}[family], intermediate)
        if family == "llama":
            cfg.num_key_value_heads = kv_heads
        if family == "opt":
            cfg.word_embed_proj_dim = hidden
        return cls, cfg

    built._released = released
    return original


def live_bytes(tensors) -> int:
    """Bytes of the distinct storages behind the tensors."""
    seen = {}
    for tensor in tensors:
        storage = tensor.untyped_storage()
        seen[storage.data_ptr()] = storage.nbytes()
    return sum(seen.values())


def measure(family: str, method: str, precision: str, batch: int, seq: int, vocab: int, attention: str = "sdpa",
            optimizer: str = "adamw", foreach: bool = False, checkpointing: bool = False, targets="all-linear",
            lora_dropout: float = 0.0, padded: bool = False, qlora_recipe: str = "peft", size: dict | None = None,
            variant: str = "lora") -> dict:
    """One case: the step's measured peak, what was alive at its start, and the phase the peak falls in. size: the
    model's hidden, intermediate, heads, kv_heads and layers, when not measure_activations' 2-layer models."""
    built.VOCAB = vocab
    layers = size["layers"] if size else SMALL[1]
    original = sized(*(size[k] for k in ("hidden", "intermediate", "heads", "kv_heads"))) if size else None
    try:
        model = built.build(family, attention, method, precision, layers, targets, True, checkpointing, lora_dropout, True, qlora_recipe,
                            variant)
    finally:
        if original:
            built._released = original
    trained = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(trained, lr=1e-4, foreach=foreach) if optimizer == "adamw" else torch.optim.SGD(trained, lr=1e-4)
    ids = torch.randint(0, vocab, (batch, seq))
    mask = torch.ones(batch, seq, dtype=torch.long)
    if padded:
        mask[-1, seq // 2:] = 0
    labels = ids.masked_fill(mask == 0, -100)
    inputs = {"input_ids": ids, "attention_mask": mask} if padded else {"input_ids": ids}

    def step() -> None:
        with record_function("## forward"), torch.autocast("cpu", dtype=torch.bfloat16, enabled=precision == "mixed" or qlora_recipe == "paper"):
            if family == "bert":  # a bare encoder: no logits, no loss; the pooler's output is trained too
                out = model(**inputs)
                loss = out.last_hidden_state.float().sum() + out.pooler_output.float().sum()
            else:
                loss = model(**inputs, labels=labels).loss
        with record_function("## backward"):
            loss.backward()
        with record_function("## optimizer"):
            opt.step()
        opt.zero_grad(set_to_none=True)

    step()  # the warm-up creates the optimizer's states
    alive = [*model.parameters(), *model.buffers(), ids, labels] + ([mask] if padded else [])
    alive += [v for state in opt.state.values() for v in state.values() if torch.is_tensor(v)]
    start = live_bytes(alive)
    with profile(activities=[ProfilerActivity.CPU], profile_memory=True) as prof:
        step()
    events = prof.profiler.kineto_results.events()
    changes = sorted((e.start_ns(), e.nbytes()) for e in events if e.name() == "[memory]")
    phases = {e.name()[3:]: (e.start_ns(), e.end_ns()) for e in events if e.name().startswith("## ")}
    running, highest, at = 0, 0, "forward"
    for when, nbytes in changes:
        running += nbytes
        if running > highest:
            highest = running
            at = next((name for name, (s, e) in phases.items() if s <= when <= e), at)
    found = {"family": family, "method": method, "precision": precision, "batch": batch, "seq": seq, "vocab": vocab,
             "attention": attention, "optimizer": optimizer, "foreach": foreach, "checkpointing": checkpointing,
             "targets": targets if isinstance(targets, str) else ",".join(targets), "lora_dropout": lora_dropout,
             "padded": padded, "qlora_recipe": qlora_recipe, "size": size or "small", "start": start, "peak": start + highest,
             "phase": at, **({"variant": variant} if variant != "lora" else {})}
    print(found, flush=True)
    return found


def main() -> None:
    cases = []
    for family in ("llama", "gpt2", "opt", "bert"):
        for method in ("full", "lora"):
            for precision in ("mixed", "pure", "plain"):
                if method == "full" and precision == "plain":
                    continue  # plain full fine-tuning is pure
                cases.append(measure(family, method, precision, 1, 256, 32000))  # a real vocabulary: the loss decides
                cases.append(measure(family, method, precision, 2, 128, 1000))  # a small one: the layers weigh more
            cases.append(measure(family, method, "mixed", 1, 256, 8000, checkpointing=True))
            cases.append(measure(family, method, "mixed", 1, 64, 8000, optimizer="sgd"))
            cases.append(measure(family, method, "mixed", 1, 64, 8000, foreach=True))  # CUDA's default AdamW
        cases.append(measure(family, "lora", "mixed", 2, 128, 8000, lora_dropout=0.1))
        cases.append(measure(family, "lora", "mixed", 2, 128, 8000, padded=True))
        cases.append(measure(family, "full", "pure", 1, 256 if family != "llama" else 512, 1000, attention="eager"))
        cases.append(measure(family, "lora", "mixed", 1, 256 if family != "llama" else 512, 1000, attention="eager"))
        # Held out: a size the working-set rules were not read from
        for method in ("full", "lora"):
            for precision in ("mixed", "pure", "plain"):
                cases.append(measure(family, method, precision, 1, 192, 4000, size=HELD_OUT))
            cases.append(measure(family, method, "mixed", 2, 96, 16000, checkpointing=True, size=HELD_OUT))
            cases.append(measure(family, method, "pure", 1, 256, 2000, attention="eager", size=HELD_OUT))
        cases.append(measure(family, "lora", "mixed", 1, 192, 4000, lora_dropout=0.05, size=HELD_OUT))
    # Llama's layout as Qwen2 (q, k, v biases), Qwen3 (q/k norms, head_dim apart, tied head), Phi-3 (fused
    # projections), Gemma 3 (sandwich norms) and the mixtures of experts (Mixtral, Qwen3-MoE) change it
    for family in ("qwen2", "qwen3", "phi3", "gemma3", *built.MOE):
        for method in ("full", "lora"):
            for precision in ("mixed", "pure", "plain"):
                if method == "full" and precision == "plain":
                    continue
                cases.append(measure(family, method, precision, 1, 256, 32000))
                cases.append(measure(family, method, precision, 2, 128, 1000))
            cases.append(measure(family, method, "mixed", 1, 256, 8000, checkpointing=True))
            cases.append(measure(family, method, "pure", 1, 512, 1000, attention="eager"))
            cases.append(measure(family, method, "mixed", 1, 64, 8000, optimizer="sgd"))
    # Few tokens and a small vocabulary, where adapted expert stacks outweigh the rest: the merged stacks' gradients
    for family in built.MOE:
        for precision in ("mixed", "pure", "plain"):
            cases.append(measure(family, "lora", precision, 1, 32, 1000))
            cases.append(measure(family, "lora", precision, 1, 32, 1000, targets=list(built.EXPERTS)))
        cases.append(measure(family, "lora", "mixed", 1, 32, 1000, targets=["down_proj"]))
        cases.append(measure(family, "lora", "mixed", 1, 32, 1000, targets=["gate_up_proj"]))
        cases.append(measure(family, "lora", "mixed", 2, 64, 1000, targets=["q_proj", "v_proj", "gate"]))
        cases.append(measure(family, "lora", "mixed", 1, 64, 1000, foreach=True))
        cases.append(measure(family, "lora", "mixed", 1, 64, 1000, checkpointing=True))
    built.write_golden(OUT, __doc__, cases)


def dora() -> None:
    """DoRA (PEFT's use_dora=True): every family and precision, few tokens (where each target's dense ΔW, built every
    forward, can set the peak) and more, LoRA dropout, checkpointing, and a size no rule was read from."""
    cases = []
    for family in ("llama", "gpt2", "opt", "bert"):
        for precision in ("mixed", "pure", "plain"):
            cases.append(measure(family, "lora", precision, 1, 16, 1000, variant="dora"))
            cases.append(measure(family, "lora", precision, 2, 128, 8000, variant="dora"))
        cases.append(measure(family, "lora", "mixed", 1, 64, 1000, lora_dropout=0.05, variant="dora"))
        cases.append(measure(family, "lora", "mixed", 1, 64, 1000, checkpointing=True, variant="dora"))
        cases.append(measure(family, "lora", "mixed", 1, 32, 1000, targets=built.DEFAULT_TARGETS[family], variant="dora"))
    for family in ("llama", "gpt2"):
        for precision in ("mixed", "pure"):
            cases.append(measure(family, "lora", precision, 1, 64, 2000, size=HELD_OUT, variant="dora"))
    built.write_golden(DORA_OUT, __doc__, cases)


if __name__ == "__main__":
    import sys

    dora() if sys.argv[1:] == ["dora"] else main()
