"""Write the golden files the tests compare against, using the real libraries (dev only, not app dependencies).

    pip install -r requirements-tools.txt && python -m tools.make_golden [memory|serving]

- tests/golden/peft_counts.json: PEFT's get_nb_trainable_parameters() for every preset, several ranks and
  target sets. Models are built from their configurations on the meta device (no weights are downloaded).
- tests/golden/torch_memory.json: bytes of parameters, gradients and optimizer states after one real
  optimizer step on a randomly initialised GPT-2 on the CPU: full fine-tuning in fp32 (AdamW, SGD) and in
  bf16 mixed (fp32 weights, bf16 autocast), pure and plain (all bf16), LoRA on a bf16 base with fp32 adapters
  (mixed, under autocast; plain, PEFT's defaults without it) and bf16 ones (pure); with bitsandbytes on a small
  Llama-style model: QLoRA (NF4 with double quantisation) with AdamW (mixed, pure and plain; as loaded and after
  prepare_model_for_kbit_training; and in the QLoRA paper's recipe), 8-bit AdamW and paged 32-bit AdamW, and full
  bf16 fine-tuning with 8-bit and paged 32-bit AdamW; and on a small OPT (the OPT-175B layout): full fine-tuning and LoRA in each precision.
- tests/golden/served_adapter.json (`python -m tools.make_golden serving` writes it alone): the dtype and bytes of an
  adapter saved in fp32, fp16 and bf16 and loaded on a bf16 base by PeftModel.from_pretrained, with PEFT's default
  autocast_adapter_dtype=True and with False.
"""

from __future__ import annotations

import json
import math
import sys
import tempfile
from pathlib import Path

import peft
import torch
import transformers
from accelerate import init_empty_weights
from peft import LoraConfig, PeftModel, get_peft_model, prepare_model_for_kbit_training
from transformers import (
    Gemma3ForCausalLM,
    Gemma3TextConfig,
    MixtralConfig,
    MixtralForCausalLM,
    Qwen2MoeConfig,
    Qwen2MoeForCausalLM,
    Qwen3MoeConfig,
    Qwen3MoeForCausalLM,
    MistralConfig,
    MistralForCausalLM,
    Phi3Config,
    Phi3ForCausalLM,
    Qwen2Config,
    Qwen2ForCausalLM,
    Qwen3Config,
    Qwen3ForCausalLM,
    BertConfig,
    BertModel,
    GPT2Config,
    GPT2LMHeadModel,
    LlamaConfig,
    LlamaForCausalLM,
    OPTConfig,
    OPTForCausalLM,
)

ROOT = Path(__file__).resolve().parents[1]
from tools.measure_activations import paper_casts
from lora_viz.presets import ALL_LINEAR, PRESETS, ModelSpec, custom_model, peft_targets

GOLDEN = ROOT / "tests" / "golden"
PRECISIONS = ("mixed", "pure", "plain")  # as lora_viz.names has them
RANKS = (1, 8, 64)
TARGET_SETS = {
    "llama": (["q_proj", "v_proj"], ["q_proj", "k_proj", "v_proj", "o_proj"], ["gate_proj", "up_proj", "down_proj"], ALL_LINEAR),
    "gpt2": (["c_attn"], ["c_proj"], ["c_attn", "c_fc"], ALL_LINEAR),
    "opt": (["q_proj", "v_proj"], ["q_proj", "k_proj", "v_proj", "out_proj"], ["fc1", "fc2"], ALL_LINEAR),
    "bert": (["query", "value"], ["dense"], ["key"], ALL_LINEAR),
}
FUSED_TARGET_SETS = (["qkv_proj"], ["qkv_proj", "o_proj"], ["gate_up_proj", "down_proj"], ALL_LINEAR)  # Phi-3's names
# A mixture of experts: attention, the stacked experts (target_parameters), the router, and all-linear (which PEFT
# maps from transformers 4's names: the router, gate_up_proj at rank 2r, down_proj at r).
MOE_TARGET_SETS = (["q_proj", "v_proj"], ["q_proj", "k_proj", "v_proj", "o_proj"], ["gate_up_proj", "down_proj"],
                   ["q_proj", "v_proj", "gate"], ["down_proj"], ALL_LINEAR)
