"""Command line for worksheets and notebooks: parameter counts and training memory of a whole model.

    python -m lora_viz count --model llama-2-7b --rank 8 --targets q_proj,v_proj [--json]
    python -m lora_viz memory --model gpt2 --method lora --rank 8 --targets c_attn --dtype bf16 --optimizer adamw
                              [--batch 1 --seq 1024] [--json]
"""

from __future__ import annotations

import argparse
import json
import sys

from .models import PRESETS
from .settings import METHODS, OPTIMIZERS, parse_settings, model_spec
from .whole_model import activation_bytes, model_counts, training_bytes


class _OneLineParser(argparse.ArgumentParser):
    def error(self, message: str) -> None:
        """Bad arguments: one line on stderr and exit status 2, never a traceback."""
        raise SystemExit(_fail(message))


def _fail(message: str) -> int:
    print(f"lora_viz: error: {message}", file=sys.stderr)
    return 2


def _parser() -> argparse.ArgumentParser:
    parser = _OneLineParser(prog="python -m lora_viz", description="LoRA parameter counts and training memory (PEFT's and PyTorch's numbers).")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_OneLineParser)
    for name in ("count", "memory"):
        command = commands.add_parser(name)
        command.add_argument("--model", required=True, help=", ".join(PRESETS))
        command.add_argument("--rank", required=True)
        command.add_argument("--targets", required=True, help="comma-separated module names, or all-linear")
        command.add_argument("--json", action="store_true")
        if name == "memory":
            command.add_argument("--method", required=True, help="|".join(METHODS))
            command.add_argument("--dtype", required=True, help="fp32|fp16|bf16")
            command.add_argument("--optimizer", required=True, help="|".join(OPTIMIZERS))
            command.add_argument("--batch", help="with --seq: estimate activations too")
            command.add_argument("--seq")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command; 0 on success, 2 with a one-line error for bad arguments."""
    args = _parser().parse_args(argv)
    if args.model not in PRESETS:
        return _fail(f"unknown model {args.model!r}; choose one of {', '.join(PRESETS)}")
    query = {"model": args.model, "r": args.rank, "targets": args.targets}
    if args.command == "memory":
        if args.dtype not in ("fp32", "fp16", "bf16"):
            return _fail(f"--dtype must be fp32, fp16 or bf16, not {args.dtype!r}")
        if (args.batch is None) != (args.seq is None):
            return _fail("give --batch and --seq together")
        query |= {"method": args.method, "dtype": args.dtype, "optimizer": args.optimizer, "batch": args.batch or "1", "seq": args.seq or "1"}
    settings, notices = parse_settings(query)
    if notices:
        return _fail(notices[0].split("; using")[0])
    spec = model_spec(settings)
    if args.command == "count":
        counts = model_counts(spec, settings.r, settings.targets)
        result = {"trainable": counts.trainable, "base": counts.base, "all": counts.all}
    else:
        got = training_bytes(spec, settings.r, settings.targets, settings.method, settings.dtype, settings.optimizer, settings.batch, settings.seq, settings.ckpt)
        activations = activation_bytes(spec, settings.batch, settings.seq, False) if args.batch else 0
        result = {
            "weights": got.weights,
            "gradients": got.gradients,
            "optimizer_states": got.optimizer_states,
            "activations": activations,
            "total": got.exact + activations,
        }
    if args.json:
        print(json.dumps(result))
    else:
        width = max(map(len, result))
        for key, value in result.items():
            print(f"{key + ':':<{width + 1}} {value:,}")
    return 0
