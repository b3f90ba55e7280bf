"""Activations: the tensors PyTorch keeps for backward in one training step of a transformers model.

Derived op by op from what transformers' forward and PyTorch's autograd save (each storage once, parameters left
out), per family, method, precision and attention kernel, and checked to the byte against one real forward pass of
small random-weight models (tools/measure_activations.py, tests/golden/activations.json).

Notation: T = batch·seq tokens, h hidden, i intermediate, a heads, kv key/value heads, d head size, V vocabulary,
e the compute dtype's bytes (2 for bf16), x the hidden stream's bytes (4 when the hidden stream is fp32: full
fine-tuning under mixed precision, or QLoRA prepared; else e).

Two sets of kernels are told apart (`device`): the app shows CUDA's, the golden measurements are the CPU's.
- Dropout (the model's own, and PEFT's lora_dropout): CUDA's fused kernel keeps a 1-byte mask (native_dropout
  returns a bool mask, aten/src/ATen/native/cuda/Dropout.cu, and its backward reads only that: derivatives.yaml);
  the CPU path keeps the scaled noise in the input's dtype (measured).
- LayerNorm: CUDA keeps its mean and 1/σ in fp32; the CPU kernel in the input's dtype.
- Softmax under autocast: CUDA runs it in fp32; the CPU in the scores' dtype.
- GPT-2's q, k, v are strided views of one fused output: the CPU's SDPA copies two of them, CUDA's kernels do not.
Under SDPA attention dropout costs nothing on CUDA (the flash kernel keeps a random seed): the measurements use
attention dropout 0 under SDPA for that reason. CUDA's autocast also runs LayerNorm and pow in fp32, which these
rules do not follow (GPT-2, OPT and BERT under mixed precision keep the CPU's dtypes there).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..numbers.memory import ELEMENT_BYTES, compute_dtype, trained_dtype
from ..presets import ALL_LINEAR, ModelSpec, resolve_targets

RULES = ("cuda", "cpu")  # whose kernels: the page's (CUDA), or the CPU's that the golden measurements saw
MEASURED_WITH = "PyTorch 2.13, transformers 5.24"  # the versions tests/golden/activations.json was measured with
LSE_BYTES = 4  # SDPA's log-sum-exp per query and head, fp32
INDEX_BYTES = 8  # int64 token ids, positions and labels
FP32 = 4

# Dropout in each family's released configuration (hidden, attention); Llama and Mistral have none.
DROPOUT = {"llama": (False, False), "gpt2": (True, True), "opt": (True, False), "bert": (True, True)}


@dataclass(frozen=True)
class Part:
    """Some tensors: what they are, their bytes, whether backward frees them before it reaches the layers (the
    loss's, the head's and the final norm's), and their kind: saved for backward, gradients, an optimizer update's
    temporaries, or other temporaries (peak.py's moments use the last three)."""

    what: str
    bytes: int
    above_layers: bool = False
    kind: str = "saved"


@dataclass(frozen=True)
class Activations:
    """Saved-for-backward bytes of one training step, in three parts.

    Without checkpointing: outside + first layer + (layers − 1) × layer.
    With gradient checkpointing (transformers wraps each decoder layer): the forward keeps what lies outside the
    layers, each checkpoint keeps its input (`checkpoint_input`; the first layer's is the embeddings' output, in
    their dtype), and backward recomputes one layer at a time (`layer`), held until its gradients are through:
    outside + first checkpoint input + (layers − 1) × checkpoint input + layer."""

    outside: tuple[Part, ...]  # embeddings, positions, final norm, logits and loss
    first_layer: int  # the first layer: under LoRA nothing before the first adapter needs a gradient
    layer: int  # every later layer
    layers: int
    checkpoint_input: int  # the hidden state each later checkpointed layer keeps
    first_checkpoint_input: int  # the first layer's: the embeddings' output, in their dtype
    checkpointing: bool
    logits: int = 0  # tokens × vocabulary for a causal LM's loss; 0 without one (BERT)
    logits_bytes: int = 0  # what the head returns per logit: the compute dtype, or 4 from an fp32 head without autocast
    layer_work: int = 0  # the gradients and temporaries alive at once at a layer's widest backward step
    forward_work: int = 0  # the outputs alive at once at a layer's widest forward step, where measured to matter
    dora_peak: int = 0  # DoRA: the most a layer holds at once at a target: its saved tensors so far, and that target's
    # dense ΔW temporaries (_dora_work) or its output's (_Ledger.dora)
    dora_layer: int = 0  # what one layer's DoRA targets keep beyond LoRA's (the first layer's: dora_first_layer)
    dora_first_layer: int = 0
    dora_work: int = 0  # the widest DoRA target's dense ΔW temporaries, alive while it takes the norm of W + ΔW

    @property
    def dora_kept(self) -> int:
        """What DoRA's targets keep beyond LoRA's at the peak of saved tensors (see total)."""
        if self.checkpointing:
            return self.dora_layer
        return self.dora_first_layer + (self.layers - 1) * self.dora_layer

    @property
    def outside_bytes(self) -> int:
        return sum(part.bytes for part in self.outside)

    @property
    def checkpoints(self) -> int:
        """What all checkpoints keep: each layer's input (the first one the embeddings' output)."""
        return self.first_checkpoint_input + (self.layers - 1) * self.checkpoint_input

    @property
    def above_layers(self) -> int:
        """What backward frees before it reaches the layers: the loss's, the head's and the final norm's tensors."""
        return sum(part.bytes for part in self.outside if part.above_layers)

    @property
    def forward(self) -> int:
        """What the forward pass leaves for backward: everything, or with checkpointing all but the recomputed layer."""
        if self.checkpointing:
            return self.outside_bytes + self.checkpoints
        return self.total

    @property
    def total(self) -> int:
        """Peak saved bytes: all layers kept, or with checkpointing the checkpoints plus one recomputed layer."""
        if self.checkpointing:
            return self.outside_bytes + self.checkpoints + self.layer
        return self.outside_bytes + self.first_layer + (self.layers - 1) * self.layer


@dataclass(frozen=True)
class _Recipe:
    """What decides which tensors are kept and in which dtype."""

    spec: ModelSpec
    batch: int
    seq: int
    r: int
    targets: frozenset[str]  # the targeted module names (empty for full fine-tuning)
    full: bool
    autocast: bool  # mixed precision: 16-bit compute under torch.autocast
    e: int  # compute dtype bytes
    x: int  # hidden-stream bytes
    adapter: int  # adapter dtype bytes
    out: int  # what a frozen QLoRA linear returns: its input's dtype
    head_fp32: bool  # QLoRA as PEFT prepares it: the output head (with the embeddings and norms) in fp32
    embed: int  # the embeddings' output bytes, which the rotary tables follow
    embeddings_grad: bool  # the embeddings' output needs a gradient: full fine-tuning, or PEFT with checkpointing
    eager: bool
    cuda: bool
    lora_dropout: bool  # PEFT's lora_dropout > 0: each target drops its own copy of its input before A
    model_dropout: bool  # the model's own dropout as its configuration releases it (else off)
    padded: bool  # an attention mask with padding is passed: SDPA gets it as a float bias
    precision: str
    quantised: bool = False  # QLoRA: a bitsandbytes 4-bit base, which returns its input's dtype
    dora: bool = False  # PEFT's use_dora: each target also keeps what its magnitude's scaling needs (_Ledger.dora)
    joined: bool = False  # all-linear on a mixture of experts: gate_up_proj's rank is 2r (budget.adapter_ranks)

    @property
    def tokens(self) -> int:
        return self.batch * self.seq

    @property
    def attention_bytes(self) -> int:
        """Attention's dtype: 16-bit under autocast, otherwise what the projections return."""
        return self.e if self.autocast else self.out


def _recipe(spec: ModelSpec, r: int, targets: tuple[str, ...], method: str, dtype: str, precision: str,
            attention: str, batch: int, seq: int, checkpointing: bool, prepared: bool, device: str,
            lora_dropout: float, model_dropout: bool, padded: bool, qlora_recipe: str, variant: str = "lora") -> _Recipe:
    compute = compute_dtype(method, dtype)  # NF4 weights are dequantised to bf16 to compute
    e = ELEMENT_BYTES[compute]
    paper = method == "qlora" and qlora_recipe == "paper"  # qlora.py prepares the model first, then casts
    autocast = (precision == "mixed" or paper) and e < FP32  # qlora.py trains under bf16 autocast
    full = method == "full"
    prepared = prepared or paper
    fp32_stream = (full and autocast) or (method == "qlora" and prepared)
    return _Recipe(
        spec=spec, batch=batch, seq=seq, r=r, targets=frozenset() if full else frozenset(resolve_targets(spec, targets)), full=full,
        autocast=autocast, e=e, x=FP32 if fp32_stream else e,
        adapter=ELEMENT_BYTES[trained_dtype(method, dtype, precision, qlora_recipe)],
        out=FP32 if method == "qlora" and prepared else e, head_fp32=method == "qlora" and prepared and not paper,
        embed=e if paper else FP32 if fp32_stream else e,
        embeddings_grad=full or checkpointing, eager=attention == "eager", cuda=device == "cuda",
        lora_dropout=lora_dropout > 0 and not full, model_dropout=model_dropout, padded=padded, precision=precision,
        joined=ALL_LINEAR in targets and spec.moe, quantised=method == "qlora",
        dora=variant == "dora" and not full,
    )


def releases_dropout(family: str) -> bool:
    """Whether the family's released configuration has any dropout (GPT-2, OPT, BERT: 0.1; Llama none)."""
    return any(DROPOUT.get(family, (False, False)))


def _dropouts(p: _Recipe, family: str) -> tuple[bool, bool]:
    """The family's dropout (hidden, attention) as its configuration releases it, or none when it is turned off."""
    return DROPOUT[family] if p.model_dropout else (False, False)


class _Ledger:
    """Adds up the tensors one layer keeps, in the order the forward runs; `after_attention` marks what it kept
    from attention's output on (backward frees that before it reaches the scores)."""

    def __init__(self, recipe: _Recipe):
        self.p = recipe
        self.bytes = 0
        self.attention_end = 0
        self.mlp_outputs = 0
        self.input_kept = False
        self.dora_peak = 0  # the most the layer holds at once at a DoRA target (Activations.dora_peak)
        self.dora_kept = 0  # what its DoRA targets keep beyond LoRA's
        self.dora_work = 0  # its widest DoRA target's dense ΔW temporaries (_dora_work)

    def mark_attention_end(self) -> None:
        self.attention_end = self.bytes

    def mark_mlp_outputs(self) -> None:
        """Where the MLP's up projections have kept their inputs and are about to return their outputs."""
        self.mlp_outputs = self.bytes

    @property
    def after_mlp_outputs(self) -> int:
        return self.bytes - self.mlp_outputs

    @property
    def after_attention(self) -> int:
        return self.bytes - self.attention_end

    def add(self, n: int) -> None:
        self.bytes += n

    def linears(self, group: list[tuple[str, int, int]], x_bytes: int, grad: bool, x_kept: bool = False,
                tokens: int | None = None, x_storage: int | None = None) -> dict[str, bool]:
        """Linears reading one input (name, in, out), whose input needs a gradient or not (`grad`); returns which
        outputs need one.

        Full fine-tuning keeps the input for each weight's gradient: once for the group, or under autocast a 16-bit
        copy per linear when the input is not 16-bit, with a 16-bit copy of every weight. LoRA keeps, per target,
        A's input and A·x for B; under autocast each target's own 16-bit copies of x, A and B; otherwise the input
        once, unless it must first be cast to the adapter's dtype. With LoRA dropout each target drops its own copy
        of the input (in the adapter's dtype, as PEFT casts it), which A keeps, and the dropout keeps its mask when
        the input needs a gradient. `x_kept`: the input is kept already; `x_storage`: the bytes of the storage the
        input is a view of (BERT's pooler reads one token of the last layer)."""
        p = self.p
        t = p.tokens if tokens is None else tokens
        shared = False
        for name, n_in, n_out in group:
            if p.full and p.autocast:
                self.add(n_out * n_in * p.e)
                if x_bytes == p.e:
                    shared = True
                else:
                    self.add(t * n_in * p.e)
            elif p.full:
                shared = True
            elif name in p.targets and p.autocast and p.adapter == p.e:  # 16-bit adapters: autocast copies nothing
                if x_bytes == p.e and not p.lora_dropout:
                    shared = True  # A keeps x itself
                else:  # PEFT casts x to the adapter's dtype (or drops it out), and A keeps that
                    self.add(t * n_in * p.e)
                self.dropout(p.lora_dropout, grad, t * n_in, p.adapter)
                self.add(t * p.r * p.e)
            elif name in p.targets and p.autocast:  # A's copy serves x's gradient only
                self.add(t * n_in * p.e + (p.r * n_in * p.e if grad else 0) + t * p.r * p.e + n_out * p.r * p.e)
                self.dropout(p.lora_dropout, grad, t * n_in, p.adapter)
            elif name in p.targets:
                if x_bytes == p.adapter and not p.lora_dropout:
                    shared = True
                else:
                    self.add(t * n_in * p.adapter)
                self.dropout(p.lora_dropout, grad, t * n_in, p.adapter)
                self.add(t * p.r * p.adapter)
            if name in p.targets and p.dora:
                self.dora(n_in, n_out, t, grad, x_bytes)
        if shared and not x_kept:
            self.add(t * group[0][1] * x_bytes if x_storage is None else x_storage)
        self.input_kept = shared or x_kept  # whether the group's input itself is kept now (a later reader shares it)
        return {name: grad or p.full or name in p.targets for name, _, _ in group}

    def dora(self, n_in: int, n_out: int, t: int, grad: bool, x_bytes: int) -> None:
        """What PEFT's DoRA adds to a target (DoraLinearLayer.forward).

        (m/‖W + ΔW‖ − 1)·base keeps the base's output and m/‖W + ΔW‖·(B·A·x) keeps B's output, each tokens × out, for
        m's gradient; the norm, m/‖·‖ and m/‖·‖ − 1 (out each, in the adapter's dtype) for the other gradients, the
        last only when the base's output needs one. ΔW and its norm are built from an identity through A and B, but
        detached, so that graph is freed with the forward. With LoRA dropout PEFT recomputes the base's output from
        the dropped input and W cast to the adapter's dtype (then 16-bit under autocast), keeping that copy when the
        input needs a gradient; W itself, when the cast leaves it as it is, is a parameter and costs nothing.
        GPT-2's Conv1D: PEFT wraps the transposed W in a new Parameter (peft.utils.other.transpose), which requires a
        gradient, so where the cast leaves W as it is the recomputed base's output needs one. (The norm then records
        W + ΔW for a graph that is dropped with the forward; under saved_tensors_hooks that record outlives the step,
        which tests/test_activations.py accounts for.)"""
        p = self.p
        work = _dora_work(p, n_in, n_out)
        self.dora_work = max(self.dora_work, work)
        self.dora_peak = max(self.dora_peak, self.bytes + work)
        computed = p.e if p.autocast else p.adapter  # what B, and with dropout the recomputed base, return
        base = computed if p.lora_dropout else x_bytes if p.quantised else p.e if p.autocast else p.out
        w_itself = p.adapter == p.e and not p.quantised  # W cast to the adapter's dtype is W (a bf16 base, bf16 adapters)
        wrapped = w_itself and p.spec.family == "gpt2"
        vectors = 3 if grad or (wrapped and p.lora_dropout) else 2
        before = self.bytes
        self.add(t * n_out * (base + computed) + n_out * p.adapter * vectors)
        # Then (m/‖·‖ − 1)·base, m/‖·‖·(B·A·x), its scaled copy and their sum, in the magnitude's (the adapter's)
        # dtype: three of the four alive at once, tokens × out each, on top of what the layer has saved
        self.dora_peak = max(self.dora_peak, self.bytes + 3 * t * n_out * p.adapter)
        if p.lora_dropout and grad and not w_itself:
            self.add(n_out * n_in * computed)
        self.dora_kept += self.bytes - before

    def layer_norm(self, grad: bool, x_bytes: int) -> None:
        """nn.LayerNorm keeps its input, mean and 1/σ (when its input or weight needs a gradient)."""
        if grad or self.p.full:
            stats = FP32 if self.p.cuda else x_bytes
            self.add(self.p.tokens * (self.p.spec.hidden * x_bytes + 2 * stats))

    def rms_norm(self, grad: bool) -> None:
        """Llama's RMSNorm, computed in fp32: its input and 1/rms; the normalised input too when its weight is trained.
        Gemma's scales by (1 + w) in fp32: it keeps that sum too, and the normalised input in fp32."""
        t, h = self.p.tokens, self.p.spec.hidden
        gemma = self.p.spec.sandwich
        if grad:
            self.add(t * h * FP32 + t * FP32 + (h * FP32 if gemma else 0))
        if self.p.full:
            self.add(t * h * (FP32 if gemma else self.p.x))

    def head_norm(self, grad: bool, elements: int, rows: int) -> None:
        """Qwen3's RMSNorm over each head of q or k (`rows` = tokens × heads), computed in fp32: its input and 1/rms
        when the projection's output needs a gradient; its normalised input too when its weight is trained (Gemma's:
        with its fp32 (1 + w), and the normalised input in fp32)."""
        gemma = self.p.spec.sandwich
        if grad:
            self.add(elements * FP32 + rows * FP32 + (self.p.spec.head_dim * FP32 if gemma else 0))
        if self.p.full:
            self.add(elements * (FP32 if gemma else self.p.out))

    def dropout(self, on: bool, grad: bool, elements: int, element_bytes: int) -> None:
        """A dropout mask (CUDA: 1 byte per element; CPU: the scaled noise in the input's dtype)."""
        if on and grad:
            self.add(elements * (1 if self.p.cuda else element_bytes))


def _llama_layer(p: _Recipe, grad: bool) -> _Ledger:
    """RMSNorm, q/k/v (Qwen2: with biases, which keep nothing more; Qwen3: each head of q and k normed; Phi-3: one
    fused qkv_proj) with rotary and GQA, attention, o_proj, RMSNorm, SwiGLU MLP (Phi-3: one fused gate_up_proj)."""
    s = p.spec
    t, h, i, q, kv = p.tokens, s.hidden, s.intermediate, s.heads * s.head_dim, s.kv_heads * s.head_dim
    scores = p.batch * s.heads * p.seq * p.seq
    ledger = _Ledger(p)
    ledger.rms_norm(grad)
    if s.fused:  # Phi-3: q, k and v are slices of one projection's output
        fused = ledger.linears([("qkv_proj", h, q + 2 * kv)], p.x, grad)["qkv_proj"]
        grads = {"q_proj": fused, "k_proj": fused, "v_proj": fused}
    else:
        grads = ledger.linears([("q_proj", h, q), ("k_proj", h, kv), ("v_proj", h, kv)], p.x, grad)
    attn = any(grads.values())
    if s.qk_norm:
        ledger.head_norm(grads["q_proj"], t * q, t * s.heads)
        ledger.head_norm(grads["k_proj"], t * kv, t * s.kv_heads)
    _eager_first_layer(p, ledger, grads, "q_proj", "k_proj", q)
    a = p.attention_bytes
    if attn and p.eager:  # q, k and v repeated to every head, the fp32 softmax and its copy in q's dtype (if not fp32)
        ledger.add(3 * t * q * a + scores * (FP32 + (a if a != FP32 else 0)))
    elif attn:  # q, k, v, the output (o_proj's input too), the log-sum-exp; padded, k and v repeated to every head
        keys = q if p.padded else kv
        ledger.add(t * (2 * q + 2 * keys) * a + _sdpa_extras(p, a))
    ledger.mark_attention_end()
    # With a fused qkv_proj, SDPA's output comes out laid out (heads before positions) so that the reshape before
    # o_proj copies it (measured): whoever keeps o_proj's input as it is keeps that copy, not SDPA's output.
    out = ledger.linears([("o_proj", q, h)], a, attn, x_kept=not p.eager and not s.fused)["o_proj"]
    if s.sandwich:  # Gemma normalises attention's output before adding it to the stream
        ledger.rms_norm(out)
    grad = out or grad
    ledger.rms_norm(grad)
    if s.moe:
        _experts(p, ledger, grad)
        return ledger
    if s.fused:  # gate and up are the two halves of one projection's output, kept whole for both
        gate = up = ledger.linears([("gate_up_proj", h, 2 * i)], p.x, grad)["gate_up_proj"]
    else:
        mlp = ledger.linears([("gate_proj", h, i), ("up_proj", h, i)], p.x, grad)
        gate, up = mlp["gate_proj"], mlp["up_proj"]
    ledger.mark_mlp_outputs()
    ledger.add(t * i * p.out * (2 * int(gate) + int(up)))  # the activation's input (SiLU, Gemma's GELU-tanh), the product's operands
    down = ledger.linears([("down_proj", i, h)], p.out, gate or up)["down_proj"]
    if s.sandwich:  # and the MLP's output
        ledger.rms_norm(down)
    return ledger


def _experts(p: _Recipe, ledger: _Ledger, grad: bool) -> None:
    """A mixture of experts' block as transformers 5 runs it (grouped_mm): the router's fp32 softmax picks k experts per
    token; the S = tokens·k (token, expert) pairs are sorted by expert, run through each expert's gate_up and down
    projections, weighted by the router and summed back per token. What it keeps depends on S alone, not on how the
    tokens split between experts.

    Kept: the router's softmax, its top-k indices and (normalising the top k) their sum and values; the index of each
    pair's token, the sort and its inverse (int64), the groups' offsets (int32); gate_up's output (S × 2i, both halves)
    and the activation's, down's output and the pairs' weights (fp32 in Mixtral; the Qwens cast them to the compute
    dtype). Qwen2-MoE does not renormalise the top k, and adds a shared expert (below). An adapted expert stack (PEFT's ParamWrapper) is merged on every forward, W + B·A
    into a new E × out × in tensor that the grouped product keeps with its input; the adapters, when their dtype is not
    the base's, are kept as copies in it. An adapted router likewise keeps its merged weight and its input."""
    s = p.spec
    t, h, i, experts, k = p.tokens, s.hidden, s.intermediate, s.experts, s.experts_per_token
    pairs = t * k
    m = p.x  # the experts' dtype: grouped_mm runs outside autocast, in the stream's dtype (fp32 in mixed full fine-tuning)
    a = p.e if p.autocast else p.x  # the router's output (its logits)
    ranks = {name: p.r * (2 if name == "gate_up_proj" and p.joined else 1) for name in ("gate", "gate_up_proj", "down_proj")}
    router, up, down = (p.full or name in p.targets for name in ("gate", "gate_up_proj", "down_proj"))
    weights = router or grad  # the router's output needs a gradient
    outputs = up or grad  # gate_up's output needs one
    experts_out = outputs or down  # down's output needs one
    x_kept = _shared_expert(p, ledger, grad) if s.shared_expert else False  # it runs first, on the same input
    if router and not (x_kept and a == p.x):  # its input, for the weight's gradient
        ledger.add(t * h * a)
    if router and not p.full:  # the merged W + B·A, for the input's gradient; B·A from autocast's or the CPU's copies
        ledger.add(experts * h * a if grad else 0)  # (autocast's 16-bit copy of it)
        if p.autocast and p.adapter != p.e:
            ledger.add(ranks["gate"] * (h + experts) * p.e)
        elif not p.cuda and p.adapter == p.e and p.e < FP32:  # PEFT multiplies 16-bit adapters in fp32 on the CPU
            ledger.add(ranks["gate"] * (h + experts) * FP32)
    elif p.autocast and p.x == FP32 and (router or grad):  # an fp32 weight (mixed full fine-tuning, QLoRA prepared):
        ledger.add(experts * h * p.e)  # autocast's 16-bit copy, for the input's gradient
    if weights:  # the softmax and the top k's indices; renormalising the top k (not in Qwen2-MoE), their sum and values
        ledger.add(t * experts * FP32 + t * k * INDEX_BYTES + (t * FP32 + t * k * FP32 if s.moe_type != "qwen2_moe" else 0))
    if grad:
        ledger.add(pairs * INDEX_BYTES)  # each pair's token
    if weights:
        ledger.add(pairs * INDEX_BYTES)  # the sort, to gather the pairs' weights
    if weights or experts_out:
        ledger.add(pairs * INDEX_BYTES)  # the inverse sort
    if experts_out:
        ledger.add(experts * 4)  # the groups' offsets
    for trained, needs, rank, n_in, n_out in ((up, grad, ranks["gate_up_proj"], h, 2 * i), (down, outputs, ranks["down_proj"], i, h)):
        if trained:
            ledger.add(pairs * n_in * m)  # the grouped product's input, for the weights' gradient
        if trained and not p.full:
            ledger.add(experts * n_out * n_in * m if needs else 0)  # the merged stack, for the input's gradient
            if p.adapter != m:  # the adapters cast to the stack's dtype
                ledger.add(experts * rank * (n_in + n_out) * m)
    if outputs:
        ledger.add(pairs * 3 * i * m)  # gate_up's output, the activation's
    if weights:
        ledger.add(pairs * h * m)  # down's output
    if experts_out:
        ledger.add(pairs * (FP32 if s.moe_type == "mixtral" else a))  # the pairs' weights


def _shared_expert(p: _Recipe, ledger: _Ledger, grad: bool) -> bool:
    """Qwen2-MoE's shared expert: a dense SwiGLU MLP every token runs through, scaled by a sigmoid gate (a linear layer
    of one output) and added to the experts' sum. The sigmoid keeps its output, and the scaling both its operands.
    Returns whether the block's input is kept (the router then shares it)."""
    s = p.spec
    t, h, w = p.tokens, s.hidden, s.shared_expert
    mlp = ledger.linears([("shared_expert.gate_proj", h, w), ("shared_expert.up_proj", h, w)], p.x, grad)
    kept = ledger.input_kept
    gate, up = mlp["shared_expert.gate_proj"], mlp["shared_expert.up_proj"]
    ledger.add(t * w * p.out * (2 * int(gate) + int(up)))  # SiLU's input, the product's operands
    out = ledger.linears([("shared_expert.down_proj", w, h)], p.out, gate or up)["shared_expert.down_proj"]
    scale = ledger.linears([("shared_expert_gate", h, 1)], p.x, grad, x_kept=kept)["shared_expert_gate"]
    kept = ledger.input_kept
    if scale:
        ledger.add(t * h * p.out)  # the shared expert's output, for the gate's gradient
    if scale or out:
        ledger.add(t * p.out)  # the sigmoid's output, for its own gradient and the shared expert's
    return kept


def _eager_first_layer(p: _Recipe, ledger: _Ledger, grads: dict[str, bool], q: str, k: str, width: int) -> None:
    """Eager's QKᵀ keeps k for q's gradient and q for k's: in LoRA's first layer, where only some of them are
    targeted, the one whose partner needs no gradient is not kept (SDPA keeps all three regardless)."""
    if p.eager and any(grads.values()):
        ledger.add(-p.tokens * width * p.e * ((not grads[k]) + (not grads[q])))


def _attention(p: _Recipe, ledger: _Ledger, qkv: int, copies: int, softmax: int, dropout: bool,
               dropped: int | None = None) -> None:
    """Multi-head attention without GQA (GPT-2, OPT, BERT): SDPA keeps q, k, v, the output and the log-sum-exp;
    eager keeps q, k and v, the scores after softmax, the dropout mask and what dropout let through.
    `qkv`: the bytes of the storages q, k and v are views of; `copies`: how many of them are copied first;
    `dropped`: the bytes of what the dropout reads (the compute dtype unless given)."""
    s = p.spec
    t, h, scores = p.tokens, s.hidden, p.batch * s.heads * p.seq * p.seq
    ledger.add(qkv + copies * t * h * p.e)
    if p.eager:
        ledger.add(scores * softmax)
        ledger.dropout(dropout, True, scores, p.e if dropped is None else dropped)
        ledger.add(scores * p.e if dropout or softmax != p.e else 0)
    else:
        ledger.add(t * h * p.e + _sdpa_extras(p, p.e))


def _sdpa_extras(p: _Recipe, q_bytes: int) -> int:
    """What SDPA keeps besides q, k, v and its output: the fp32 log-sum-exp per query and head, and for a padded batch
    the mask as a float bias in q's dtype (batch × seq × seq; PyTorch converts transformers' boolean mask).

    A mask rules out CUDA's flash kernel; its memory-efficient kernel rounds the log-sum-exp's rows up to 32 and pads
    the bias's last dimension to a multiple of 16 (PyTorch's attention.cu and sdp_utils: kAlignLSE, pad_bias)."""
    b, n, heads = p.batch, p.seq, p.spec.heads
    if not p.padded:
        return p.tokens * heads * LSE_BYTES
    if p.cuda:
        return b * heads * _round_up(n, 32) * LSE_BYTES + b * n * _round_up(n, 16) * q_bytes
    return p.tokens * heads * LSE_BYTES + b * n * n * q_bytes


def _round_up(n: int, multiple: int) -> int:
    return -(-n // multiple) * multiple


def _gpt2_layer(p: _Recipe, grad: bool) -> _Ledger:
    """LayerNorm, fused c_attn, attention, c_proj, dropout, LayerNorm, c_fc, GELU (tanh form), c_proj, dropout."""
    s = p.spec
    t, h, i = p.tokens, s.hidden, s.intermediate
    dropout, attention_dropout = _dropouts(p, "gpt2")
    ledger = _Ledger(p)
    ledger.layer_norm(grad, p.x)
    attn = ledger.linears([("c_attn", h, 3 * h)], p.x, grad)["c_attn"]
    if attn:
        _attention(p, ledger, *_gpt2_qkv(p), _softmax_bytes(p, p.x), attention_dropout)  # the causal mask: hidden dtype
    ledger.mark_attention_end()
    out = ledger.linears([("c_proj", h, h)], p.e, attn, x_kept=not p.eager)["c_proj"]
    ledger.dropout(dropout, out, t * h, p.e)
    grad = grad or out
    ledger.layer_norm(grad, p.x)
    fc = ledger.linears([("c_fc", h, i)], p.x, grad)["c_fc"]
    if fc:  # 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))) keeps x, 0.5·x, tanh and 1 + tanh
        ledger.add(4 * t * i * p.out)
    out = ledger.linears([("c_proj", i, h)], p.out, fc)["c_proj"]
    ledger.dropout(dropout, out, t * h, p.e)
    return ledger


def _gpt2_qkv(p: _Recipe) -> tuple[int, int]:
    """What attention keeps of q, k and v, views of c_attn's output: (bytes of storages viewed, copies).

    SDPA on the CPU keeps q as a view and copies k and v (as measured); CUDA's flash and memory-efficient kernels
    take strided views (they need only a unit last stride), so none are counted there. Eager: matmul keeps q as a
    view and copies k and v for batch 1; for a larger batch the views cannot be folded and all three are copied."""
    qkv = p.tokens * 3 * p.spec.hidden * p.out
    if p.eager:
        return (qkv, 2) if p.batch == 1 else (0, 3)
    return qkv, 0 if p.cuda else 2


def _opt_layer(p: _Recipe, grad: bool) -> _Ledger:
    """LayerNorm, q/k/v, attention, out_proj, dropout, LayerNorm, fc1, ReLU, fc2, dropout."""
    s = p.spec
    t, h, i = p.tokens, s.hidden, s.intermediate
    dropout, attention_dropout = _dropouts(p, "opt")
    ledger = _Ledger(p)
    ledger.layer_norm(grad, p.x)
    grads = ledger.linears([("q_proj", h, h), ("k_proj", h, h), ("v_proj", h, h)], p.x, grad)
    attn = any(grads.values())
    _eager_first_layer(p, ledger, grads, "q_proj", "k_proj", h)
    if attn:  # eager: k and v copied to each head's layout; fp32 softmax
        _attention(p, ledger, 3 * t * h * p.out if not p.eager else t * h * p.out, 2 if p.eager else 0, FP32, attention_dropout)
    ledger.mark_attention_end()
    out = ledger.linears([("out_proj", h, h)], p.e, attn, x_kept=not p.eager)["out_proj"]
    ledger.dropout(dropout, out, t * h, p.e)
    grad = grad or out
    ledger.layer_norm(grad, p.x)
    fc = ledger.linears([("fc1", h, i)], p.x, grad)["fc1"]
    if fc:  # ReLU keeps its output, which is fc2's input
        ledger.add(t * i * p.out)
    out = ledger.linears([("fc2", i, h)], p.out, fc, x_kept=fc)["fc2"]
    ledger.dropout(dropout, out, t * h, p.e)
    return ledger


def _bert_layer(p: _Recipe, grad: bool) -> _Ledger:
    """q/k/v, attention, dense, dropout, LayerNorm(+ input), dense, GELU, dense, dropout, LayerNorm(+ input)."""
    s = p.spec
    t, h, i = p.tokens, s.hidden, s.intermediate
    dropout, attention_dropout = _dropouts(p, "bert")
    ledger = _Ledger(p)
    grads = ledger.linears([("query", h, h), ("key", h, h), ("value", h, h)], p.x, grad)
    attn = any(grads.values())
    _eager_first_layer(p, ledger, grads, "query", "key", h)
    if attn:
        # The padding mask is added to the scores in the hidden stream's dtype: fp32 under mixed full fine-tuning,
        # where the 16-bit scores are promoted; the dropout then reads the softmax's output as it is.
        scores = max(p.e, p.x) if p.padded else p.e
        softmax = _softmax_bytes(p, scores)
        _attention(p, ledger, 3 * t * h * p.out, 0, softmax, attention_dropout, dropped=softmax)
    ledger.mark_attention_end()
    out = ledger.linears([("dense", h, h)], p.e, attn, x_kept=not p.eager)["dense"]
    ledger.dropout(dropout, out, t * h, p.e)
    grad = grad or out
    ledger.layer_norm(grad, p.x)
    fc = ledger.linears([("dense", h, i)], p.x, grad)["dense"]
    if fc:  # exact GELU keeps its input
        ledger.add(t * i * p.out)
    out = ledger.linears([("dense", i, h)], p.out, fc)["dense"]
    ledger.dropout(dropout, out, t * h, p.e)
    ledger.layer_norm(grad or out, p.x)
    return ledger


def _softmax_bytes(p: _Recipe, scores: int) -> int:
    """GPT-2's and BERT's eager softmax runs in the scores' dtype; CUDA's autocast runs softmax in fp32."""
    return FP32 if p.cuda and p.autocast else scores


def _lm_head(p: _Recipe) -> Part:
    """The output head's input when the head is trained; under autocast a 16-bit copy of its weight, trained or
    not, when the weight is fp32 (the input's gradient needs it)."""
    ledger = _Ledger(p)
    h, v = p.spec.hidden, p.spec.vocab
    ledger.linears([("lm_head", h, v)], p.x, True)
    if p.head_fp32 and p.autocast:
        ledger.add(v * h * p.e)
    return Part("output head (its input, or its 16-bit weight copy)", ledger.bytes, above_layers=True)


def _layer_norm_part(p: _Recipe, what: str, grad: bool) -> Part:
    ledger = _Ledger(p)
    ledger.layer_norm(grad, p.x)
    return Part(what, ledger.bytes, above_layers=True)


def _llama_outside(p: _Recipe, layers: int) -> tuple[Part, ...]:
    s = p.spec
    t = p.tokens
    rope = p.full or layers > 1 or bool(p.targets & {"q_proj", "k_proj", "qkv_proj"})
    ledger = _Ledger(p)
    ledger.rms_norm(True)
    return (
        Part("token ids (for the embedding's gradient)", t * INDEX_BYTES if p.full else 0),
        Part("Gemma's embedding scale √hidden, a scalar (for the embedding's gradient)", p.embed if p.full and s.sandwich else 0),
        Part("rotary cos and sin", 2 * p.seq * s.head_dim * p.embed if rope else 0),
        Part("final RMSNorm", ledger.bytes, above_layers=True),
        _lm_head(p),
        *_loss_parts(p),
    )


def _gpt2_outside(p: _Recipe, layers: int) -> tuple[Part, ...]:
    t, h = p.tokens, p.spec.hidden
    ledger = _Ledger(p)
    ledger.dropout(_dropouts(p, "gpt2")[0], p.embeddings_grad, t * h, p.x)
    return (
        Part("token and position ids (for the embeddings' gradients)", (t + p.seq) * INDEX_BYTES if p.full else 0),
        Part("embedding dropout mask", ledger.bytes),
        _layer_norm_part(p, "final LayerNorm", True),
        _lm_head(p),
        *_loss_parts(p),
    )


def _opt_outside(p: _Recipe, layers: int) -> tuple[Part, ...]:
    return (
        Part("token and position ids (for the embeddings' gradients)", 2 * p.tokens * INDEX_BYTES if p.full else 0),
        _layer_norm_part(p, "final LayerNorm", True),
        _lm_head(p),
        *_loss_parts(p),
    )


def _bert_outside(p: _Recipe, layers: int) -> tuple[Part, ...]:
    s = p.spec
    t, h = p.tokens, s.hidden
    embeddings = _Ledger(p)
    embeddings.layer_norm(p.embeddings_grad, p.x)
    embeddings.dropout(_dropouts(p, "bert")[0], p.embeddings_grad, t * h, p.x)
    pooler = _Ledger(p)
    pooler.linears([("dense", h, h)], p.x, True, tokens=p.batch, x_storage=t * h * p.x)
    pooler.add(p.batch * h * p.e)  # tanh keeps its output
    return (
        Part("token, type and position ids (for the embeddings' gradients)",
             (t + p.seq + s.positions) * INDEX_BYTES if p.full else 0),  # types: one row, broadcast
        Part("embedding LayerNorm and dropout", embeddings.bytes),
        Part("pooler (first token: dense, tanh); no logits or loss", pooler.bytes, above_layers=True),
    )


def _loss_parts(p: _Recipe) -> tuple[Part, ...]:
    """transformers' causal LM loss: fp32 log-softmax over the vocabulary, the shifted labels, and a scalar."""
    labels = p.batch * (p.seq + 1) if p.batch == 1 else p.tokens  # a contiguous copy of the shifted labels when b > 1
    return (Part("log-softmax of the logits (fp32)", p.tokens * p.spec.vocab * FP32, above_layers=True),
            Part("labels", labels * INDEX_BYTES, above_layers=True), Part("loss weight", FP32, above_layers=True))


CAUSAL = ("llama", "gpt2", "opt")  # families with an LM head and a loss over the vocabulary

# A layer's working sets, beyond what it saves: in backward the gradients and temporaries alive at once at its widest
# step, in bytes per token and per hidden unit (Llama: the RMSNorm's fp32 backward) or per MLP unit (GPT-2, OPT,
# BERT: the MLP's backward), by precision; in forward the outputs alive at once at its widest step, which only BERT,
# without a loss over a vocabulary, was seen to peak at. These are measured rules, not derived op by op: read off the
# CPU's allocations at the measured peaks (tools/measure_peak.py, tests/golden/peak.json). CUDA runs the same ops.
PER_HIDDEN, PER_MLP = "hidden", "mlp"
BACKWARD_WORK = {  # (family, full fine-tuning?): bytes per token per unit, by precision
    ("llama", False): (PER_HIDDEN, {"mixed": 24, "pure": 24, "plain": 24}),
    ("llama", True): (PER_HIDDEN, {"mixed": 24, "pure": 24, "plain": 24}),
    ("gpt2", False): (PER_MLP, {"mixed": 4.64, "pure": 4.14, "plain": 4.81}),
    ("gpt2", True): (PER_MLP, {"mixed": 4.64, "pure": 4.14, "plain": 4.14}),
    ("opt", False): (PER_MLP, {"mixed": 4.64, "pure": 5.65, "plain": 4.81}),
    ("opt", True): (PER_MLP, {"mixed": 4.64, "pure": 5.65, "plain": 5.65}),
    ("bert", False): (PER_MLP, {"mixed": 4.14, "pure": 4.11, "plain": 4.31}),
    ("bert", True): (PER_MLP, {"mixed": 7.0, "pure": 6.0, "plain": 6.0}),
}
FORWARD_WORK = {("bert", False): {"mixed": 8.1, "pure": 0.0, "plain": 8.48}}  # per token per MLP unit
FORWARD_WORK_LORA_DROPOUT = {"bert": 3.5}  # more per token per MLP unit when PEFT's lora_dropout is on


def _layer_work(p: _Recipe, last: _Ledger) -> int:
    """The last layer's backward working set (bytes beyond its saved tensors): the family's rule above, or under eager
    attention, when larger, the softmax's backward: two fp32 gradients of the scores, less the 16-bit copy of the
    softmax and what the layer saved after attention, both freed by then."""
    s = p.spec
    unit, by_precision = BACKWARD_WORK[s.family, p.full]
    work = round(by_precision[p.precision] * p.tokens * (s.hidden if unit == PER_HIDDEN else s.intermediate))
    if p.eager:
        scores = p.batch * s.heads * p.seq * p.seq
        work = max(work, scores * (2 * FP32 - p.attention_bytes) - last.after_attention)
    return max(work, _merged_stack_gradient(p))


def _merged_stack_gradient(p: _Recipe) -> int:
    """An adapted expert stack's backward: the grouped product writes the gradient of the whole merged stack
    (E × out × in, which then flows to B and A) beside its input's gradient. down's comes first, with only the
    experts' weighted outputs freed; gate_up's after down's merged stack, its input and the activation's output are."""
    s = p.spec
    if not s.moe or p.full:
        return 0
    pairs, h, i, m = p.tokens * s.experts_per_token, s.hidden, s.intermediate, p.x
    down, up = ("down_proj" in p.targets), ("gate_up_proj" in p.targets)
    down_stack = s.experts * h * i * m
    work = down_stack + pairs * (i - h) * m if down else 0
    if up:
        freed = pairs * (h + i) * m + (down_stack + pairs * i * m if down else 0)
        work = max(work, s.experts * 2 * i * h * m + pairs * h * m - freed)
    return work


def _forward_work(p: _Recipe, last: _Ledger) -> int:
    """The last layer's forward working set beyond what the layer will have saved by its end.

    Llama's layout, LoRA on the MLP's up projection: while PEFT adds B's scaled output to the base's, the base's
    output, the scaled output and their sum are alive together (in the adapter's dtype without autocast, where the
    base's output is first promoted to it), with gate's output already out when gate and up are apart; the layer's
    later saved tensors are not yet (measured inside the layer on the CPU: 6, 7.2 and 14.8 bytes per output element
    for pure, mixed and plain on a fused gate_up_proj; in plain precision about 0.5 MB more stays unnamed: see
    tests/test_peak.py's KNOWN_MISSES). BERT: a measured rule (the base's output, B's, its scaled copy and their sum;
    more with LoRA dropout)."""
    s = p.spec
    if s.family == "llama":
        name = "gate_up_proj" if s.fused else "up_proj"
        if p.full or name not in p.targets:
            return 0
        width = 2 * s.intermediate if s.fused else s.intermediate
        if p.autocast:  # B's output, its scaled copy and the sum in 16 bits; x cast to the adapter's dtype on the way
            in_flight = width * (p.out + 2 * p.e) + (s.hidden * p.adapter if p.adapter != p.e else 0)
        elif p.adapter != p.out:  # plain: the sum in fp32, with the base's output promoted to fp32 first (measured)
            in_flight = width * (p.out + 3 * p.adapter)
        else:
            in_flight = width * (p.out + 2 * p.adapter)
        gate_out = 0 if s.fused else s.intermediate * p.out
        return max(0, p.tokens * (in_flight + gate_out) - last.after_mlp_outputs)
    per_unit = FORWARD_WORK.get((s.family, p.full), {}).get(p.precision, 0.0)
    if per_unit and p.lora_dropout:
        per_unit += FORWARD_WORK_LORA_DROPOUT[s.family]
    return round(per_unit * p.tokens * s.intermediate)


def _dora_work(p: _Recipe, n_in: int, n_out: int) -> int:
    """A DoRA target's forward temporaries (DoraLinearLayer.get_lora_weight and get_weight_norm): an identity in × in
    that A keeps (its 16-bit copy under autocast), A's output (in × r), ΔW (out × in, in the adapter's dtype; under
    autocast B's 16-bit output too, which stays alive beside its cast, as measured), W cast to the adapter's dtype
    when that copies, then scaling·ΔW and W + scaling·ΔW, alive together while the norm is taken."""
    a, c = p.adapter, p.e if p.autocast else p.adapter
    copy = a != p.e or p.quantised
    return n_in * n_in * c + n_in * p.r * c + n_out * n_in * (a * (3 + copy) + (p.e if p.autocast else 0))


FAMILIES = {"llama": (_llama_layer, _llama_outside), "gpt2": (_gpt2_layer, _gpt2_outside),
            "opt": (_opt_layer, _opt_outside), "bert": (_bert_layer, _bert_outside)}


def saved_for_backward(spec: ModelSpec, r: int, targets: tuple[str, ...], method: str, dtype: str, precision: str,
                       attention: str, batch: int, seq: int, checkpointing: bool, prepared: bool = False,
                       device: str = "cuda", lora_dropout: float = 0.0, model_dropout: bool = True,
                       padded: bool = False, qlora_recipe: str = "peft", variant: str = "lora") -> Activations:
    """What one training step keeps for backward, in parts (see the module's note for the rules).

    targets: the chosen target names, or all-linear (presets.resolve_targets); dtype: a float dtype (QLoRA computes
    in bf16); device: "cuda" for the app, "cpu" for the tests against CPU measurements; lora_dropout: PEFT's, whose
    size does not matter here, only whether it is on; model_dropout: the model's own dropout as released, or off;
    padded: the batch is padded to its longest sequence, with an attention mask; qlora_recipe: "peft", or "paper"
    (the QLoRA paper's casts after preparing the model: bf16 adapters, embeddings and head); variant: PEFT's LoRA
    variant (DoRA keeps more: _Ledger.dora)."""
    p = _recipe(spec, r, targets, method, dtype, precision, attention, batch, seq, checkpointing, prepared, device, lora_dropout,
                model_dropout, padded, qlora_recipe, variant)
    layer, outside = FAMILIES[spec.family]
    last, first = layer(p, True), layer(p, p.embeddings_grad)
    return Activations(
        outside=tuple(part for part in outside(p, spec.layers) if part.bytes),
        first_layer=first.bytes,
        layer=last.bytes,
        layers=spec.layers,
        checkpoint_input=p.tokens * spec.hidden * p.x,
        first_checkpoint_input=p.tokens * spec.hidden * p.embed,
        checkpointing=checkpointing,
        logits=p.tokens * spec.vocab if spec.family in CAUSAL else 0,
        logits_bytes=FP32 if p.head_fp32 and not p.autocast else p.e,
        layer_work=_layer_work(p, last),
        forward_work=_forward_work(p, last),
        dora_peak=last.dora_peak,
        dora_layer=last.dora_kept,
        dora_first_layer=first.dora_kept,
        dora_work=last.dora_work,
    )
