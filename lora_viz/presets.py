"""Whole-model presets as data: every weight tensor, with linear layers named as PEFT names them.

Configurations from the models' Hugging Face config.json files (hidden size, intermediate size, layers,
attention and key/value heads, vocabulary, positions, and what the newer families set apart). Module and parameter
names follow the transformers 5 classes (Llama, Mistral, Qwen2, Qwen3, Phi3, Gemma3, Mixtral, Qwen3-MoE, Qwen2-MoE,
GPT-2, OPT, BERT), which is what PEFT matches targets against."""

from __future__ import annotations

from dataclasses import dataclass

ALL_LINEAR = "all-linear"


@dataclass(frozen=True)
class ModelSpec:
    """The dimensions that fix a transformer's weights."""

    key: str
    label: str
    family: str  # "llama" (also Mistral), "gpt2", "opt", "bert", or "matrix" (one linear layer: the matrices page's W)
    hidden: int
    intermediate: int
    layers: int
    heads: int
    kv_heads: int
    vocab: int
    positions: int = 0  # learned position embeddings (GPT-2, OPT, BERT); 0 for rotary
    published_total: int | None = None  # parameter count the model card or config gives
    source: str = ""
    # Where a Llama-layout model departs from Llama-2 (config.json's fields):
    head_size: int = 0  # head_dim when the config sets it apart from hidden ÷ heads (Qwen3, Mistral-Nemo); 0: hidden ÷ heads
    tied: bool = False  # tie_word_embeddings: the output head is the token embedding (Llama-3.2, small Qwens)
    qkv_bias: bool = False  # q, k and v projections with biases (Qwen2, Qwen2.5)
    qk_norm: bool = False  # an RMSNorm over each head of q and of k (Qwen3)
    fused: bool = False  # q, k and v in one qkv_proj, gate and up in one gate_up_proj (Phi-3, Phi-4)
    sandwich: bool = False  # Gemma's block: RMSNorms before and after both attention and the MLP, a GELU-tanh MLP, and
    # the token embedding scaled by √hidden (a buffer, no parameter)
    experts: int = 0  # a mixture of experts: this many MLPs per block, each `intermediate` wide, and a router; 0: dense
    experts_per_token: int = 0  # how many experts the router sends each token to (top-k)
    moe_type: str = "mixtral"  # the transformers class of a mixture (MOE_TYPES): its router, and how PEFT reads all-linear
    shared_expert: int = 0  # an MLP this wide that every token runs through beside its experts, behind a sigmoid gate
    # (Qwen2-MoE's shared_expert_intermediate_size); 0: none

    @property
    def head_dim(self) -> int:
        return self.head_size or self.hidden // self.heads

    @property
    def moe(self) -> bool:
        return self.experts > 0

    @property
    def peft_maps_experts(self) -> bool:
        """PEFT 0.21 reads all-linear on this mixture as transformers 4 named its layers, and so adapts the router and
        the stacked experts (its v4 → v5 conversion covers Mixtral and Qwen3-MoE, not Qwen2-MoE)."""
        return self.moe and self.moe_type in PEFT_MAPPED_MOE


@dataclass(frozen=True)
class Tensor:
    """One weight tensor, repeated `copies` times (once per block for block tensors)."""

    path: str  # module path, with "layers.N." left out for block tensors
    shape: tuple[int, ...]
    copies: int
    kind: str  # "linear" (an nn.Linear's weight), "experts" (stacked), "router", "bias", "embedding", "norm" or "head"

    @property
    def numel(self) -> int:
        n = 1
        for size in self.shape:
            n *= size
        return n

    @property
    def total(self) -> int:
        return self.numel * self.copies


