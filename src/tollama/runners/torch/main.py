"""``tollama-runner-torch``: the library is imported only after stdout is claimed."""

from __future__ import annotations

import os

from tollama.runners.adapter import FamilyAdapter
from tollama.runners.loop import serve_lazy


def _build() -> FamilyAdapter:
    os.environ["HF_HUB_OFFLINE"] = "1"  # load from pulled snapshots only; never reach a hub
    from tollama.runners.torch.adapter import TorchAdapter

    return TorchAdapter()


def main() -> None:
    serve_lazy("torch", _build)


if __name__ == "__main__":
    main()
