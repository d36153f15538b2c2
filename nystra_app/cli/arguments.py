"""Every command's options, and which handler runs it: torch-free, so parsing is immediate.

The handlers bring torch and the models, about 2 s of loading on a slow laptop. Keeping the options
apart lets `nystra --help` and a usage error answer at once, and lets a long command say it is starting
before that load (`Later`). The handler modules (`restore`, `evaluate`, `bench`, `models`) hold what
each command does.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from dataclasses import dataclass
from importlib import import_module
from pathlib import Path
from typing import get_args

from tqdm import tqdm

from ..choices import MIRROR_ENV, OUTPUT_FORMATS, PADDINGS, PRECISIONS, Task
from .options import ITERS, LANDMARKS, LOCAL, MEGAPIXELS, TILE, WINDOW, device_name, float_range, int_range

BACKEND_NAMES = ("eager", "compile", "onnxruntime", "openvino")  # research.backends.BACKENDS, without loading it


@dataclass(frozen=True)
class Later:
    """A command's handler, imported only once its options parsed.

    While its modules load, a terminal shows that the command is starting; the line is cleared once they
    have. Only a terminal: a log or a script's pipe gets the command's own lines and nothing else.
    """

    module: str
    function: str = "run"

    def __call__(self, args: argparse.Namespace) -> int | None:
        with tqdm(desc="nystra: starting (loading the restoration engine) ...", bar_format="{desc}",
                  file=sys.stderr, leave=False, disable=not sys.stderr.isatty()):
            handler: Callable[[argparse.Namespace], int | None] = getattr(
                import_module(f"{__package__}.{self.module}"), self.function)
        return handler(args)


def add_restore(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "restore", help="restore pictures (written as OUTDIR/<stem>_<model>_<exact|fast>.<ext>)",
        description="Restore pictures. Inputs are never overwritten; a file that fails is reported and "
                    "skipped, the others are still processed (exit code 1 if any failed).",
    )
    parser.add_argument("inputs", nargs="+", type=Path, metavar="INPUT", help="picture files")
    parser.add_argument("-o", "--output", dest="outdir", type=Path, required=True, metavar="OUTDIR")
    _model_options(parser)
    _attention_options(parser)
    parser.add_argument("--precision", choices=PRECISIONS, default="fp32",
                        help="bf16: opt-in, changes the picture slightly; faster only on CPUs with native bf16 "
                             "(avx512_bf16, AMX) and on GPUs (see `nystra bench photo --precision bf16`)")
    parser.add_argument("--format", choices=[f.ext[1:] for f in OUTPUT_FORMATS], default=None,
                        help="output format (default: the input's; 16-bit and alpha kept where it allows)")
    parser.add_argument("--max-megapixels", type=float_range(*MEGAPIXELS), default=None, metavar="MP",
                        help="restore pictures up to this size (default: what memory holds and the model restores "
                             "in 10 minutes here, at most 50 MP; larger pictures are refused with an estimate)")
    _json_option(parser)
    parser.set_defaults(handler=Later("restore"))


def add_eval(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "eval", help="score exact vs Nyström attention against ground truth",
        description="Exact attention runs at the trained window (the model as published); Nyström at "
                    "--window (default: the model's Fast setting). Inputs are paired with targets by name: "
                    "the same name, the same stem, or the stem up to its first '_' (RESIDE: 1438_10.png -> 1438.png).",
    )
    _model_options(parser)
    parser.add_argument("--inputs", type=Path, default=None, metavar="DIR",
                        help="degraded pictures (with --noise-sigma: omit, the targets are noised)")
    parser.add_argument("--targets", type=Path, required=True, metavar="DIR", help="ground-truth pictures")
    parser.add_argument("--limit", type=int_range(1), default=None, metavar="N", help="only the first N inputs")
    parser.add_argument("--noise-sigma", type=float_range(0, 255), default=None, metavar="S",
                        help="add seeded Gaussian noise of S (0..255 scale) to the inputs (denoisers)")
    parser.add_argument("--padding", choices=PADDINGS, default="official",
                        help="official: pad as the model's official test script does, so published numbers "
                             "are reproduced (default); reflect: our padding, as `restore` and the app use")
    _attention_options(parser, kind=False)
    _json_option(parser)
    parser.set_defaults(handler=Later("evaluate"))


def add_bench(commands: argparse._SubParsersAction) -> None:
    bench = commands.add_parser("bench", help="benchmarks: attention core, whole models")
    kinds = bench.add_subparsers(dest="bench", required=True, metavar="KIND")

    attn = kinds.add_parser("attention", help="exact (matmul, SDPA) vs Nyström on the same windows")
    attn.add_argument("--tokens", "-n", type=int_range(1), default=1024, help="tokens per window (a square: 1024 = 32x32)")
    attn.add_argument("--dim", "-d", type=int_range(1), default=32, help="head dimension")
    attn.add_argument("--landmarks", "-m", type=int_range(*LANDMARKS), default=16)
    attn.add_argument("--iters", "-k", type=int_range(*ITERS), default=6)
    attn.add_argument("--windows", type=int_range(1), default=8, help="windows in the batch")
    attn.add_argument("--heads", type=int_range(1), default=4)
    attn.add_argument("--repeats", type=int_range(1), default=11)
    attn.add_argument("--no-guard", action="store_true")
    attn.add_argument("--device", type=device_name, default="cpu")
    _json_option(attn)
    attn.set_defaults(handler=Later("bench", "attention"))

    model = kinds.add_parser("model", help="the model as trained vs exact and Nyström at a window")
    _bench_model_options(model)
    model.add_argument("--size", type=int_range(8), default=256, help="input side in pixels")
    model.add_argument("--repeats", type=int_range(1), default=3)
    model.add_argument("--device", type=device_name, default="cpu")
    _attention_options(model, kind=False)
    _json_option(model)
    model.set_defaults(handler=Later("bench", "model"))

    photo = kinds.add_parser("photo", help="a whole photo restored: today's eager path vs the default path, interleaved")
    _bench_model_options(photo)
    photo.add_argument("--megapixels", type=float_range(*MEGAPIXELS), default=12.0, help="size of the generated 4:3 photo (model input)")
    photo.add_argument("--input", type=Path, default=None, help="restore this picture instead of a generated one")
    photo.add_argument("--precision", choices=PRECISIONS, default="fp32",
                       help="bf16 is opt-in: faster only where the CPU has native bf16; fidelity is reported")
    photo.add_argument("--tile", type=int_range(*TILE), default=None, help="tile side for both paths (default: from free memory)")
    photo.add_argument("--repeats", type=int_range(1), default=1, help="runs of each path, alternated")
    _attention_options(photo)
    _json_option(photo)
    photo.set_defaults(handler=Later("bench", "photo"))

    wait = kinds.add_parser("wait", help="how long a photo takes with the default path: its first tiles timed, "
                                         "the rest estimated")
    _bench_model_options(wait)
    wait.add_argument("--megapixels", type=float_range(*MEGAPIXELS), default=12.0,
                      help="size of the generated 4:3 photo's output (a x2 model gets a quarter of it as input)")
    wait.add_argument("--tiles", type=int_range(1), default=3, help="tiles to time (the first is warm-up)")
    wait.add_argument("--tile", type=int_range(*TILE), default=None, help="tile side (default: from free memory)")
    _attention_options(wait)
    _json_option(wait)
    wait.set_defaults(handler=Later("bench", "wait"))

    backends = kinds.add_parser("backends", help="one photo-sized tile: eager torch vs torch.compile, ONNX Runtime, "
                                                 "OpenVINO (those installed), alternated")
    _bench_model_options(backends)
    backends.add_argument("--megapixels", type=float_range(*MEGAPIXELS), default=1.0,
                          help="size of the generated 4:3 tile (model input), run whole")
    backends.add_argument("--backends", default="eager,onnxruntime,openvino", type=_backend_list,
                          help=f"comma-separated, from {','.join(BACKEND_NAMES)} (compile takes minutes to set up)")
    backends.add_argument("--repeats", type=int_range(1), default=3,
                          help="runs of each backend, each in its own process, alternated")
    _json_option(backends)
    backends.set_defaults(handler=Later("bench", "backends"))

    paper = kinds.add_parser("paper", help="the paper's tables and plots on this machine, as a markdown report")
    paper.add_argument("--data", type=Path, required=True,
                       help="folder holding dehazing pairs (sub-folders hazy/ and GT/), e.g. ../shared/testimages/dehaze")
    paper.add_argument("--out", type=Path, required=True, help="folder to write benchmarks.md into, with its plots and results.json in benchmarks/ beside it (e.g. docs)")
    paper.add_argument("--quick", action="store_true", help="a smaller plan (about 3 minutes on 2 cores)")
    paper.set_defaults(handler=Later("bench", "paper"))


def add_models(commands: argparse._SubParsersAction) -> None:
    about = "list, install, import, remove and verify model weights"
    parser = commands.add_parser("models", help=about, description=f"{about[0].upper()}{about[1:]}.")
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")

    listing = actions.add_parser("list", help="every model id: installed or not, task, size, path, sha256")
    _json_option(listing)
    listing.set_defaults(handler=Later("models", "show_list"))

    installing = actions.add_parser("install", help="download (or copy from a mirror) and verify a model's weights")
    installing.add_argument("id", help="model id (see `nystra models list`)")
    installing.add_argument("--mirror", metavar="DIR|URL",
                            help="folder or base URL holding the weight file, tried before the official address")
    installing.add_argument("--url", help="download from this address instead")
    installing.set_defaults(handler=Later("models", "install_model"))

    importing = actions.add_parser("import", help="register a local .pth/.safetensors checkpoint under a name")
    importing.add_argument("file", type=Path)
    importing.add_argument("--name", required=True, help="the model id to give it")
    importing.add_argument("--task", choices=get_args(Task), default=None,
                           help="what the model does (default: the architecture's usual task)")
    importing.set_defaults(handler=Later("models", "import_file"))

    removing = actions.add_parser("remove", help="delete an installed model's weights (and an imported model's entry)")
    removing.add_argument("id")
    removing.set_defaults(handler=Later("models", "remove_model"))

    verifying = actions.add_parser("verify", help="re-hash installed files against the registry and install record")
    verifying.add_argument("id", nargs="?", help="one model (default: every installed one)")
    _json_option(verifying)
    verifying.set_defaults(handler=Later("models", "verify_files"))


COMMANDS = (add_restore, add_eval, add_bench, add_models)


def _attention_options(parser: argparse.ArgumentParser, *, kind: bool = True) -> None:
    group = parser.add_argument_group("attention")
    if kind:
        group.add_argument("--attention", choices=("exact", "nystrom"), default="exact",
                           help="exact softmax (the model as trained) or PnP-Nystra (fast)")
    group.add_argument("--landmarks", "-m", type=int_range(*LANDMARKS), default=None, help="Nyström landmarks m (default: model's Fast setting)")
    group.add_argument("--iters", "-k", type=int_range(*ITERS), default=None, help="pseudoinverse iterations (default: model's Fast setting)")
    group.add_argument("--window", "-w", type=int_range(*WINDOW), default=None, help="inference window size (default: trained)")
    group.add_argument("--local", type=int_range(*LOCAL), default=None, metavar="L",
                       help="exact attention within L x L blocks, Nyström beyond (default: model's Fast setting)")
    group.add_argument("--no-guard", action="store_true",
                       help="turn off the fallback to exact attention where Nyström is unsafe (for research)")


def _json_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print the figures as JSON on stdout")


def _model_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("model")
    group.add_argument("--model", required=True, metavar="ID", help="model id from the registry")
    group.add_argument("--weights", type=Path, default=None, metavar="FILE",
                       help=f"weight file (default: the installed one, else the model's file in ${MIRROR_ENV})")
    group.add_argument("--device", type=device_name, default="auto", help="auto, cpu, cuda, cuda:N or mps (default: auto)")
    group.add_argument("--tile", type=int_range(*TILE), default=None, metavar="PX",
                       help="tile side in pixels for large pictures (default: from free memory)")


def _bench_model_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", required=True, help="model id (see `nystra models list`)")
    parser.add_argument("--random-weights", action="store_true",
                        help="time without a checkpoint (speed does not depend on the weights)")
    parser.add_argument("--weights", type=Path, help="checkpoint file (default: the installed one)")


def _backend_list(text: str) -> tuple[str, ...]:
    names = tuple(name.strip() for name in text.split(",") if name.strip())
    unknown = [name for name in names if name not in BACKEND_NAMES]
    if unknown or not names:
        raise argparse.ArgumentTypeError(f"choose from {', '.join(BACKEND_NAMES)}, not {text!r}")
    return names
