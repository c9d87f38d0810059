from __future__ import annotations

import numpy as np
import pytest

from tollama.core.errors import ForecastTimeout, InvalidRequest, TollamaError
from tollama.core.protocol import (
    ProtocolError,
    decode_frame,
    encode_frame,
    error_frame,
    raise_for_frame,
    request_frame,
    result_frame,
)


def test_frames_round_trip_as_single_lines_with_numpy_arrays():
    line = encode_frame(result_frame("7", {"mean": np.array([1.0, 2.5])}))
    assert line.endswith(b"\n") and line.count(b"\n") == 1
    assert decode_frame(line) == {"id": "7", "result": {"mean": [1.0, 2.5]}}
    assert decode_frame(encode_frame(request_frame("1", "hello"))) == {"id": "1", "method": "hello", "params": {}}


@pytest.mark.parametrize("line", [b"Loading weights from local directory\n", b"[1, 2]\n", b'{"result": 1}\n'])
def test_non_frames_are_protocol_errors(line):
    with pytest.raises(ProtocolError):
        decode_frame(line)


def test_error_frames_rebuild_the_same_error_class():
    frame = decode_frame(encode_frame(error_frame("3", InvalidRequest("series 's1' is too short"))))
    with pytest.raises(InvalidRequest, match="too short"):
        raise_for_frame(frame)
    with pytest.raises(ForecastTimeout):
        raise_for_frame(error_frame("4", ForecastTimeout("slow")))


def test_unexpected_exceptions_become_a_one_line_internal_error():
    frame = error_frame("5", RuntimeError("boom\nTraceback (most recent call last): ..."))
    assert frame["error"] == {"code": "TollamaError", "message": "RuntimeError: boom"}
    with pytest.raises(TollamaError) as info:
        raise_for_frame(frame)
    assert type(info.value) is TollamaError