SHARED_TARGETS = ["shared_expert.gate_proj", "shared_expert.up_proj", "shared_expert.down_proj", "shared_expert_gate"]  # Qwen2-MoE's
CUSTOM = custom_model(hidden=1024, intermediate=2816, layers=4, heads=16, kv_heads=4, vocab=1000)
# GPT-2 medium's sizes in the GPT-2 layout: 354,823,168 parameters.
CUSTOM_GPT2 = custom_model(hidden=1024, intermediate=4096, layers=24, heads=16, kv_heads=16, vocab=50257, arch="gpt2", positions=1024)


def build(spec, device_meta: bool = True):
    """The transformers model for a spec, on the meta device (or real, randomly initialised, on the CPU)."""
    if spec.family == "llama":  # the class its config.json names: Qwen3 (q/k norms), Qwen2 (q, k, v biases), Mistral, Llama
        sizes = dict(hidden_size=spec.hidden, intermediate_size=spec.intermediate, num_hidden_layers=spec.layers,
                     num_attention_heads=spec.heads, num_key_value_heads=spec.kv_heads, vocab_size=spec.vocab,
                     head_dim=spec.head_dim, tie_word_embeddings=spec.tied)
        if spec.moe:  # experts each `intermediate` wide: the Qwens' moe_intermediate_size, Mixtral's intermediate_size
            sizes |= dict(num_experts_per_tok=spec.experts_per_token)
            sizes |= (dict(num_local_experts=spec.experts) if spec.moe_type == "mixtral"
                      else dict(num_experts=spec.experts, moe_intermediate_size=spec.intermediate))
            if spec.moe_type == "qwen2_moe":
                sizes |= dict(shared_expert_intermediate_size=spec.shared_expert)
        moe_classes = {"mixtral": (MixtralConfig, MixtralForCausalLM), "qwen3_moe": (Qwen3MoeConfig, Qwen3MoeForCausalLM),
                       "qwen2_moe": (Qwen2MoeConfig, Qwen2MoeForCausalLM)}
        config_cls, cls = (moe_classes[spec.moe_type] if spec.moe
                           else (Gemma3TextConfig, Gemma3ForCausalLM) if spec.sandwich
                           else (Phi3Config, Phi3ForCausalLM) if spec.fused else (Qwen3Config, Qwen3ForCausalLM) if spec.qk_norm else (Qwen2Config, Qwen2ForCausalLM) if spec.qkv_bias
                           else (MistralConfig, MistralForCausalLM) if spec.key.startswith("mistral") else (LlamaConfig, LlamaForCausalLM))
        config = config_cls(**sizes)
    elif spec.family == "gpt2":
        config = GPT2Config(n_embd=spec.hidden, n_inner=spec.intermediate, n_layer=spec.layers, n_head=spec.heads,
                            vocab_size=spec.vocab, n_positions=spec.positions)
        cls = GPT2LMHeadModel
    elif spec.family == "opt":
        config = OPTConfig(hidden_size=spec.hidden, ffn_dim=spec.intermediate, num_hidden_layers=spec.layers,
                           num_attention_heads=spec.heads, vocab_size=spec.vocab, max_position_embeddings=spec.positions,
                           word_embed_proj_dim=spec.hidden)
        cls = OPTForCausalLM
    else:
        config = BertConfig(hidden_size=spec.hidden, intermediate_size=spec.intermediate, num_hidden_layers=spec.layers,
                            num_attention_heads=spec.heads, vocab_size=spec.vocab, max_position_embeddings=spec.positions)
        cls = BertModel
    if not device_meta:
        return cls(config)
    with init_empty_weights():
        model = cls(config)
    if spec.family == "llama" and spec.tied:
        model.lm_head.weight = model.model.embed_tokens.weight  # tie_word_embeddings: one tensor, counted once
    if spec.family == "gpt2":
        model.lm_head.weight = model.transformer.wte.weight  # a real GPT-2 ties its head; count it once
    if spec.family == "opt":
        model.lm_head.weight = model.model.decoder.embed_tokens.weight  # OPT ties its head too
    return model