@dataclass(frozen=True)
class Linear:
    """A linear (or GPT-2 Conv1D) layer that LoRA can target: out × in weight, optional bias; or a mixture of experts'
    `experts` out × in weights stacked in one parameter, which PEFT targets as one (lora_A r·experts × in, lora_B
    out × r·experts)."""

    path: str
    in_features: int
    out_features: int
    bias: bool
    copies: int  # how many of them the model has (layers, or 1)
    experts: int = 1  # weights stacked in this one parameter (transformers 5 keeps a block's experts so)
    parts: int = 1  # how many path parts its PEFT target name needs: 2 where the last alone names another layer too

    @property
    def name(self) -> str:
        """The end of the path a PEFT target name matches: its last part (the shared expert's: its last two)."""
        return ".".join(self.path.split(".")[-self.parts:])

    @property
    def stacked(self) -> bool:
        return self.experts > 1

    @property
    def label(self) -> str:
        """Its name, with a stack's depth: one expert's matrix is what a drawing shows."""
        return f"{self.name} ×{self.experts}" if self.stacked else self.name

    @property
    def weight_numel(self) -> int:
        """experts · out · in."""
        return self.experts * self.out_features * self.in_features

    def lora_numel(self, rank: int) -> int:
        """LoRA's parameters on one copy: rank · experts · (in + out)."""
        return rank * self.experts * (self.in_features + self.out_features)


