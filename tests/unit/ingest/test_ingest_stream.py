"""Byte chunks -> numbered, decoded lines, whatever the chunk boundaries."""

from __future__ import annotations

import pytest

from dataflow.ingest.stream import UnreadableStreamError, gunzip_chunks, iter_line_blocks


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


def test_a_line_longer_than_the_limit_is_cut_to_a_preview_and_marked():
    data = b"ok,1\n" + b"x" * 5000 + b"\nok,3\n"

    for chunk in (7, 100, 10_000):
        lines = []
        for block in iter_line_blocks(
            [data[i : i + chunk] for i in range(0, len(data), chunk)], max_line_bytes=1000
        ):
            for index, line in enumerate(block.lines):
                lines.append((block.first_line_number + index, line, block.problems.get(index)))
        assert [(n, text[:4], problem is None) for n, text, problem in lines] == [
            (1, "ok,1", True),
            (2, "xxxx", False),
            (3, "ok,3", True),
        ], chunk
        assert "longer than 1,000 bytes" in lines[1][2]
        assert len(lines[1][1]) <= 4097


def test_gzip_streams_decompress_whatever_the_chunking_and_members():
    import gzip

    data = b"".join(b"line %d\n" % i for i in range(20_000))
    packed = gzip.compress(data[:70_000]) + gzip.compress(data[70_000:])

    for chunk in (13, 4096, len(packed)):
        pieces = [packed[i : i + chunk] for i in range(0, len(packed), chunk)]
        assert b"".join(gunzip_chunks(pieces, chunk_bytes=1000)) == data


@pytest.mark.parametrize(
    ("damage", "problem"),
    [
        (lambda z: z[:-12], "truncated"),
        (lambda z: b"PK\x03\x04" + z, "corrupt"),
        (lambda z: z[:30] + bytes([z[30] ^ 0xFF]) + z[31:], "corrupt"),
    ],
)
def test_corrupt_or_truncated_gzip_is_an_unreadable_stream(damage, problem):
    import gzip

    packed = damage(gzip.compress(b"a,b\n" * 1000))

    with pytest.raises(UnreadableStreamError, match=problem):
        b"".join(gunzip_chunks([packed]))
