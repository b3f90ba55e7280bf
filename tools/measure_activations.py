"""Measure what PyTorch saves for backward in one training forward pass (dev only; writes a golden file).

    pip install -r requirements-tools.txt && python tools/measure_activations.py [dora]

For small random-weight transformers models of each family (Llama, GPT-2, OPT, BERT, with their released
dropout; Llama's layout as Qwen2, Qwen3, Phi-3, Gemma 3, Mixtral, Qwen3-MoE and Qwen2-MoE build it), both attention kernels (SDPA, transformers' default, and eager), full fine-tuning, LoRA (r = 8, on all
linear layers and on PEFT's default targets) and QLoRA (Llama: NF4 base through bitsandbytes, as loaded and as
prepare_model_for_kbit_training leaves it), mixed, pure and plain precision as the app defines them (see `build`),
several batch and sequence sizes, LoRA dropout (PEFT's lora_dropout 0.05 and 0.1, against its default 0), the
model's own dropout turned off, padded batches (an attention mask with padding), and the QLoRA paper's recipe (its
casts after preparing the model), one forward pass runs inside torch.autograd.graph.saved_tensors_hooks; every
saved tensor's storage is counted once (by data pointer) and parameters' storages are left out. Each model is
measured with 1 and with 2 layers (`layers_1`, `layers_2`), which separates one layer from what lies outside the
layers.

On the CPU, SDPA with attention dropout > 0 falls back to a kernel that stores the scores, which CUDA's flash
kernel does not: attention dropout is 0 under SDPA. With gradient checkpointing (model.gradient_checkpointing_enable)
the hooks see what the forward keeps outside the checkpoints and each checkpoint's hidden-state input, not the
inputs a checkpoint holds in its closure (the rotary tables) nor the layer recomputed in backward (that is one
layer, measured without checkpointing).
"""

from __future__ import annotations

import json
import tempfile
import weakref
from pathlib import Path

import bitsandbytes
import peft
import torch
import transformers
from peft import LoraConfig, get_peft_model
from peft import prepare_model_for_kbit_training
from transformers import (BertConfig, BertModel, BitsAndBytesConfig, Gemma3ForCausalLM, Gemma3TextConfig, GPT2Config,
                          GPT2LMHeadModel, LlamaConfig, LlamaForCausalLM, MixtralConfig, MixtralForCausalLM, OPTConfig,
                          OPTForCausalLM, Phi3Config, Phi3ForCausalLM, Qwen2Config, Qwen2ForCausalLM, Qwen2MoeConfig,
                          Qwen2MoeForCausalLM, Qwen3Config, Qwen3ForCausalLM, Qwen3MoeConfig, Qwen3MoeForCausalLM)

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "tests" / "golden" / "activations.json"
DORA_OUT = ROOT / "tests" / "golden" / "activations_dora.json"
SIZES = ((1, 64), (2, 64), (1, 128))  # (batch, sequence)
VOCAB = 1000
PRECISIONS = ("pure", "mixed", "plain")  # as lora_viz.names has them
MOE, EXPERTS = ("mixtral", "qwen3_moe", "qwen2_moe"), ("gate_up_proj", "down_proj")
WRAPPED = {"gate": "mlp.gate.weight", **{name: f"mlp.experts.{name}" for name in EXPERTS}}  # as lora_viz.presets.peft_targets
SHARED = ["shared_expert.gate_proj", "shared_expert.up_proj", "shared_expert.down_proj", "shared_expert_gate"]  # Qwen2-MoE's  # mixtures of experts, and their stacked experts
DEFAULT_TARGETS = {"llama": ["q_proj", "v_proj"], "gpt2": ["c_attn"], "opt": ["q_proj", "v_proj"], "bert": ["query", "value"],
                   "qwen2": ["q_proj", "v_proj"], "qwen3": ["q_proj", "v_proj"], "phi3": ["qkv_proj"],
                   "gemma3": ["q_proj", "v_proj"], "mixtral": ["q_proj", "v_proj"], "qwen3_moe": ["q_proj", "v_proj"],
                   "qwen2_moe": ["q_proj", "v_proj"]}