PRESETS: dict[str, ModelSpec] = {
    spec.key: spec
    for spec in (
        ModelSpec("llama-2-7b", "Llama-2-7B", "llama", 4096, 11008, 32, 32, 32, 32000, published_total=6_738_415_616,
                  source="meta-llama/Llama-2-7b-hf config.json"),
        ModelSpec("llama-2-13b", "Llama-2-13B", "llama", 5120, 13824, 40, 40, 40, 32000, published_total=13_015_864_320,
                  source="meta-llama/Llama-2-13b-hf config.json"),
        ModelSpec("llama-65b", "LLaMA-65B", "llama", 8192, 22016, 80, 64, 64, 32000, published_total=65_285_660_672,
                  source="huggyllama/llama-65b config.json (the QLoRA paper's largest base)"),
        ModelSpec("llama-3-8b", "Llama-3-8B", "llama", 4096, 14336, 32, 32, 8, 128256, published_total=8_030_261_248,
                  source="meta-llama/Meta-Llama-3-8B config.json"),
        ModelSpec("mistral-7b", "Mistral-7B-v0.1", "llama", 4096, 14336, 32, 32, 8, 32000, published_total=7_241_732_096,
                  source="mistralai/Mistral-7B-v0.1 config.json"),
        # The models people fine-tune in 2025–2026, each as transformers builds it from its config.json on the meta
        # device (tests/golden/peft_counts.json).
        ModelSpec("llama-3.1-8b", "Llama-3.1-8B", "llama", 4096, 14336, 32, 32, 8, 128256, published_total=8_030_261_248,
                  source="meta-llama/Llama-3.1-8B config.json"),
        ModelSpec("llama-3.1-70b", "Llama-3.1-70B", "llama", 8192, 28672, 80, 64, 8, 128256, published_total=70_553_706_496,
                  source="meta-llama/Llama-3.1-70B config.json"),
        ModelSpec("llama-3.2-1b", "Llama-3.2-1B", "llama", 2048, 8192, 16, 32, 8, 128256, published_total=1_235_814_400,
                  head_size=64, tied=True, source="meta-llama/Llama-3.2-1B config.json (output head tied to the token embedding)"),
        ModelSpec("llama-3.2-3b", "Llama-3.2-3B", "llama", 3072, 8192, 28, 24, 8, 128256, published_total=3_212_749_824,
                  tied=True, source="meta-llama/Llama-3.2-3B config.json (output head tied to the token embedding)"),
        ModelSpec("qwen2.5-7b", "Qwen2.5-7B", "llama", 3584, 18944, 28, 28, 4, 152064, published_total=7_615_616_512,
                  qkv_bias=True, source="Qwen/Qwen2.5-7B config.json (q, k and v with biases)"),
        ModelSpec("qwen3-4b", "Qwen3-4B", "llama", 2560, 9728, 36, 32, 8, 151936, published_total=4_022_468_096,
                  head_size=128, tied=True, qk_norm=True,
                  source="Qwen/Qwen3-4B config.json (head_dim 128, not 2,560 ÷ 32; q/k norms; head tied)"),
        ModelSpec("qwen3-8b", "Qwen3-8B", "llama", 4096, 12288, 36, 32, 8, 151936, published_total=8_190_735_360,
                  head_size=128, qk_norm=True, source="Qwen/Qwen3-8B config.json (q/k norms)"),
        ModelSpec("qwen3-32b", "Qwen3-32B", "llama", 5120, 25600, 64, 64, 8, 151936, published_total=32_762_123_264,
                  head_size=128, qk_norm=True, source="Qwen/Qwen3-32B config.json (head_dim 128, not 5,120 ÷ 64; q/k norms)"),
        ModelSpec("phi-4-mini", "Phi-4-mini", "llama", 3072, 8192, 32, 24, 8, 200064, published_total=3_836_021_760,
                  head_size=128, tied=True, fused=True,
                  source="microsoft/Phi-4-mini-instruct config.json (Phi3ForCausalLM: qkv_proj and gate_up_proj fused; head tied)"),
        ModelSpec("phi-4", "Phi-4 (14B)", "llama", 5120, 17920, 40, 40, 10, 100352, published_total=14_659_507_200, fused=True,
                  source="microsoft/phi-4 config.json (Phi3ForCausalLM: qkv_proj and gate_up_proj fused)"),
        ModelSpec("mistral-nemo-12b", "Mistral-Nemo-12B", "llama", 5120, 14336, 40, 32, 8, 131072, published_total=12_247_782_400,
                  head_size=128, source="mistralai/Mistral-Nemo-Base-2407 config.json (head_dim 128, not 5,120 ÷ 32)"),
        # Gemma 3's text model, as Gemma3ForCausalLM builds it from the checkpoints' text_config (the released
        # Gemma3ForConditionalGeneration adds a SigLIP vision tower, which LoRA recipes for text leave alone).
        ModelSpec("gemma-3-4b", "Gemma-3-4B (text)", "llama", 2560, 10240, 34, 8, 4, 262208, published_total=3_880_263_168,
                  head_size=256, tied=True, qk_norm=True, sandwich=True,
                  source="google/gemma-3-4b-pt config.json, text_config (head_dim 256; q/k norms; norms before and after "
                  "attention and the MLP; head tied)"),
        ModelSpec("gemma-3-12b", "Gemma-3-12B (text)", "llama", 3840, 15360, 48, 16, 8, 262208, published_total=11_766_034_176,
                  head_size=256, tied=True, qk_norm=True, sandwich=True,
                  source="google/gemma-3-12b-pt config.json, text_config (head_dim 256, not 3,840 ÷ 16; q/k norms; "
                  "sandwich norms; head tied)"),
        ModelSpec("gemma-3-27b", "Gemma-3-27B (text)", "llama", 5376, 21504, 62, 32, 16, 262208, published_total=27_009_346_304,
                  head_size=128, tied=True, qk_norm=True, sandwich=True,
                  source="google/gemma-3-27b-pt config.json, text_config (head_dim 128, not 5,376 ÷ 32; q/k norms; "
                  "sandwich norms; head tied)"),
        # Mixtures of experts, as transformers 5 builds them: each block's experts stacked in two 3-D parameters.
        ModelSpec("mixtral-8x7b", "Mixtral-8x7B (MoE)", "llama", 4096, 14336, 32, 32, 8, 32000, published_total=46_702_792_704,
                  experts=8, experts_per_token=2,
                  source="mistralai/Mixtral-8x7B-v0.1 config.json (8 experts, 2 per token; router 4,096 → 8)"),
        ModelSpec("qwen3-30b-a3b", "Qwen3-30B-A3B (MoE)", "llama", 2048, 768, 48, 32, 4, 151936, published_total=30_532_122_624,
                  head_size=128, qk_norm=True, experts=128, experts_per_token=8, moe_type="qwen3_moe",
                  source="Qwen/Qwen3-30B-A3B config.json (128 experts, 8 per token, each moe_intermediate_size 768 "
                  "wide; head_dim 128; q/k norms)"),
        ModelSpec("qwen1.5-moe-a2.7b", "Qwen1.5-MoE-A2.7B (MoE)", "llama", 2048, 1408, 24, 16, 16, 151936,
                  published_total=14_315_784_192, qkv_bias=True, experts=60, experts_per_token=4, moe_type="qwen2_moe",
                  shared_expert=5632, source="Qwen/Qwen1.5-MoE-A2.7B config.json (Qwen2MoeForCausalLM: 60 experts, 4 per "
                  "token, each moe_intermediate_size 1,408 wide, and a shared expert 5,632 wide behind a sigmoid gate; "
                  "q, k and v with biases)"),
        ModelSpec("gpt2", "GPT-2 (124M)", "gpt2", 768, 3072, 12, 12, 12, 50257, positions=1024, published_total=124_439_808,
                  source="openai-community/gpt2 config.json (output head tied to the token embedding)"),
        ModelSpec("bert-base", "BERT-base (BertModel)", "bert", 768, 3072, 12, 12, 12, 30522, positions=512,
                  published_total=109_482_240, source="google-bert/bert-base-uncased config.json"),
        # GPT-3 175B's architecture as OPT released it; 174,604,468,224 as transformers builds it (head tied, each
        # tensor once), the LoRA paper's headline model.
        ModelSpec("opt-175b", "OPT-175B (GPT-3 175B's architecture)", "opt", 12288, 49152, 96, 96, 96, 50272, positions=2048,
                  published_total=174_604_468_224, source="OPTConfig(hidden_size=12288, ffn_dim=49152, 96 layers, 96 heads, "
                  "vocab_size=50272, max_position_embeddings=2048), facebook/opt-175b's sizes"),
    )
}