def peft_counts() -> list[dict]:
    cases = []
    for spec in [*PRESETS.values(), CUSTOM, CUSTOM_GPT2]:
        sets = (*MOE_TARGET_SETS, *((SHARED_TARGETS,) if spec.shared_expert else ())) if spec.moe else \
            FUSED_TARGET_SETS if spec.fused else TARGET_SETS[spec.family]
        for targets in sets:
            modules, parameters = peft_targets(spec, (targets,) if targets == ALL_LINEAR else tuple(targets))
            for r in RANKS:
                config = LoraConfig(r=r, lora_alpha=8, target_modules=modules, target_parameters=parameters or None)
                model = get_peft_model(build(spec), config)
                trainable, all_params = model.get_nb_trainable_parameters()
                cases.append({
                    "model": spec.key,
                    "dims": None if spec.key != "custom" else _dims(spec),
                    "r": r,
                    "targets": targets,
                    "trainable": trainable,
                    "all": all_params,
                })
                print(cases[-1], flush=True)
    return cases


# PEFT's switch for each LoRA variant (lora_viz.names.VARIANTS). PiSSA's SVD needs real weights, so it is counted on the
# small models built on the CPU; rsLoRA only rescales, so one rank shows its counts are LoRA's.
VARIANT_CONFIGS = {"rslora": dict(use_rslora=True), "dora": dict(use_dora=True), "pissa": dict(init_lora_weights="pissa")}
PISSA_MODELS = (custom_model(hidden=64, intermediate=176, layers=2, heads=4, kv_heads=2, vocab=100),
                custom_model(hidden=64, intermediate=256, layers=2, heads=4, kv_heads=4, vocab=100, arch="gpt2", positions=64),
                custom_model(hidden=64, intermediate=32, layers=2, heads=4, kv_heads=2, vocab=100, experts=4, experts_per_token=2,
                             moe_type="qwen3_moe", qk_norm=True))  # Qwen3-MoE has Qwen3's q/k norms


def peft_variant_counts() -> list[dict]:
    """PEFT's counts with use_rslora, use_dora and init_lora_weights="pissa", or that PEFT refused the variant (DoRA on
    a mixture's stacked experts and router) or failed to set it up (PiSSA there)."""
    cases = []
    for variant, switch in VARIANT_CONFIGS.items():
        specs = PISSA_MODELS if variant == "pissa" else [*PRESETS.values(), CUSTOM, CUSTOM_GPT2]
        for spec in specs:
            sets = (*MOE_TARGET_SETS, *((SHARED_TARGETS,) if spec.shared_expert else ())) if spec.moe else \
                FUSED_TARGET_SETS if spec.fused else TARGET_SETS[spec.family]
            for targets in sets:
                modules, parameters = peft_targets(spec, (targets,) if targets == ALL_LINEAR else tuple(targets))
                for r in (8,) if variant == "rslora" else (1, 4) if variant == "pissa" else RANKS:
                    config = LoraConfig(r=r, lora_alpha=8, target_modules=modules, target_parameters=parameters or None, **switch)
                    case = {"model": spec.key, "custom": None if spec.key != "custom" else _custom_args(spec), "r": r,
                            "targets": targets, "variant": variant}
                    try:
                        model = get_peft_model(build(spec, device_meta=variant != "pissa"), config)
                    except (ValueError, AttributeError) as refused:  # PiSSA on stacked experts fails: AttributeError
                        cases.append(case | {"refused": f"{type(refused).__name__}: {refused}"})
                    else:
                        trainable, all_params = model.get_nb_trainable_parameters()
                        cases.append(case | {"trainable": trainable, "all": all_params})
                    print(cases[-1], flush=True)
    return cases


def pissa_conversions() -> list[dict]:
    """The adapter PEFT writes to serve PiSSA on the original base (save_pretrained with
    path_initial_model_for_weight_conversion): its parameters, counted in the saved file, and its rank, on the small
    models PiSSA is counted on (lora_viz.model.budget.served_adapter_count)."""
    import tempfile

    from safetensors import safe_open

    cases = []
    for spec in PISSA_MODELS[:2]:  # PiSSA fails on the mixture's stacked experts (peft_variant_counts)
        for targets in TARGET_SETS[spec.family]:
            modules, _ = peft_targets(spec, (targets,) if targets == ALL_LINEAR else tuple(targets))
            for r in (1, 4):
                model = get_peft_model(build(spec, device_meta=False), LoraConfig(r=r, lora_alpha=8, target_modules=modules,
                                                                                  init_lora_weights="pissa"))
                with tempfile.TemporaryDirectory() as folder:
                    model.peft_config["default"].init_lora_weights = True  # PEFT's recipe: keep the start as it is
                    model.save_pretrained(f"{folder}/start")
                    model.peft_config["default"].init_lora_weights = "pissa"
                    model.save_pretrained(f"{folder}/served", path_initial_model_for_weight_conversion=f"{folder}/start")
                    with safe_open(f"{folder}/served/adapter_model.safetensors", "pt") as saved:
                        shapes = [saved.get_slice(name).get_shape() for name in saved.keys()]
                count = sum(math.prod(shape) for shape in shapes)
                cases.append({"model": spec.key, "custom": _custom_args(spec), "r": r, "targets": targets,
                              "served": count, "served_rank": min(min(shape) for shape in shapes)})
                print(cases[-1], flush=True)
    return cases