def config(family: str, layers: int, attention: str, model_dropout: bool = True):
    """A small config of the family with its released dropout (or none); attention dropout 0 under SDPA (see the
    module's note)."""
    cls, cfg = _released(family, layers, attention)
    if not model_dropout:
        for name in ("attn_pdrop", "resid_pdrop", "embd_pdrop", "dropout", "attention_dropout", "hidden_dropout_prob",
                     "attention_probs_dropout_prob", "activation_dropout"):
            if hasattr(cfg, name):
                setattr(cfg, name, 0.0)
    return cls, cfg


def _released(family: str, layers: int, attention: str):
    if family == "qwen2":  # Llama's layout with q, k and v biases
        return Qwen2ForCausalLM, Qwen2Config(hidden_size=256, intermediate_size=688, num_hidden_layers=layers, num_attention_heads=4,
                                             num_key_value_heads=2, vocab_size=VOCAB, tie_word_embeddings=False, attn_implementation=attention)
    if family == "qwen3":  # q/k norms, a head_dim apart from hidden ÷ heads (96, not 64), and a tied head
        return Qwen3ForCausalLM, Qwen3Config(hidden_size=256, intermediate_size=688, num_hidden_layers=layers, num_attention_heads=4,
                                             num_key_value_heads=2, head_dim=96, vocab_size=VOCAB, tie_word_embeddings=True,
                                             attn_implementation=attention)
    if family == "phi3":  # q, k and v in one qkv_proj, gate and up in one gate_up_proj; no dropout
        return Phi3ForCausalLM, Phi3Config(hidden_size=256, intermediate_size=688, num_hidden_layers=layers, num_attention_heads=4,
                                           num_key_value_heads=2, vocab_size=VOCAB, tie_word_embeddings=False, resid_pdrop=0.0,
                                           embd_pdrop=0.0, attention_dropout=0.0, attn_implementation=attention,
                                           pad_token_id=0, bos_token_id=0, eos_token_id=0)
    if family == "gemma3":  # Gemma 3's text model: sandwich norms, GELU-tanh, q/k norms, head_dim 96, a tied head
        return Gemma3ForCausalLM, Gemma3TextConfig(hidden_size=256, intermediate_size=688, num_hidden_layers=layers, num_attention_heads=4,
                                                   num_key_value_heads=2, head_dim=96, vocab_size=VOCAB, attn_implementation=attention)
    if family == "mixtral":  # 4 experts, 2 per token, each 688 wide
        return MixtralForCausalLM, MixtralConfig(hidden_size=256, intermediate_size=688, num_hidden_layers=layers, num_attention_heads=4,
                                                 num_key_value_heads=2, vocab_size=VOCAB, num_local_experts=4, num_experts_per_tok=2,
                                                 attn_implementation=attention)
    if family == "qwen3_moe":  # 8 experts, 2 per token, each 176 wide; q/k norms, head_dim 96
        return Qwen3MoeForCausalLM, Qwen3MoeConfig(hidden_size=256, intermediate_size=688, moe_intermediate_size=176,
                                                   num_hidden_layers=layers, num_attention_heads=4, num_key_value_heads=2,
                                                   head_dim=96, vocab_size=VOCAB, num_experts=8, num_experts_per_tok=2,
                                                   norm_topk_prob=True, attn_implementation=attention)  # as Qwen3-30B-A3B
    if family == "qwen2_moe":  # 8 experts, 2 per token, each 176 wide, a shared expert 344 wide; q, k, v biases
        return Qwen2MoeForCausalLM, Qwen2MoeConfig(hidden_size=256, intermediate_size=688, moe_intermediate_size=176,
                                                   shared_expert_intermediate_size=344, num_hidden_layers=layers,
                                                   num_attention_heads=4, num_key_value_heads=2, vocab_size=VOCAB, num_experts=8,
                                                   num_experts_per_tok=2, norm_topk_prob=False, tie_word_embeddings=False,
                                                   attn_implementation=attention)  # as Qwen1.5-MoE-A2.7B
    if family == "llama":
        return LlamaForCausalLM, LlamaConfig(hidden_size=256, intermediate_size=688, num_hidden_layers=layers, num_attention_heads=4,
                                             num_key_value_heads=2, vocab_size=VOCAB, tie_word_embeddings=False, attn_implementation=attention)
    if family == "gpt2":
        return GPT2LMHeadModel, GPT2Config(n_embd=256, n_inner=1024, n_layer=layers, n_head=4, vocab_size=VOCAB, n_positions=256,
                                           attn_pdrop=0.0 if attention == "sdpa" else 0.1, attn_implementation=attention)
    if family == "opt":
        return OPTForCausalLM, OPTConfig(hidden_size=256, ffn_dim=1024, num_hidden_layers=layers, num_attention_heads=4, vocab_size=VOCAB,
                                         max_position_embeddings=256, word_embed_proj_dim=256,
                                         dropout=0.1, attention_dropout=0.0, attn_implementation=attention)
    return BertModel, BertConfig(hidden_size=256, intermediate_size=1024, num_hidden_layers=layers, num_attention_heads=4, vocab_size=VOCAB,
                                 max_position_embeddings=256, attention_probs_dropout_prob=0.0 if attention == "sdpa" else 0.1,
                                 attn_implementation=attention)


