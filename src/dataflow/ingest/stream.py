"""Turn a stream of byte chunks into blocks of decoded, numbered lines.

Memory stays bounded by the chunk size (plus the longest line): nothing holds a whole file.
A block is decoded as UTF-8 in one C call; only a block that fails is decoded line by line,
so that one bad line is reported (and later quarantined) while its neighbours load.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

CHUNK_BYTES = 1 << 20
CR = ord("\r")


@dataclass
class LineBlock:
    """Consecutive physical lines (without line terminators) of one file."""

    first_line_number: int
    lines: list[str]
    # index in ``lines`` -> reason, for lines that are not valid UTF-8 (decoded with U+FFFD)
    bad_utf8: dict[int, str] = field(default_factory=dict)

    def without_first_line(self) -> LineBlock:
        """The block minus its first line (the CSV header)."""
        bad = {i - 1: reason for i, reason in self.bad_utf8.items() if i > 0}
        return LineBlock(self.first_line_number + 1, self.lines[1:], bad)


def iter_line_blocks(chunks: Iterable[bytes]) -> Iterator[LineBlock]:
    """Blocks of complete lines from ``chunks``; line 1 is the first line of the stream."""
    rest = b""
    line_number = 1
    for chunk in chunks:
        buffer = rest + chunk if rest else chunk
        cut = buffer.rfind(b"\n")
        if cut < 0:
            rest = buffer
            continue
        rest = buffer[cut + 1 :]
        end = cut - 1 if cut and buffer[cut - 1] == CR else cut  # the last line's CRLF
        block = decode_block(buffer[:end], line_number)
        line_number += len(block.lines)
        yield block
    if rest:
        yield decode_block(rest.removesuffix(b"\r"), line_number)


def decode_block(data: bytes, first_line_number: int) -> LineBlock:
    """Decode ``data`` (lines joined by ``\\n``, no trailing terminator) into a block."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return _decode_lines(data, first_line_number)
    if "\r" in text:
        text = text.replace("\r\n", "\n")
    return LineBlock(first_line_number, text.split("\n"))


def _decode_lines(data: bytes, first_line_number: int) -> LineBlock:
    lines: list[str] = []
    bad: dict[int, str] = {}
    for index, raw in enumerate(data.split(b"\n")):
        raw = raw.removesuffix(b"\r")
        try:
            lines.append(raw.decode("utf-8"))
        except UnicodeDecodeError as exc:
            lines.append(raw.decode("utf-8", errors="replace"))
            bad[index] = f"invalid UTF-8 at byte {exc.start + 1}"
    return LineBlock(first_line_number, lines, bad)
