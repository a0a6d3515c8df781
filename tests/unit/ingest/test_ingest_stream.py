"""Byte chunks -> numbered, decoded lines, whatever the chunk boundaries."""

from __future__ import annotations

from dataflow.ingest.stream import iter_line_blocks


def lines_of(data: bytes, chunk: int):
    chunks = [data[i : i + chunk] for i in range(0, len(data), chunk)]
    out = []
    for block in iter_line_blocks(chunks):
        for index, line in enumerate(block.lines):
            out.append((block.first_line_number + index, line, block.problems.get(index)))
    return out


def test_lines_and_numbers_do_not_depend_on_chunk_boundaries():
    data = "h1,h2\nä,1\nb,2\nc,3\n".encode()
    expected = [(1, "h1,h2", None), (2, "ä,1", None), (3, "b,2", None), (4, "c,3", None)]

    for chunk in (1, 2, 3, 7, 1000):
        assert lines_of(data, chunk) == expected


def test_crlf_line_ends_are_removed():
    assert [line for _, line, _ in lines_of(b"a\r\nb\r\n", 4)] == ["a", "b"]


def test_last_line_without_newline_is_kept_and_a_trailing_newline_adds_nothing():
    assert [line for _, line, _ in lines_of(b"a\nb", 10)] == ["a", "b"]
    assert [line for _, line, _ in lines_of(b"a\nb\n", 10)] == ["a", "b"]
    assert [line for _, line, _ in lines_of(b"a\nb\n\n", 10)] == ["a", "b", ""]


def test_invalid_utf8_marks_only_its_own_line_with_the_byte_position():
    data = b"ok,1\nbad\xff,2\nok,3\n"

    assert lines_of(data, 1000) == [
        (1, "ok,1", None),
        (2, "bad\ufffd,2", "invalid UTF-8 at byte 4"),
        (3, "ok,3", None),
    ]


def test_empty_stream_has_no_lines():
    assert lines_of(b"", 10) == []