class _OneLinear(torch.nn.Module):
    """One bias-free linear layer, out × in, the smallest model PEFT adapts."""

    def __init__(self, weight: torch.Tensor) -> None:
        super().__init__()
        self.proj = torch.nn.Linear(weight.shape[1], weight.shape[0], bias=False)
        self.proj.weight.data = weight.clone()


def variant_math() -> dict:
    """PiSSA's initial A, B and residual, and DoRA's merged weight, from PEFT on one small seeded fp32 layer: what
    lora_viz.numbers.variants computes in NumPy."""
    generator = torch.Generator().manual_seed(0)
    out_features, in_features, r, alpha = 12, 10, 3, 8
    weight = torch.randn(out_features, in_features, generator=generator)
    pissa = get_peft_model(_OneLinear(weight), LoraConfig(r=r, lora_alpha=alpha, target_modules=["proj"], init_lora_weights="pissa"))
    layer = pissa.base_model.model.proj
    start = {"a": layer.lora_A["default"].weight.tolist(), "b": layer.lora_B["default"].weight.tolist(),
             "residual": layer.base_layer.weight.tolist()}
    dora = get_peft_model(_OneLinear(weight), LoraConfig(r=r, lora_alpha=alpha, target_modules=["proj"], use_dora=True))
    layer = dora.base_model.model.proj
    initial_magnitude = layer.lora_magnitude_vector["default"].weight.detach().clone()
    a, b = torch.randn(r, in_features, generator=generator), torch.randn(out_features, r, generator=generator)
    magnitude = initial_magnitude * (1 + 0.1 * torch.randn(out_features, generator=generator))  # as if trained
    with torch.no_grad():
        layer.lora_A["default"].weight.copy_(a)
        layer.lora_B["default"].weight.copy_(b)
        layer.lora_magnitude_vector["default"].weight.copy_(magnitude)
    merged = dora.merge_and_unload().proj.weight
    return {"w": weight.tolist(), "r": r, "alpha": alpha, "pissa": start,
            "dora": {"initial_magnitude": initial_magnitude.tolist(), "a": a.tolist(), "b": b.tolist(), "magnitude": magnitude.tolist(),
                     "merged": merged.tolist()}}


def _bytes(tensors) -> int:
    return sum(t.numel() * t.element_size() for t in tensors)


def one_step(model, optimizer, autocast: torch.dtype | None = None) -> dict:
    """Run one optimizer step on a tiny batch (under autocast to a 16-bit dtype, for mixed precision); report
    parameter, gradient and optimizer-state bytes."""
    ids = torch.randint(0, 1000, (1, 8))
    with torch.autocast("cpu", dtype=autocast, enabled=autocast is not None):
        loss = model(input_ids=ids, labels=ids).loss
    loss.backward()
    optimizer.step()
    params = {id(p): p for p in model.parameters()}.values()  # a tied tensor once
    trained = [p for p in params if p.requires_grad]
    # Each storage once: 8-bit AdamW hands every tensor the same two quantisation maps.
    states = {value.data_ptr(): value for state in optimizer.state.values() for value in state.values() if torch.is_tensor(value)}.values()
    return {
        "weights": _bytes(params),
        "gradients": _bytes(p.grad for p in trained if p.grad is not None),
        "optimizer_states": _bytes(states),
        "trained_params": sum(p.numel() for p in trained),
        "trained_tensors": len(trained),
    }


def cast_trained(model, dtype: torch.dtype):
    """Pure precision for LoRA: the adapters cast to the base's dtype (PEFT keeps them in fp32 by default)."""
    for param in model.parameters():
        if param.requires_grad:
            param.data = param.data.to(dtype)
    return model