CUSTOM = "custom"
DEFAULT_TARGETS = {"llama": ("q_proj", "v_proj"), "gpt2": ("c_attn",), "opt": ("q_proj", "v_proj"), "bert": ("query", "value")}  # PEFT's
FUSED_DEFAULT_TARGETS = ("qkv_proj",)  # PEFT names none for Phi-3 (target_modules must be given): the fused attention


def default_targets(spec: ModelSpec) -> tuple[str, ...]:
    """PEFT's default target modules for the model (for a fused layout, which PEFT has none for: qkv_proj)."""
    return FUSED_DEFAULT_TARGETS if spec.fused else DEFAULT_TARGETS[spec.family]
ARCHS = ("llama", "gpt2")  # the layouts a custom model can take
OPT_POSITION_OFFSET = 2  # OPT's learned position table has two rows more than its maximum length


def custom_model(hidden: int, intermediate: int, layers: int, heads: int, kv_heads: int, vocab: int,
                 arch: str = "llama", positions: int = 1024, head_dim: int = 0, tied: bool = False, qkv_bias: bool = False,
                 qk_norm: bool = False, fused: bool = False, sandwich: bool = False, experts: int = 0,
                 experts_per_token: int = 0, moe_type: str = "mixtral", shared_expert: int = 0) -> ModelSpec:
    """A model from typed dimensions: Llama-style (SwiGLU, RMSNorm, rotary, GQA; untied head unless `tied`, and
    head_dim, q/k/v biases, q/k norms, fused projections, Gemma's block and a mixture of experts as the newer families
    set them) or GPT-2-style (GELU, biases, LayerNorm, learned positions, tied head; every head is its own key/value head)."""
    if arch == "gpt2":
        return ModelSpec(CUSTOM, "Custom (GPT-2-style)", "gpt2", hidden, intermediate, layers, heads, heads, vocab,
                         positions=positions, source="typed in")
    return ModelSpec(CUSTOM, "Custom (Llama-style)", "llama", hidden, intermediate, layers, heads, kv_heads, vocab, source="typed in",
                     head_size=head_dim, tied=tied, qkv_bias=qkv_bias, qk_norm=qk_norm, fused=fused, sandwich=sandwich,
                     experts=experts, experts_per_token=experts_per_token if experts else 0, moe_type=moe_type,
                     shared_expert=shared_expert if experts else 0)


