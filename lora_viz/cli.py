"""Command line for worksheets and notebooks: parameter counts and training memory of a whole model.

    python -m lora_viz count --model llama-2-7b --rank 8 --targets q_proj,v_proj [--save-dtype fp16] [--json]
    python -m lora_viz count --model custom --arch gpt2 --hidden 1024 --intermediate 4096 --layers 24 --heads 16
                             --vocab 50257 --positions 1024 --rank 8 --targets c_attn --json
    python -m lora_viz memory --model gpt2 --method lora --rank 8 --targets c_attn --dtype bf16 --optimizer adamw
                              [--precision mixed|pure] [--prepared 1|0] [--batch 1 --seq 1024] [--gpus 8] [--rules cuda|cpu] [--json]
    python -m lora_viz count --config config.json --rank 16 --targets all-linear --json

Every flag is a setting of the app, named by its URL key (`--r`) or its other name in the schema (`--rank`),
with its help and choices from the schema, and read like a link's value.
"""

from __future__ import annotations

import argparse
import json
import sys

from .config_json import MAX_CONFIG_CHARS, read_config, reading_text
from .names import FLOAT_DTYPES
from .presets import CUSTOM, PRESETS, active_params
from .settings import CUSTOM_KEYS, DEFAULTS, SCHEMA, parse_settings, model_spec
from .version import version
from .model.activations import RULES
from .model.budget import model_counts, training_bytes, zero_parts, zero_peak_per_gpu
from .numbers.memory import ELEMENT_BYTES, ZERO_STAGES, adapter_dtype, fit_verdict, zero_per_gpu

# Each command: the settings it needs, and those it takes besides.
COMMANDS = {
    "count": (("model", "r", "targets"), ("variant", "save_dtype", *CUSTOM_KEYS)),
    "memory": (("model", "r", "targets", "method", "dtype", "optimizer"), ("variant", "precision", "prepared", "batch", "seq", "ckpt", "attention", "lora_dropout", "model_dropout", "padded", "qlora_recipe", "gpus",
                                                                       *CUSTOM_KEYS)),
}


class _OneLineParser(argparse.ArgumentParser):
    def error(self, message: str) -> None:
        """Bad arguments: one line on stderr and exit status 2, never a traceback."""
        raise SystemExit(_fail(message))


def _fail(message: str) -> int:
    print(f"lora_viz: error: {message}", file=sys.stderr)
    return 2


def _add_setting(command: argparse.ArgumentParser, key: str, required: bool) -> None:
    """A flag for one setting: --<key> and its other names, its label and choices as help. The model is required
    unless --config gives one (checked in main)."""
    required = required and key != "model"
    spec = SCHEMA[key]
    names = [*spec.flags, f"--{key}"] if f"--{key}" not in spec.flags else list(spec.flags)
    choices = f" ({'|'.join(spec.choices)})" if spec.choices else ""
    default = "" if required else f"; default {getattr(DEFAULTS, key)}"
    command.add_argument(*names, dest=key, required=required, help=spec.label + choices + default)


def _parser() -> argparse.ArgumentParser:
    parser = _OneLineParser(prog="python -m lora_viz", description="LoRA parameter counts and training memory (PEFT's and PyTorch's numbers).")
    parser.add_argument("--version", action="version", version=f"lora-viz {version()}")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_OneLineParser)
    for name, (needed, optional) in COMMANDS.items():
        command = commands.add_parser(name)
        for key in needed:
            _add_setting(command, key, required=True)
        for key in optional:
            _add_setting(command, key, required=False)
        if name == "memory":
            command.add_argument("--rules", choices=RULES, default="cuda",
                                 help="whose kernels save the activations: cuda (the page's) or cpu (to check against a "
                                      "measurement on a machine without a GPU)")
        command.add_argument("--config", metavar="FILE",
                             help="a model's config.json (Llama, Mistral, Qwen2/2.5, Qwen3, Phi-3/Phi-4, GPT-2) read as a custom model; "
                                  "flags given beside it win")
        command.add_argument("--json", action="store_true")
    return parser