def torch_memory() -> list[dict]:
    """GPT-2 (random weights) on the CPU: full fine-tuning in fp32 (AdamW, SGD), and in bf16 mixed (fp32 weights,
    bf16 autocast) and pure (all bf16); LoRA on a bf16 base with PEFT's fp32 adapters (mixed) or bf16 ones (pure)."""
    torch.manual_seed(0)
    spec = PRESETS["gpt2"]
    cases = []
    for optimizer_name, make in (("adamw", torch.optim.AdamW), ("sgd", torch.optim.SGD)):
        model = build(spec, device_meta=False)
        optimizer = make(model.parameters(), lr=1e-4)
        cases.append({"model": "gpt2", "method": "full", "dtype": "fp32", "precision": "pure", "optimizer": optimizer_name, **one_step(model, optimizer)})
        print(cases[-1], flush=True)
    for precision in PRECISIONS:  # plain full fine-tuning is pure: nothing is cast, no autocast
        model = build(spec, device_meta=False)
        model = model if precision == "mixed" else model.to(torch.bfloat16)
        optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4)
        measured = one_step(model, optimizer, torch.bfloat16 if precision == "mixed" else None)
        cases.append({"model": "gpt2", "method": "full", "dtype": "bf16", "precision": precision, "optimizer": "adamw", **measured})
        print(cases[-1], flush=True)
    for precision in PRECISIONS:  # plain: PEFT's fp32 adapters on the bf16 base, without autocast
        for targets in (["c_attn"], ALL_LINEAR):
            model = build(spec, device_meta=False).to(torch.bfloat16)
            model = get_peft_model(model, LoraConfig(r=8, lora_alpha=8, target_modules=targets))  # adapters cast to fp32
            if precision == "pure":
                cast_trained(model, torch.bfloat16)
            optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-4)
            measured = one_step(model, optimizer, torch.bfloat16 if precision == "mixed" else None)
            cases.append({"model": "gpt2", "method": "lora", "dtype": "bf16", "precision": precision, "optimizer": "adamw", "r": 8,
                          "targets": targets, **measured})
            print(cases[-1], flush=True)
    return cases


# A small model of the OPT family (GPT-3 175B's layout: ReLU MLP, biases, learned positions with an offset of 2,
# tied head): its memory measured like GPT-2's.
OPT_SMALL = ModelSpec("opt-small", "OPT (small)", "opt", 256, 1024, 2, 4, 4, 1000, positions=128)


def opt_memory() -> list[dict]:
    """Full fine-tuning mixed and pure, and LoRA (q_proj, v_proj) mixed and pure, on a small OPT."""
    torch.manual_seed(0)
    cases = []
    spec_fields = {key: getattr(OPT_SMALL, key) for key in ("key", "label", "family", "hidden", "intermediate", "layers", "heads", "kv_heads", "vocab", "positions")}
    for precision in PRECISIONS:
        model = build(OPT_SMALL, device_meta=False)
        model = model if precision == "mixed" else model.to(torch.bfloat16)
        optimizer = torch.optim.AdamW([p for p in model.parameters()], lr=1e-4)
        measured = one_step(model, optimizer, torch.bfloat16 if precision == "mixed" else None)
        cases.append({"model": "opt-small", "spec": spec_fields, "method": "full", "dtype": "bf16", "precision": precision, "optimizer": "adamw", **measured})
        print(cases[-1], flush=True)
        model = get_peft_model(build(OPT_SMALL, device_meta=False).to(torch.bfloat16), LoraConfig(r=8, lora_alpha=8, target_modules=["q_proj", "v_proj"]))
        if precision == "pure":
            cast_trained(model, torch.bfloat16)
        optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-4)
        measured = one_step(model, optimizer, torch.bfloat16 if precision == "mixed" else None)
        cases.append({"model": "opt-small", "spec": spec_fields, "method": "lora", "dtype": "bf16", "precision": precision, "optimizer": "adamw",
                      "r": 8, "targets": ["q_proj", "v_proj"], **measured})
        print(cases[-1], flush=True)
    return cases


QLORA_SPEC = custom_model(hidden=256, intermediate=704, layers=2, heads=8, kv_heads=2, vocab=1000)


def _quantised_bytes(model) -> int:
    """Parameters plus every bitsandbytes quantisation-state tensor, each storage counted once."""
    seen, total = set(), 0
    tensors = list(model.parameters())
    for param in model.parameters():
        state = getattr(param, "quant_state", None)
        if state is not None:
            tensors += [v for v in vars(state).values() if torch.is_tensor(v)]
            if getattr(state, "state2", None) is not None:
                tensors += [v for v in vars(state.state2).values() if torch.is_tensor(v)]
    for tensor in tensors:
        if tensor.data_ptr() not in seen:
            seen.add(tensor.data_ptr())
            total += tensor.numel() * tensor.element_size()
    return total