ROUTER = "gate"  # a mixture of experts' router, as transformers and PEFT name it
MOE_TYPES = ("mixtral", "qwen3_moe", "qwen2_moe")  # the mixtures' transformers classes (config.json's model_type)
PEFT_MAPPED_MOE = ("mixtral", "qwen3_moe")  # those whose all-linear PEFT 0.21 maps onto the router and the experts
EXPERT_GATE_UP = "gate_up_proj"  # the experts' gate and up projections, stacked (E × 2i × h)
MATRIX = "w"  # the one layer of a lone matrix, and its PEFT target name


def one_matrix(d: int, k: int) -> ModelSpec:
    """W (d×k, no bias) as a model of one linear layer, k in and d out: how the matrices page prices it."""
    return ModelSpec("matrix", f"W ({d:,}×{k:,})", "matrix", hidden=k, intermediate=d, layers=1, heads=1, kv_heads=1, vocab=0)


def linear_layers(spec: ModelSpec) -> tuple[Linear, ...]:
    """Every LoRA-targetable layer, in the order the model runs them."""
    h, i, n = spec.hidden, spec.intermediate, spec.layers
    if spec.family == "matrix":
        return (Linear(MATRIX, h, i, False, 1),)
    if spec.family == "llama" and spec.fused:  # Phi-3's layout: one projection for q, k and v, one for gate and up
        q, kv = spec.heads * spec.head_dim, spec.kv_heads * spec.head_dim
        return (
            Linear("self_attn.qkv_proj", h, q + 2 * kv, False, n),
            Linear("self_attn.o_proj", q, h, False, n),
            Linear("mlp.gate_up_proj", h, 2 * i, False, n),
            Linear("mlp.down_proj", i, h, False, n),
        )
    if spec.family == "llama":
        kv = spec.kv_heads * spec.head_dim
        attention = (
            Linear("self_attn.q_proj", h, spec.heads * spec.head_dim, spec.qkv_bias, n),
            Linear("self_attn.k_proj", h, kv, spec.qkv_bias, n),
            Linear("self_attn.v_proj", h, kv, spec.qkv_bias, n),
            Linear("self_attn.o_proj", spec.heads * spec.head_dim, h, False, n),
        )
        if spec.moe:  # transformers 5: the router's E × h weight, and each block's experts stacked in two parameters
            shared = spec.shared_expert
            return (*attention,
                    Linear(f"mlp.{ROUTER}", h, spec.experts, False, n),
                    Linear(f"mlp.experts.{EXPERT_GATE_UP}", h, 2 * i, False, n, spec.experts),
                    Linear("mlp.experts.down_proj", i, h, False, n, spec.experts),
                    *((Linear("mlp.shared_expert.gate_proj", h, shared, False, n, parts=2),
                       Linear("mlp.shared_expert.up_proj", h, shared, False, n, parts=2),
                       Linear("mlp.shared_expert.down_proj", shared, h, False, n, parts=2),
                       Linear("mlp.shared_expert_gate", h, 1, False, n)) if shared else ()))
        return (*attention,
                Linear("mlp.gate_proj", h, i, False, n),
                Linear("mlp.up_proj", h, i, False, n),
                Linear("mlp.down_proj", i, h, False, n))
    if spec.family == "gpt2":
        return (
            Linear("attn.c_attn", h, 3 * h, True, n),  # q, k and v fused in one Conv1D
            Linear("attn.c_proj", h, h, True, n),
            Linear("mlp.c_fc", h, i, True, n),
            Linear("mlp.c_proj", i, h, True, n),
        )
    if spec.family == "opt":  # a ReLU MLP
        return _biased_block(("self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.out_proj", "fc1", "fc2"), h, i, n)
    if spec.family == "bert":
        block = _biased_block(("attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense",
                               "intermediate.dense", "output.dense"), h, i, n)
        return (*block, Linear("pooler.dense", h, h, True, 1))  # outside the blocks; PEFT's all-linear includes it
    raise ValueError(f"unknown family {spec.family!r}")


