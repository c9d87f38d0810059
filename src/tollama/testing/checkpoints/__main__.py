"""``python -m tollama.testing.checkpoints build MODEL --out DIR [--size tiny|real] [--seed N]``
and ``... baseline MODEL --snapshot DIR < request.json > answer.json``.

Run with a family runtime's python: the family's library must be importable.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from pathlib import Path

from tollama.testing.checkpoints import SIZES, family_module


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tollama.testing.checkpoints")
    verbs = parser.add_subparsers(dest="verb", required=True)
    build = verbs.add_parser("build", help="write a random-initialised checkpoint in the repo layout")
    build.add_argument("model")
    build.add_argument("--out", type=Path, required=True)
    build.add_argument("--size", choices=SIZES, default="tiny")
    build.add_argument("--seed", type=int, default=0)
    baseline = verbs.add_parser("baseline", help="forecast in-process with the library; request JSON on stdin")
    baseline.add_argument("model")
    baseline.add_argument("--snapshot", type=Path, required=True)
    args = parser.parse_args(argv)

    out = sys.stdout
    with contextlib.redirect_stdout(sys.stderr):  # some loaders print; stdout carries only the answer
        module = family_module(args.model)
        if args.verb == "build":
            import torch  # every heavy family is torch-based; the seed makes fixtures reproducible

            torch.manual_seed(args.seed)
            args.out.mkdir(parents=True, exist_ok=True)
            module.build(args.model, args.size, args.out.resolve())
            return
        answer = module.baseline(args.model, args.snapshot.resolve(), json.load(sys.stdin))
    out.write(json.dumps(answer))


if __name__ == "__main__":
    main()