def bitsandbytes_memory() -> list[dict]:
    """QLoRA (NF4 with double quantisation, bf16 elsewhere) and 8-bit AdamW, measured with bitsandbytes on the CPU."""
    import tempfile

    import bitsandbytes as bnb
    from transformers import AutoModelForCausalLM, BitsAndBytesConfig

    torch.manual_seed(0)
    folder = tempfile.mkdtemp()
    build(QLORA_SPEC, device_meta=False).save_pretrained(folder)  # random weights, saved locally: nothing downloaded
    quantisation = BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_use_double_quant=True,
                                      bnb_4bit_compute_dtype=torch.bfloat16)
    cases = []
    runs = (("adamw", torch.optim.AdamW, "mixed", False, "peft"), ("adamw8bit", bnb.optim.AdamW8bit, "mixed", False, "peft"),
            ("adamw", torch.optim.AdamW, "pure", False, "peft"), ("adamw", torch.optim.AdamW, "mixed", True, "peft"),
            ("adamw", torch.optim.AdamW, "plain", False, "peft"), ("paged_adamw", bnb.optim.PagedAdamW32bit, "mixed", True, "peft"),
            ("paged_adamw", bnb.optim.PagedAdamW32bit, "mixed", True, "paper"), ("adamw", torch.optim.AdamW, "mixed", True, "paper"))
    for optimizer_name, make, precision, prepared, recipe in runs:
        model = AutoModelForCausalLM.from_pretrained(folder, quantization_config=quantisation, dtype=torch.bfloat16, device_map="cpu")
        if prepared:  # what QLoRA recipes call: the weights that are not 4-bit cast to fp32, checkpointing on
            model = prepare_model_for_kbit_training(model)
        model = get_peft_model(model, LoraConfig(r=8, lora_alpha=8, target_modules=ALL_LINEAR))
        if precision == "pure":
            cast_trained(model, torch.bfloat16)
        if recipe == "paper":  # the QLoRA paper's qlora.py: adapters, embeddings and head to bf16, norms fp32
            paper_casts(model)
        # Weights as loaded: on the CPU, bitsandbytes' forward pass later shares some of its small code tables.
        weights = _quantised_bytes(model)
        optimizer = make([p for p in model.parameters() if p.requires_grad], lr=1e-4)
        measured = {**one_step(model, optimizer, torch.bfloat16 if precision == "mixed" else None), "weights": weights}
        cases.append({"model": "custom", "dims": _dims(QLORA_SPEC), "method": "qlora", "dtype": "bf16", "precision": precision,
                      "prepared": prepared, "qlora_recipe": recipe, "optimizer": optimizer_name, "r": 8, "targets": ALL_LINEAR,
                      **measured})
        print(cases[-1], flush=True)
    for optimizer_name, make in (("adamw8bit", bnb.optim.AdamW8bit), ("paged_adamw", bnb.optim.PagedAdamW32bit)):
        model = build(QLORA_SPEC, device_meta=False).to(torch.bfloat16)
        optimizer = make(model.parameters(), lr=1e-4)  # on the CPU, bitsandbytes pages nothing: the same bytes
        cases.append({"model": "custom", "dims": _dims(QLORA_SPEC), "method": "full", "dtype": "bf16", "precision": "pure",
                      "optimizer": optimizer_name, **one_step(model, optimizer)})
        print(cases[-1], flush=True)
    return cases


SERVED = custom_model(hidden=256, intermediate=704, layers=2, heads=8, kv_heads=2, vocab=1000)
FLOAT = {"fp32": torch.float32, "fp16": torch.float16, "bf16": torch.bfloat16}
FLOAT_NAMES = {dtype: name for name, dtype in FLOAT.items()}  # the app's names


