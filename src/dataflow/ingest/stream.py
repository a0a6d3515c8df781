"""Turn a stream of byte chunks into blocks of decoded, numbered lines.

Memory stays bounded by the chunk size (plus the longest line, itself capped at
:data:`MAX_LINE_BYTES`): nothing holds a whole file. A block is decoded as UTF-8 in one C
call; only a block that fails is decoded line by line, so that one bad line is reported (and
later quarantined) while its neighbours load. Gzip files are decompressed on the fly
(:func:`gunzip_chunks`), several concatenated members included.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

CHUNK_BYTES = 1 << 20
CR = ord("\r")
MAX_LINE_BYTES = 64 << 20  # a longer "line" is quarantined (cut) instead of held in memory
OVERLONG_PREVIEW_BYTES = 4096  # what raw_text keeps of an overlong line


class UnreadableStreamError(ValueError):
    """The bytes of a file cannot be decoded at all (e.g. corrupt or truncated gzip)."""


@dataclass
class LineBlock:
    """Consecutive physical lines (without line terminators) of one file."""

    first_line_number: int
    lines: list[str]
    # index in ``lines`` -> reason, for lines that cannot be records as they are: not valid
    # UTF-8 (decoded with U+FFFD), or longer than MAX_LINE_BYTES (cut to a preview)
    problems: dict[int, str] = field(default_factory=dict)

    def without_first_line(self) -> LineBlock:
        """The block minus its first line (the CSV header)."""
        bad = {i - 1: reason for i, reason in self.problems.items() if i > 0}
        return LineBlock(self.first_line_number + 1, self.lines[1:], bad)


def iter_line_blocks(
    chunks: Iterable[bytes], max_line_bytes: int = MAX_LINE_BYTES
) -> Iterator[LineBlock]:
    """Blocks of complete lines from ``chunks``; line 1 is the first line of the stream."""
    rest = b""
    overlong: bytes | None = None  # preview of a line being skipped past max_line_bytes
    line_number = 1
    for chunk in chunks:
        if overlong is not None:
            cut = chunk.find(b"\n")
            if cut < 0:
                continue
            yield _overlong_block(overlong, line_number, max_line_bytes)
            line_number += 1
            overlong, chunk = None, chunk[cut + 1 :]
        buffer = rest + chunk if rest else chunk
        cut = buffer.rfind(b"\n")
        if cut < 0:
            rest = buffer
            if len(rest) > max_line_bytes:
                overlong, rest = rest[:OVERLONG_PREVIEW_BYTES], b""
            continue
        rest = buffer[cut + 1 :]
        end = cut - 1 if cut and buffer[cut - 1] == CR else cut  # the last line's CRLF
        block = decode_block(buffer[:end], line_number, max_line_bytes)
        line_number += len(block.lines)
        yield block
        if len(rest) > max_line_bytes:
            overlong, rest = rest[:OVERLONG_PREVIEW_BYTES], b""
    if overlong is not None:
        yield _overlong_block(overlong, line_number, max_line_bytes)
    elif rest:
        yield decode_block(rest.removesuffix(b"\r"), line_number, max_line_bytes)


def _overlong_block(preview: bytes, line_number: int, limit: int) -> LineBlock:
    text = preview.decode("utf-8", errors="replace") + "…"
    return LineBlock(line_number, [text], {0: _overlong_reason(limit)})


def _overlong_reason(limit: int) -> str:
    return f"line longer than {limit:,} bytes (raw_text keeps its start)"


def decode_block(data: bytes, first_line_number: int, max_line_bytes: int = MAX_LINE_BYTES):
    """Decode ``data`` (lines joined by ``\\n``, no trailing terminator) into a block."""
    if len(data) > max_line_bytes:
        return _decode_lines(data, first_line_number, max_line_bytes)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return _decode_lines(data, first_line_number, max_line_bytes)
    if "\r" in text:
        text = text.replace("\r\n", "\n")
    return LineBlock(first_line_number, text.split("\n"))


def _decode_lines(data: bytes, first_line_number: int, max_line_bytes: int) -> LineBlock:
    lines: list[str] = []
    bad: dict[int, str] = {}
    for index, raw in enumerate(data.split(b"\n")):
        raw = raw.removesuffix(b"\r")
        if len(raw) > max_line_bytes:
            lines.append(raw[:OVERLONG_PREVIEW_BYTES].decode("utf-8", errors="replace") + "…")
            bad[index] = _overlong_reason(max_line_bytes)
            continue
        try:
            lines.append(raw.decode("utf-8"))
        except UnicodeDecodeError as exc:
            lines.append(raw.decode("utf-8", errors="replace"))
            bad[index] = f"invalid UTF-8 at byte {exc.start + 1}"
    return LineBlock(first_line_number, lines, bad)


def gunzip_chunks(chunks: Iterable[bytes], chunk_bytes: int = CHUNK_BYTES) -> Iterator[bytes]:
    """Decompress a gzip stream chunk by chunk (concatenated members too), bounded output.

    Raises :class:`UnreadableStreamError` for data that is not gzip, corrupt or truncated.
    """
    inflater = _gzip_inflater()
    fed = False  # the current member has received input
    produced = members = 0
    for chunk in chunks:
        data = chunk
        while data:
            if members and not fed:
                data = data.lstrip(b"\x00")  # zero padding after a member, as gzip(1) allows
                if not data:
                    break
            fed = True
            try:
                out = inflater.decompress(data, chunk_bytes)
                while True:
                    produced += len(out)
                    if out:
                        yield out
                    if inflater.eof or not inflater.unconsumed_tail:
                        break
                    out = inflater.decompress(inflater.unconsumed_tail, chunk_bytes)
            except zlib.error as exc:
                raise UnreadableStreamError(
                    f"gzip data is corrupt after {produced:,} decompressed bytes ({exc})"
                ) from None
            data = b""
            if inflater.eof:  # a member ended: another may follow
                data = inflater.unused_data
                inflater, fed, members = _gzip_inflater(), False, members + 1
    if fed and not inflater.eof:
        raise UnreadableStreamError(
            f"gzip data is truncated after {produced:,} decompressed bytes (it does not end)"
        )


def _gzip_inflater():
    return zlib.decompressobj(wbits=zlib.MAX_WBITS | 16)