def _biased_block(paths: tuple[str, ...], h: int, i: int, n: int) -> tuple[Linear, ...]:
    """A block of OPT's or BERT's shape, all with biases: query, key, value and output (h → h), then h → i and i → h."""
    *attention, up, down = paths
    return (*(Linear(path, h, h, True, n) for path in attention), Linear(up, h, i, True, n), Linear(down, i, h, True, n))


def base_tensors(spec: ModelSpec) -> tuple[Tensor, ...]:
    """Every weight tensor of the model, counted once even when shared (GPT-2's tied output head)."""
    h, n = spec.hidden, spec.layers
    if spec.family == "matrix":  # W alone: no embeddings, norms or head around it
        return tuple(Tensor(layer.path + ".weight", (layer.out_features, layer.in_features), 1, "linear") for layer in linear_layers(spec))
    tensors = [Tensor("embed_tokens", (spec.vocab, h), 1, "embedding")]
    if spec.positions:
        rows = spec.positions + (OPT_POSITION_OFFSET if spec.family == "opt" else 0)
        tensors.append(Tensor("embed_positions", (rows, h), 1, "embedding"))
    for layer in linear_layers(spec):
        if layer.stacked:  # a parameter of its own, not a module's weight
            tensors.append(Tensor(layer.path, (layer.experts, layer.out_features, layer.in_features), layer.copies, "experts"))
            continue
        kind = "router" if spec.moe and layer.name == ROUTER else "linear"  # the router is a module of its own, not nn.Linear
        tensors.append(Tensor(layer.path + ".weight", (layer.out_features, layer.in_features), layer.copies, kind))
        if layer.bias:
            tensors.append(Tensor(layer.path + ".bias", (layer.out_features,), layer.copies, "bias"))
    if spec.family == "llama":  # RMSNorm: weight only; the output head untied unless the config ties it
        tensors += [Tensor("input_layernorm", (h,), n, "norm"), Tensor("post_attention_layernorm", (h,), n, "norm"),
                    Tensor("norm", (h,), 1, "norm")]
        if spec.sandwich:  # Gemma normalises the MLP's input and output too
            tensors += [Tensor("pre_feedforward_layernorm", (h,), n, "norm"), Tensor("post_feedforward_layernorm", (h,), n, "norm")]
        if spec.qk_norm:  # one weight per head dimension, shared by every head
            tensors += [Tensor("self_attn.q_norm", (spec.head_dim,), n, "norm"), Tensor("self_attn.k_norm", (spec.head_dim,), n, "norm")]
        if not spec.tied:
            tensors.append(Tensor("lm_head", (spec.vocab, h), 1, "head"))
    elif spec.family == "gpt2":  # LayerNorm weight and bias; the head is the token embedding, tied
        for name, copies in (("ln_1", n), ("ln_2", n), ("ln_f", 1)):
            tensors += [Tensor(name + ".weight", (h,), copies, "norm"), Tensor(name + ".bias", (h,), copies, "norm")]
    elif spec.family == "opt":  # LayerNorm before attention and MLP, and a final one; the head tied to the embedding
        for name, copies in (("self_attn_layer_norm", n), ("final_layer_norm", n), ("decoder.final_layer_norm", 1)):
            tensors += [Tensor(name + ".weight", (h,), copies, "norm"), Tensor(name + ".bias", (h,), copies, "norm")]
    elif spec.family == "bert":
        tensors.append(Tensor("embed_token_type", (2, h), 1, "embedding"))
        for name, copies in (("embeddings.LayerNorm", 1), ("attention.output.LayerNorm", n), ("output.LayerNorm", n)):
            tensors += [Tensor(name + ".weight", (h,), copies, "norm"), Tensor(name + ".bias", (h,), copies, "norm")]
    return tuple(tensors)