def served_adapters() -> list[dict]:
    """An adapter (r = 8 on q_proj, v_proj) saved in each float dtype, then loaded on a bf16 base as a server would:
    the dtype its weights are kept in and their bytes, with PEFT's default autocast_adapter_dtype and without it."""
    cases = []
    for save_dtype, torch_dtype in FLOAT.items():
        with tempfile.TemporaryDirectory() as folder:
            torch.manual_seed(0)
            trained = get_peft_model(build(SERVED, device_meta=False).to(torch.bfloat16),
                                     LoraConfig(r=8, lora_alpha=8, target_modules=["q_proj", "v_proj"]))
            cast_trained(trained, torch_dtype)
            trained.save_pretrained(folder)
            for autocast in (True, False):
                base = build(SERVED, device_meta=False).to(torch.bfloat16)
                served = PeftModel.from_pretrained(base, folder, autocast_adapter_dtype=autocast)
                adapter = [p for name, p in served.named_parameters() if "lora_" in name]
                cases.append({
                    "save_dtype": save_dtype,
                    "autocast_adapter_dtype": autocast,
                    "loaded_dtypes": sorted({FLOAT_NAMES[p.dtype] for p in adapter}),
                    "adapter_params": sum(p.numel() for p in adapter),
                    "adapter_bytes": _bytes(adapter),
                })
                print(cases[-1], flush=True)
    return cases


def _custom_args(spec) -> dict:
    """A custom model's sizes as custom_model's keyword arguments."""
    return dict(hidden=spec.hidden, intermediate=spec.intermediate, layers=spec.layers, heads=spec.heads, kv_heads=spec.kv_heads,
                vocab=spec.vocab, arch=spec.family, positions=spec.positions or 1024, head_dim=spec.head_size,
                tied=spec.tied, qkv_bias=spec.qkv_bias, qk_norm=spec.qk_norm, fused=spec.fused, sandwich=spec.sandwich,
                experts=spec.experts, experts_per_token=spec.experts_per_token, moe_type=spec.moe_type, shared_expert=spec.shared_expert)


def _dims(spec) -> list:
    """A custom model's sizes, as custom_model takes them."""
    return [spec.hidden, spec.intermediate, spec.layers, spec.heads, spec.kv_heads, spec.vocab, spec.family, spec.positions or 1024]


def main(only: str = "") -> None:
    """Write every golden file; with `memory` all but PEFT's counts (they take longest), with `serving` the served adapter
    alone, with `variants` PEFT's counts and arithmetic of the LoRA variants alone (`variant_math`: the arithmetic;
    `pissa_conversion`: PiSSA's adapter converted to serve on the original base)."""
    GOLDEN.mkdir(parents=True, exist_ok=True)
    versions = {"torch": torch.__version__, "transformers": transformers.__version__, "peft": peft.__version__}
    if only == "variant_math":
        (GOLDEN / "variant_math.json").write_text(json.dumps({"versions": versions, **variant_math()}, indent=1) + "\n")
        return
    if only == "pissa_conversion":
        (GOLDEN / "peft_pissa_conversion.json").write_text(json.dumps({"versions": versions, "cases": pissa_conversions()}, indent=1) + "\n")
        return
    if only == "variants":
        (GOLDEN / "peft_variant_counts.json").write_text(json.dumps({"versions": versions, "cases": peft_variant_counts()}, indent=1) + "\n")
        (GOLDEN / "variant_math.json").write_text(json.dumps({"versions": versions, **variant_math()}, indent=1) + "\n")
        (GOLDEN / "peft_pissa_conversion.json").write_text(json.dumps({"versions": versions, "cases": pissa_conversions()}, indent=1) + "\n")
        return
    (GOLDEN / "served_adapter.json").write_text(json.dumps({"versions": versions, "cases": served_adapters()}, indent=1) + "\n")
    if only == "serving":
        return
    if only != "memory":
        (GOLDEN / "peft_counts.json").write_text(json.dumps({"versions": versions, "cases": peft_counts()}, indent=1) + "\n")
        (GOLDEN / "peft_variant_counts.json").write_text(json.dumps({"versions": versions, "cases": peft_variant_counts()}, indent=1) + "\n")
        (GOLDEN / "variant_math.json").write_text(json.dumps({"versions": versions, **variant_math()}, indent=1) + "\n")
        (GOLDEN / "peft_pissa_conversion.json").write_text(json.dumps({"versions": versions, "cases": pissa_conversions()}, indent=1) + "\n")
    versions["bitsandbytes"] = __import__("bitsandbytes").__version__
    cases = torch_memory() + opt_memory() + bitsandbytes_memory()
    (GOLDEN / "torch_memory.json").write_text(json.dumps({"versions": versions, "cases": cases}, indent=1) + "\n")


if __name__ == "__main__":
    main(*sys.argv[1:2])