def write_golden(out: Path, doc: str, cases: list[dict]) -> None:
    """A golden file: the libraries' versions, how it was measured (the doc's second paragraph) and the cases."""
    versions = {"torch": torch.__version__, "transformers": transformers.__version__, "peft": peft.__version__,
                "bitsandbytes": bitsandbytes.__version__}
    note = " ".join(doc.split("\n\n")[1].split())
    out.write_text(json.dumps({"versions": versions, "note": note, "cases": cases}, indent=1) + "\n")


def saved_bytes(model, batch: int, seq: int, autocast: bool, padded: bool = False) -> int:
    """Bytes of every storage saved for backward in one forward pass and still held when the forward ends (a branch
    of the graph the forward discards frees what it saved, and its memory may be reused), each once, parameters left
    out (as they are when the forward ends: bitsandbytes casts a 4-bit layer's bias to the input's dtype in its
    forward, and the freed storage's address may be reused). Padded: the last sequence of the batch is half padding
    (on the right), with its attention mask and its labels ignored."""
    packed: list[weakref.ref] = []

    def pack(tensor):
        packed.append(weakref.ref(tensor))  # the graph holds what pack returns, as long as it needs it
        return tensor

    ids = torch.randint(0, VOCAB, (batch, seq))
    mask = torch.ones(batch, seq, dtype=torch.long)
    if padded:
        mask[-1, seq // 2:] = 0
    inputs = {"input_ids": ids, "attention_mask": mask} if padded else {"input_ids": ids}
    with torch.autograd.graph.saved_tensors_hooks(pack, lambda tensor: tensor):
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=autocast):
            if getattr(model.config, "model_type", "") == "bert":  # a bare encoder: no logits, no loss
                output = model(**inputs).last_hidden_state.float().sum()
            else:
                output = model(**inputs, labels=ids.masked_fill(mask == 0, -100)).loss
    params = {p.untyped_storage().data_ptr() for p in model.parameters()}
    seen = {}
    for ref in packed:
        tensor = ref()
        if tensor is not None and tensor.untyped_storage().data_ptr() not in params:
            storage = tensor.untyped_storage()
            seen[storage.data_ptr()] = max(seen.get(storage.data_ptr(), 0), storage.nbytes())
    del tensor
    output.backward()
    return sum(seen.values())


def build(family: str, attention: str, method: str, precision: str, layers: int, targets="all-linear", prepared: bool = True,
          checkpointing: bool = False, lora_dropout: float = 0.0, model_dropout: bool = True, qlora_recipe: str = "peft",
          variant: str = "lora"):
    """The model in the app's recipe (lora_viz.numbers.memory.trained_dtype): full fine-tuning mixed keeps fp32 weights
    (bf16 autocast), pure and plain all bf16; LoRA keeps a bf16 base with PEFT's fp32 adapters (mixed, under
    autocast; plain, without it: PEFT's defaults) or with the adapters cast to bf16 (pure); QLoRA loads the base
    in NF4 (double quantisation, bf16 compute)."""
    torch.manual_seed(0)
    cls, cfg = config(family, layers, attention, model_dropout)
    model = cls(cfg)
    if method == "qlora":
        with tempfile.TemporaryDirectory() as folder:
            model.save_pretrained(folder)
            quantised = BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_use_double_quant=True,
                                           bnb_4bit_compute_dtype=torch.bfloat16)
            model = cls.from_pretrained(folder, quantization_config=quantised, dtype=torch.bfloat16, attn_implementation=attention)
        if prepared:
            model = prepare_model_for_kbit_training(model, use_gradient_checkpointing=False)
    elif method == "lora" or precision in ("pure", "plain"):  # plain full fine-tuning is pure
        model = model.to(torch.bfloat16)
    if checkpointing:
        model.gradient_checkpointing_enable()
    if method != "full":
        modules, parameters = targets, None
        if family in MOE and targets != "all-linear":  # the stacked experts and the router are parameters, not modules
            modules = [name for name in targets if name not in WRAPPED]
            parameters = [WRAPPED[name] for name in targets if name in WRAPPED]
        model = get_peft_model(model, LoraConfig(r=8, lora_alpha=8, target_modules=modules, target_parameters=parameters or None,
                                                 lora_dropout=lora_dropout, use_dora=variant == "dora"))  # fp32 adapters
        if precision == "pure":
            for param in model.parameters():
                if param.requires_grad:
                    param.data = param.data.to(torch.bfloat16)
        if qlora_recipe == "paper":
            paper_casts(model)
    return model.train()