def total_params(spec: ModelSpec) -> int:
    """All base parameters, a shared tensor once."""
    return sum(t.total for t in base_tensors(spec))


def active_params(spec: ModelSpec) -> int:
    """The parameters one token runs through: all of them, less, in a mixture of experts, the experts it is not routed
    to: total − layers · (E − k) · (the stacked experts' parameters ÷ E)."""
    idle = spec.experts - spec.experts_per_token
    stacked = sum(layer.weight_numel // layer.experts * layer.copies for layer in linear_layers(spec) if layer.stacked)
    return total_params(spec) - idle * stacked


def wrapped_names(spec: ModelSpec) -> set[str]:
    """A mixture of experts' targets that are parameters, not nn.Linear modules (PEFT's ParamWrapper): the router and
    the stacked experts; none in a dense model."""
    return {layer.name for layer in linear_layers(spec) if layer.stacked or layer.name == ROUTER} if spec.moe else set()


def peft_targets(spec: ModelSpec, targets: tuple[str, ...]) -> tuple[str | list[str], list[str]]:
    """LoraConfig's target_modules and target_parameters for chosen targets: a mixture of experts' stacked experts and
    its router are parameters, named by their path in the block (PEFT's ParamWrapper; the router is no nn.Linear);
    every other target is a module name."""
    if ALL_LINEAR in targets:
        return ALL_LINEAR, []
    wrapped = {layer.name: layer.path if layer.stacked else layer.path + ".weight"
               for layer in linear_layers(spec) if layer.name in wrapped_names(spec)}
    return [t for t in targets if t not in wrapped], [wrapped[t] for t in targets if t in wrapped]


def target_names(spec: ModelSpec) -> tuple[str, ...]:
    """The distinct names a PEFT target list can use for this model, in model order."""
    return tuple(dict.fromkeys(layer.name for layer in linear_layers(spec)))


def resolve_targets(spec: ModelSpec, targets: tuple[str, ...]) -> tuple[str, ...]:
    """Target names in model order; 'all-linear' means every linear layer but the output head (PEFT's rule), and in
    Mixtral and Qwen3-MoE the router and the stacked experts too (PEFT maps transformers 4's linear experts onto them;
    in Qwen2-MoE it does not, and the shared expert's layers are the MLP's only linear ones)."""
    names = target_names(spec)
    if ALL_LINEAR in targets and spec.moe and not spec.peft_maps_experts:  # nn.Linear layers only
        return tuple(n for n in names if n not in wrapped_names(spec))
    return names if ALL_LINEAR in targets else tuple(n for n in names if n in targets)


def adapter_ranks(spec: ModelSpec, r: int, targets: tuple[str, ...]) -> dict[str, int]:
    """Each targeted layer's rank, by name: r, but 2r on a mixture of experts' stacked gate_up_proj under all-linear.

    PEFT reads all-linear as transformers 4's modules, where gate and up were separate linear experts of rank r each,
    and joins their two adapters on the stacked gate_up_proj as one of rank 2r (and α 2α, so α/r is unchanged)."""
    joined = ALL_LINEAR in targets and spec.peft_maps_experts
    return {name: 2 * r if joined and name == EXPERT_GATE_UP else r for name in resolve_targets(spec, targets)}
