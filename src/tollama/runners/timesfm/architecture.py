"""Loading a TimesFM 2.5 snapshot, and the one hook that lets tests load a tiny one.

The ``timesfm`` package fixes the architecture in a class attribute
(``TimesFM_2p5_200M_torch_module.config``, 20 layers of width 1280); the published repo's
``config.json`` holds only ``torch_compile``. Real snapshots are loaded with exactly the library's
``TimesFM_2p5_200M_torch.from_pretrained(path, torch_compile=False)``.

Test checkpoints are random and tiny (tollama writes them, see ``testing/checkpoints/timesfm``).
Their ``config.json`` carries a ``tollama_architecture`` entry with the transformer's size; only
when that entry is present is the class attribute swapped for the load (under a lock, restored
after) and the loaded module given its definition as an instance attribute. Shapes that the file
format fixes (patch sizes, the 9 quantile heads) are never changed.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import timesfm
from timesfm import configs
from timesfm.timesfm_2p5 import timesfm_2p5_base, timesfm_2p5_torch

ARCHITECTURE_KEY = "tollama_architecture"
SIZE_FIELDS = ("model_dims", "hidden_dims", "num_heads", "num_layers")
_SWAP_LOCK = threading.Lock()


def definition(model_dims: int, hidden_dims: int, num_heads: int, num_layers: int) -> Any:
    """The library's TimesFM 2.5 definition with another transformer size (input/output widths kept)."""
    base = timesfm_2p5_base.TimesFM_2p5_200M_Definition()
    layer = dataclasses.replace(
        base.stacked_transformers.transformer, model_dims=model_dims, hidden_dims=hidden_dims, num_heads=num_heads
    )
    return dataclasses.replace(
        base,
        tokenizer=dataclasses.replace(base.tokenizer, hidden_dims=model_dims, output_dims=model_dims),
        stacked_transformers=configs.StackedTransformersConfig(num_layers=num_layers, transformer=layer),
        output_projection_point=dataclasses.replace(
            base.output_projection_point, input_dims=model_dims, hidden_dims=model_dims
        ),
        output_projection_quantiles=dataclasses.replace(
            base.output_projection_quantiles, input_dims=model_dims, hidden_dims=model_dims
        ),
    )


@contextlib.contextmanager
def module_definition(chosen: Any) -> Iterator[None]:
    """Build modules of the ``chosen`` size inside the block (the library reads a class attribute)."""
    cls = timesfm_2p5_torch.TimesFM_2p5_200M_torch_module
    with _SWAP_LOCK:
        saved, cls.config = cls.config, chosen
        try:
            yield
        finally:
            cls.config = saved


def declared_size(snapshot: Path) -> dict[str, int] | None:
    """The ``tollama_architecture`` entry of the snapshot's config.json (None on real snapshots)."""
    path = snapshot / "config.json"
    if not path.is_file():
        return None
    entry = json.loads(path.read_text()).get(ARCHITECTURE_KEY)
    if entry is None:
        return None
    return {name: int(entry[name]) for name in SIZE_FIELDS}


def load(snapshot: Path) -> Any:
    """``TimesFM_2p5_200M_torch`` from an absolute snapshot path, compilation off."""
    path = str(snapshot.resolve())
    size = declared_size(snapshot)
    if size is None:
        return timesfm.TimesFM_2p5_200M_torch.from_pretrained(path, torch_compile=False)
    chosen = definition(**size)
    with module_definition(chosen):
        model = timesfm.TimesFM_2p5_200M_torch.from_pretrained(path, torch_compile=False)
    model.model.config = chosen  # later reads of ``self.config`` must not see the restored class attribute
    return model
