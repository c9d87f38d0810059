"""The shared torch-family options: the same bad value is the same 400 in every family."""

from __future__ import annotations

import pytest

from tollama.core.errors import InvalidRequest
from tollama.runners.torch_options import batch_size_option, batches, device_option, dtype_name


def test_defaults_are_cpu_float32_and_a_bounded_batch() -> None:
    assert device_option({}) == "cpu"
    assert dtype_name({}) == "float32"
    assert batch_size_option({}) == 256
    assert batch_size_option({"batch_size": 3}) == 3


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"device": "tpu"}, "options.device"),
        ({"dtype": "int8"}, "options.dtype"),
        ({"batch_size": 0}, "options.batch_size"),
        ({"batch_size": True}, "options.batch_size"),
        ({"batch_size": "8"}, "options.batch_size"),
    ],
)
def test_bad_values_name_the_option(options: dict, field: str) -> None:
    with pytest.raises(InvalidRequest, match=field):
        device_option(options)
        dtype_name(options)
        batch_size_option(options)


def test_batches_cover_every_item_in_order() -> None:
    assert [list(b) for b in batches(list(range(7)), 3)] == [[0, 1, 2], [3, 4, 5], [6]]
    assert list(batches([], 3)) == []