def paper_casts(model) -> None:
    """What the QLoRA paper's qlora.py does after get_peft_model: LoRA layers, embeddings and head to bf16, norms fp32."""
    from peft.tuners.lora import LoraLayer

    for name, module in model.named_modules():
        if isinstance(module, LoraLayer) or "lm_head" in name or "embed_tokens" in name:
            module.to(torch.bfloat16)
        if "norm" in name:
            module.to(torch.float32)


def case(family: str, attention: str, method: str, precision: str, batch: int, seq: int, targets="all-linear",
         prepared: bool = True, checkpointing: bool = False, lora_dropout: float = 0.0, model_dropout: bool = True,
         padded: bool = False, qlora_recipe: str = "peft", variant: str = "lora") -> dict:
    """One measured case: the saved bytes with one and with two layers."""
    totals = [saved_bytes(build(family, attention, method, precision, layers, targets, prepared, checkpointing, lora_dropout,
                                model_dropout, qlora_recipe, variant), batch, seq, autocast=precision == "mixed", padded=padded)
              for layers in (1, 2)]
    found = {"family": family, "attention": attention, "method": method, "precision": precision, "batch": batch, "seq": seq,
             "targets": targets if isinstance(targets, str) else ",".join(targets), "prepared": prepared,
             "checkpointing": checkpointing, "lora_dropout": lora_dropout, "model_dropout": model_dropout, "padded": padded, "qlora_recipe": qlora_recipe,
             **({"variant": variant} if variant != "lora" else {}), "layers_1": totals[0], "layers_2": totals[1]}
    print(found, flush=True)
    return found