def _read_config_file(path: str) -> tuple[dict[str, str], list[str]]:
    """The custom settings a config.json file gives, and what to say about it; an unreadable file gives none."""
    try:
        with open(path, encoding="utf-8", errors="replace") as file:
            text = file.read(MAX_CONFIG_CHARS + 1)  # a longer file is refused unread, like the page's box
    except OSError as error:
        return {}, [f"--config: cannot read {path}: {error.strerror or error}"]
    reading = read_config(text)
    return reading.values, reading_text(reading)


def main(argv: list[str] | None = None) -> int:
    """Run the command; 0 on success, 2 with a one-line error for bad arguments."""
    args = _parser().parse_args(argv)
    given = {key: value for key, value in vars(args).items() if key in SCHEMA and value is not None}
    if args.config is not None:
        values, lines = _read_config_file(args.config)
        if not values:
            return _fail(lines[-1] if lines else "--config: nothing could be read")
        for line in lines:
            print(f"lora_viz: config: {line}", file=sys.stderr)
        given = {**values, **given}
    if "model" not in given:
        return _fail("the following arguments are required: --model (or --config)")
    if given["model"] not in (*PRESETS, CUSTOM):
        return _fail(f"unknown model {given['model']!r}; choose one of {', '.join(PRESETS)} or {CUSTOM}")
    if given["model"] != CUSTOM and (sizes := [key for key in CUSTOM_KEYS if key in given]):
        return _fail(f"--{sizes[0].replace('_', '-')} is for --model {CUSTOM} only")
    if args.command == "memory":
        if given["dtype"] not in FLOAT_DTYPES:
            return _fail(f"--dtype must be {', '.join(FLOAT_DTYPES[:-1])} or {FLOAT_DTYPES[-1]}, not {given['dtype']!r}")
        if ("batch" in given) != ("seq" in given):
            return _fail("give --batch and --seq together")
    settings, notices = parse_settings(given)
    if notices:
        return _fail(notices[0].split("; using")[0])
    spec = model_spec(settings)
    if args.command == "count":
        counts = model_counts(spec, settings.r, settings.targets, settings.variant)
        result = {"trainable": counts.trainable, "base": counts.base, "all": counts.all}
        if spec.moe:  # a mixture of experts: the parameters one token runs through
            result["active"] = active_params(spec)
        if "save_dtype" in given:  # the adapter as saved: its trainable parameters in that dtype
            saved = adapter_dtype("saved", settings.save_dtype)
            result["adapter_file_bytes"] = counts.trainable * ELEMENT_BYTES[saved]
    else:
        got = training_bytes(spec, settings.r, settings.targets, settings.method, settings.dtype, settings.optimizer, settings.batch, settings.seq, settings.ckpt, settings.precision, settings.prepared, settings.attention,
                             args.rules, settings.lora_dropout, settings.model_dropout, settings.padded, settings.qlora_recipe,
                             variant=settings.variant)
        batch = "batch" in given  # activations and the step's peak need a batch
        activations = got.activations if batch else 0
        result = {
            "weights": got.weights,
            "gradients": got.gradients,
            "optimizer_states": got.optimizer_states,
            "activations": activations,
            "total": got.exact + activations,
        }
        if batch:  # the step's peak, and the smallest card that holds it with the CUDA allowance
            fit = fit_verdict(got.peak.bytes)
            result |= {"peak": got.peak.bytes, "fits": fit.card.name if fit.card else None}
        if "gpus" in given:  # per GPU at each ZeRO stage: the step's peak with a batch, else the split tensors
            parts = zero_parts(got)
            result |= {f"zero{stage}_per_gpu": zero_peak_per_gpu(got, settings.gpus, stage) if batch else
                       zero_per_gpu(parts.weights, parts.gradients, parts.states, parts.frozen, settings.gpus, stage)
                       for stage in ZERO_STAGES}
    if args.json:
        print(json.dumps(result))
    else:
        width = max(map(len, result))
        for key, value in result.items():
            print(f"{key + ':':<{width + 1}} {value:,}" if isinstance(value, int) else f"{key + ':':<{width + 1}} {value}")
    return 0