def main() -> None:
    cases = []
    for family in ("llama", "gpt2", "opt", "bert"):
        for attention in ("sdpa", "eager"):
            for precision in PRECISIONS:
                for batch, seq in SIZES:
                    if precision != "plain":  # plain full fine-tuning is pure (measured once, with checkpointing, below)
                        cases.append(case(family, attention, "full", precision, batch, seq))
                    cases.append(case(family, attention, "lora", precision, batch, seq))
                    cases.append(case(family, attention, "lora", precision, batch, seq, DEFAULT_TARGETS[family]))
                    if family == "llama":
                        for prepared in (True, False):
                            cases.append(case(family, attention, "qlora", precision, batch, seq, prepared=prepared))
        for precision in PRECISIONS:
            for method in ("full", "lora") + (("qlora",) if family == "llama" else ()):
                cases.append(case(family, "sdpa", method, precision, 1, 64, checkpointing=True))
            # PEFT's lora_dropout (the QLoRA scripts' 0.05): every target drops its own copy of its input
            for targets in ("all-linear", DEFAULT_TARGETS[family]):
                cases.append(case(family, "sdpa", "lora", precision, 2, 64, targets, lora_dropout=0.05))
            cases.append(case(family, "eager", "lora", precision, 1, 64, lora_dropout=0.1))
            if family == "llama":
                for prepared in (True, False):
                    cases.append(case(family, "sdpa", "qlora", precision, 2, 64, prepared=prepared, lora_dropout=0.05))
            else:  # the model's own dropout turned off, as many fine-tuning recipes do
                for attention in ("sdpa", "eager"):
                    for method in ("full", "lora"):
                        cases.append(case(family, attention, method, precision, 1, 64, model_dropout=False))
            # A padded batch: an attention mask with padding in it
            for attention in ("sdpa", "eager"):
                for method in ("full", "lora") + (("qlora",) if family == "llama" else ()):
                    cases.append(case(family, attention, method, precision, 2, 64, padded=True))
            cases.append(case(family, "sdpa", "lora", precision, 2, 50, DEFAULT_TARGETS[family], padded=True))
    # Llama's layout as Qwen2 (q, k, v biases), Qwen3 (q/k norms, head_dim set apart, tied head), Phi-3 (fused
    # qkv_proj and gate_up_proj), Gemma 3 (sandwich norms, GELU-tanh, a scaled embedding) and the mixtures of experts
    # (Mixtral, Qwen3-MoE: a router and stacked experts) change it
    for family in ("qwen2", "qwen3", "phi3", "gemma3", *MOE):
        for attention in ("sdpa", "eager"):
            for precision in PRECISIONS:
                if precision != "plain":
                    cases.append(case(family, attention, "full", precision, 2, 64))
                cases.append(case(family, attention, "lora", precision, 2, 64))
                cases.append(case(family, attention, "lora", precision, 1, 64, DEFAULT_TARGETS[family]))
        for prepared in (True, False):
            cases.append(case(family, "sdpa", "qlora", "mixed", 1, 64, prepared=prepared))
        cases.append(case(family, "sdpa", "lora", "mixed", 1, 64, checkpointing=True))
        cases.append(case(family, "sdpa", "full", "mixed", 1, 64, checkpointing=True))
        if family in MOE:  # the router alone, the stacked experts alone (PEFT's target_parameters), and both with q and v
            for precision in PRECISIONS:
                for targets in (["gate"], list(EXPERTS), ["down_proj"], ["q_proj", "v_proj", "gate", "gate_up_proj"],
                                *((SHARED,) if family == "qwen2_moe" else ())):
                    cases.append(case(family, "sdpa", "lora", precision, 2, 64, targets))
            cases.append(case(family, "sdpa", "qlora", "mixed", 2, 64, ["q_proj", "v_proj", "gate"]))
            cases.append(case(family, "sdpa", "qlora", "mixed", 1, 64, ["q_proj", "v_proj"]))  # a frozen fp32 router
    # The QLoRA paper's recipe (qlora.py): prepared, then adapters, embeddings and head cast to bf16; it trains under
    # bf16 autocast (without it, the bf16 head cannot read the fp32 norm's output)
    for attention in ("sdpa", "eager"):
        for batch, seq in SIZES:
            for targets in ("all-linear", DEFAULT_TARGETS["llama"]):
                cases.append(case("llama", attention, "qlora", "mixed", batch, seq, targets, qlora_recipe="paper"))
    cases.append(case("llama", "sdpa", "qlora", "mixed", 1, 64, checkpointing=True, qlora_recipe="paper"))
    cases.append(case("llama", "sdpa", "qlora", "mixed", 2, 64, lora_dropout=0.05, qlora_recipe="paper"))
    cases.append(case("llama", "sdpa", "qlora", "mixed", 2, 64, padded=True, qlora_recipe="paper"))
    write_golden(OUT, __doc__, cases)


def dora() -> None:
    """DoRA (PEFT's use_dora=True) on every family, precision and kernel, with and without LoRA dropout (which makes
    PEFT recompute the base's output from a copy of its weight), QLoRA's NF4 base, and gradient checkpointing."""
    cases = []
    for family in ("llama", "gpt2", "opt", "bert"):
        for precision in PRECISIONS:
            for targets in ("all-linear", DEFAULT_TARGETS[family]):
                for lora_dropout in (0.0, 0.05):
                    cases.append(case(family, "sdpa", "lora", precision, 2, 64, targets, lora_dropout=lora_dropout, variant="dora"))
            cases.append(case(family, "eager", "lora", precision, 1, 64, variant="dora"))
            if family == "llama":
                for prepared in (True, False):
                    cases.append(case(family, "sdpa", "qlora", precision, 1, 64, prepared=prepared, variant="dora"))
        cases.append(case(family, "sdpa", "lora", "mixed", 1, 64, checkpointing=True, variant="dora"))
    for family in ("qwen2", "qwen3", "phi3", "gemma3"):
        for precision in PRECISIONS:
            cases.append(case(family, "sdpa", "lora", precision, 2, 64, variant="dora"))
    write_golden(DORA_OUT, __doc__, cases)


if __name__ == "__main__":
    import sys

    dora() if sys.argv[1:] == ["dora"] else main()
