"""Fuzz: valid landing files, mutated, loaded for real — one bad row costs one row.

Hypothesis writes a valid landing file (transactions or customers CSV, events JSON lines;
quoted commas, doubled quotes and multi-line fields included; LF or CRLF; sometimes gzip),
then mutates it 1–3 times: bytes inserted (quotes, delimiters, line breaks, NULs, invalid
UTF-8, ...), deleted or flipped, or a field replaced by a hostile value (huge numbers, odd
dates and offsets, NaN, non-ASCII digits, ``\\u0000``, deep nesting, ...). The file goes to
the moto server and through ``load_files`` into Postgres, and each time:

1. the load does not raise;
2. received = loaded + quarantined, and both match the rows in ``raw`` and
   ``audit.quarantine``; Postgres refused none of what the validation accepted;
3. every physical line is accounted for exactly once: header, blank, or part of exactly one
   loaded or quarantined record, and a quarantined record's raw text is its lines;
4. every record the mutations did not touch loads unchanged, at its (shifted) line.

CSV headers are not mutated: a broken header fails the file on purpose (HeaderMismatchError).
Budget: the ``dataflow`` hypothesis profile in ``make test``; by hand,
``pytest tests/integration/test_ingest_fuzz.py --hypothesis-profile=dataflow-long``.
"""

from __future__ import annotations

import gzip
import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dataflow.contracts import SOURCES, landing_key
from dataflow.ingest import load_files

pytestmark = pytest.mark.integration

HOUR = datetime(2003, 3, 3, 3, tzinfo=UTC)
TEXT_COLUMNS = {
    "transactions": ("payment_method", "status"),
    "customers": ("email", "first_name", "last_name", "country", "customer_segment"),
    "events": (),
}
KEY_COLUMN = {"transactions": "transaction_id", "customers": "customer_id", "events": "event_id"}
CHECK_COLUMN = {"transactions": "payment_method", "customers": "first_name", "events": "event_type"}

PLAIN_WORDS = ["paypal", "credit_card", "Ann", "Zoë", "東京", "O'Brien", "a b"]
QUOTED_WORDS = [
    ('"card, visa"', "card, visa"),
    ('"say ""hi"""', 'say "hi"'),
    ('"two\nlines"', "two\nlines"),
    ('"a,\n""b"",\nc"', 'a,\n"b",\nc'),
    ('""', None),
]
TIMESTAMPS = [
    "2024-01-01T10:00:00Z",
    "2024-02-29 23:59:59.123456+01:00",
    "2024-06-30T12:00:00-0330",
    "2024-12-31T24:00:00Z",
    "2024-01-01T10:00",
    "2024-03-01",
]
HOSTILE_VALUES = [
    "9" * 30, "-9223372036854775809", "1e999", "1e-999999", "999999999999.995", "-0.005",
    "NaN", "Infinity", "١٢", "+5", " 5 ", "1_000", "0x1F", "\u00a05",
    "0000-01-01", "2024-02-30", "2023-02-29T10:00:00Z", "2024-01-01T24:00:01Z",
    "2024-01-01T23:59:60Z", "2024-01-01T10:00:00+16:00", "2024-01-01T10:00:00+15:59",
    "2024-01-01T10:00:00-23:59", "now", "infinity", "epoch", "294277-01-01",
    "{00000000-0000-4000-8000-000000000001}", "00000000-0000-4000-8000-00000000000g",
    "", '"', '""', "\\u0000", '"\\u0000"', '"\\ud800"', "true", "1.5", "null", "[]",
    "[" * 700 + "]" * 700, "1e-20000", "1e400000", '"a\x00b"',
]  # fmt: skip
INSERTS = [b'"', b",", b"\n", b"\r", b"\r\n", b"\x00", b"\\", b"{", b"}", b"\xff", b"\xc3"]
INSERTS += [b" ", b'""', b"\n\n", b"\xef\xbb\xbf", b"\\.", b"\t"]


@dataclass
class Record:
    text: str  # without its line terminator
    key: str  # key column value, as text
    check: str | None  # CHECK_COLUMN value as loaded
    start: int = 0  # byte offset in the file
    end: int = 0  # byte offset after its terminator
    line: int = 0  # first physical line


@dataclass
class LandingFile:
    source: str
    header: str | None
    records: list[Record]
    newline: str
    body: bytes = b""
    data_start: int = 0


def _csv_record(draw, source: str, i: int) -> Record:
    word = draw(st.one_of(st.sampled_from(PLAIN_WORDS), st.sampled_from(QUOTED_WORDS)))
    text, value = (word, word) if isinstance(word, str) else word
    when = draw(st.sampled_from(TIMESTAMPS))
    if source == "transactions":
        quantity = draw(st.sampled_from(["1", "", "12"]))
        amount = f"{draw(st.integers(-(10**6), 10**8)) / 100:.2f}"
        line = f"{i},{i % 97},{i % 13},{quantity},{amount},{when},{text},completed"
    else:
        line = f"{i},u{i}@x.io,{text},Lee,DE,basic,2023-05-01,{when},2024-01-01T09:00:00Z"
    return Record(line, str(i), value)


def _event_record(draw, i: int) -> Record:
    event_id = str(uuid.UUID(int=i))
    event = {
        "event_id": event_id,
        "event_type": draw(st.sampled_from(["page_view", "transaction", "add_to_cart"])),
        "customer_id": draw(st.integers(1, 10**6)),
        "occurred_at": draw(st.sampled_from(TIMESTAMPS)),
        "amount": draw(st.floats(allow_nan=False, allow_infinity=False, width=32)),
        "page_url": draw(st.sampled_from(["/p/1", '/ä?q="x"', "/\u2028"])),
        "meta": {"tags": ["a", "b"], "n": draw(st.integers())},
    }
    return Record(
        json.dumps(event, ensure_ascii=draw(st.booleans())), event_id, event["event_type"]
    )


@st.composite
def landing_files(draw) -> LandingFile:
    source = draw(st.sampled_from(["transactions", "customers", "events"]))
    count = draw(st.integers(3, 12))
    first = draw(st.integers(1, 10**6))
    if source == "events":
        records = [_event_record(draw, first + i) for i in range(count)]
        header = None
    else:
        records = [_csv_record(draw, source, first + i) for i in range(count)]
        header = ",".join(SOURCES[source].column_names)
    newline = draw(st.sampled_from(["\n", "\n", "\r\n"]))
    file = LandingFile(source, header, records, newline)
    blank_after = draw(st.sets(st.integers(0, count - 1), max_size=2))
    _assemble(file, blank_after, trailing=draw(st.booleans()))
    return file


def _assemble(file: LandingFile, blank_after: set[int], trailing: bool) -> None:
    out = bytearray()
    line = 1
    if file.header is not None:
        out += (file.header + file.newline).encode()
        line = 2
    file.data_start = len(out)
    for index, record in enumerate(file.records):
        record.start, record.line = len(out), line
        text = record.text.replace("\n", file.newline)
        last = index == len(file.records) - 1
        out += (text + ("" if last and not trailing else file.newline)).encode()
        record.end = len(out)
        line += record.text.count("\n") + 1
        if index in blank_after and not last:
            out += file.newline.encode()
            line += 1
    file.body = bytes(out)


@dataclass(frozen=True)
class Mutation:
    at: int
    deleted: int
    inserted: bytes


@st.composite
def mutations(draw, file: LandingFile) -> list[Mutation]:
    found: list[Mutation] = []
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(["insert", "delete", "flip", "field"]))
        at = draw(st.integers(file.data_start, len(file.body)))
        if kind == "insert":
            found.append(Mutation(at, 0, draw(st.sampled_from(INSERTS))))
        elif kind == "delete" and at < len(file.body):
            found.append(Mutation(at, min(draw(st.integers(1, 3)), len(file.body) - at), b""))
        elif kind == "flip" and at < len(file.body):
            found.append(Mutation(at, 1, bytes([draw(st.integers(0, 255))])))
        elif kind == "field":
            record = draw(st.sampled_from(file.records))
            found.append(_replace_field(draw, file, record))
    found.sort(key=lambda m: m.at)
    return [
        m
        for i, m in enumerate(found)
        if i == 0 or m.at >= found[i - 1].at + found[i - 1].deleted + 1
    ]


def _replace_field(draw, file: LandingFile, record: Record) -> Mutation:
    raw = file.body[record.start : record.end]
    if file.source == "events":
        spans = [(i + 2, raw.find(b",", i)) for i in range(len(raw)) if raw[i : i + 2] == b": "]
    else:
        cuts = [-1, *(i for i, c in enumerate(raw) if c == ord(",")), len(raw.rstrip(b"\r\n"))]
        spans = [(a + 1, b) for a, b in zip(cuts, cuts[1:], strict=False)]
    start, stop = draw(st.sampled_from(spans))
    stop = stop if stop >= start else len(raw.rstrip(b"\r\n"))
    value = draw(st.sampled_from(HOSTILE_VALUES)).encode()
    return Mutation(record.start + start, stop - start, value)


def apply(body: bytes, found: list[Mutation]) -> bytes:
    out = bytearray(body)
    for m in reversed(found):
        out[m.at : m.at + m.deleted] = m.inserted
    return bytes(out)


def touched(file: LandingFile, found: list[Mutation]) -> set[int]:
    """Indexes of the records a mutation changed (or merged into a neighbour)."""
    hit: set[int] = set()
    for m in found:
        first, last = m.at, m.at + max(m.deleted, 1) - 1
        for index, record in enumerate(file.records):
            after_gap = index == 0 or file.records[index - 1].end <= first
            if record.start <= last and first < record.end:
                hit.add(index)
                if b"\n" in file.body[m.at : m.at + m.deleted] and m.at + m.deleted >= record.end:
                    hit.add(index + 1)  # its terminator went: merged with the next one
            elif after_gap and first < record.start:  # in the blank line(s) just before it
                hit.add(index)
                break
        if m.at >= len(file.body):
            hit.add(len(file.records) - 1)
    return hit


def line_shift(file: LandingFile, found: list[Mutation], offset: int) -> int:
    """Physical lines added before byte ``offset`` of the original file."""
    shift = 0
    for m in found:
        if m.at + m.deleted <= offset:
            shift += m.inserted.count(b"\n") - file.body[m.at : m.at + m.deleted].count(b"\n")
    return shift


@pytest.fixture(scope="module")
def pg(settings):
    import psycopg

    with psycopg.connect(settings.warehouse_url, autocommit=True) as conn:
        yield conn


@pytest.fixture(scope="module")
def s3c(settings):
    from dataflow.aws import s3_client

    return s3_client(settings)


FUZZ = settings(suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@FUZZ
@given(file=landing_files(), data=st.data())
def test_mutated_landing_files_cost_only_the_mutated_rows(settings, pg, s3c, file, data):
    found = data.draw(mutations(file))
    body = apply(file.body, found)
    compressed = data.draw(st.booleans())
    suffix = ".jsonl" if file.source == "events" else ".csv"
    key = landing_key(file.source, HOUR, f"fuzz-{uuid.uuid4().hex}{suffix}")
    key += ".gz" if compressed else ""
    s3c.put_object(
        Bucket=settings.landing_bucket, Key=key, Body=gzip.compress(body) if compressed else body
    )
    try:
        result = load_files(settings, file.source, [key], run_id="fuzz")  # 1. never raises
        check_counts(pg, file.source, key, result.files[0])
        records = check_every_line_is_accounted_for(pg, file, key, body)
        check_untouched_records_load_unchanged(file, found, records)
    finally:
        s3c.delete_object(Bucket=settings.landing_bucket, Key=key)
        pg.execute(f"delete from raw.{file.source} where _interval_start = %s"
                   " and _source_file = %s", (HOUR, key))  # fmt: skip
        for table in ("quarantine", "load_audit"):
            pg.execute(f"delete from audit.{table} where source_file = %s", (key,))


def check_counts(pg, source: str, key: str, result) -> None:
    (received, loaded, quarantined, refused, status) = pg.execute(
        "select rows_received, rows_loaded, rows_quarantined, rows_rejected_by_postgres, status"
        " from audit.load_audit where source_file = %s",
        (key,),
    ).fetchone()
    in_raw = pg.execute(
        f"select count(*) from raw.{source} where _interval_start = %s and _source_file = %s",
        (HOUR, key),
    ).fetchone()[0]
    in_quarantine = pg.execute(
        "select count(*) from audit.quarantine where source_file = %s", (key,)
    ).fetchone()[0]
    assert status == "loaded"
    assert received == loaded + quarantined  # 2.
    assert (loaded, quarantined) == (in_raw, in_quarantine)
    assert (result.rows_loaded, result.rows_quarantined) == (loaded, quarantined)
    assert refused == 0, "Postgres refused a value the validation accepted"


def physical_lines(body: bytes, source: str) -> list[str]:
    pieces = body.split(b"\n")
    if body.endswith(b"\n"):
        pieces.pop()
    lines = [p.removesuffix(b"\r").decode("utf-8", errors="replace") for p in pieces]
    if source == "events" and lines:
        lines[0] = lines[0].removeprefix("\ufeff")
    return [line.replace("\x00", "\ufffd") for line in lines]


def check_every_line_is_accounted_for(pg, file: LandingFile, key: str, body: bytes) -> dict:
    """3. Every line is header, blank, or in exactly one record; loaded records by line."""
    lines = physical_lines(body, file.source)
    texts = TEXT_COLUMNS[file.source]
    columns = ", ".join((KEY_COLUMN[file.source] + "::text", CHECK_COLUMN[file.source], *texts))
    loaded = pg.execute(
        f"select _source_line, {columns} from raw.{file.source}"
        " where _interval_start = %s and _source_file = %s",
        (HOUR, key),
    ).fetchall()
    quarantined = pg.execute(
        "select line_number, raw_text from audit.quarantine where source_file = %s", (key,)
    ).fetchall()
    owner: dict[int, str] = {1: "header"} if file.header is not None else {}
    spans = [(row[0], 1 + sum((v or "").count("\n") for v in row[3:]), "loaded") for row in loaded]
    spans += [(line, raw.count("\n") + 1, "quarantined") for line, raw in quarantined]
    for start, span, kind in spans:
        for number in range(start, start + span):
            assert number not in owner, f"line {number} is in two records"
            assert 1 <= number <= len(lines), f"line {number} does not exist"
            owner[number] = kind
    for line, raw in quarantined:
        assert raw == "\n".join(lines[line - 1 : line - 1 + raw.count("\n") + 1])
    for number, text in enumerate(lines, start=1):
        assert number in owner or not text.strip(" \t"), f"line {number} unaccounted: {text!r}"
    return {row[0]: row[1:3] for row in loaded}


def check_untouched_records_load_unchanged(file: LandingFile, found, records: dict) -> None:
    """4. Records no mutation touched load with the same key and value, at their line."""
    hit = touched(file, found)
    for index, record in enumerate(file.records):
        if index in hit:
            continue
        line = record.line + line_shift(file, found, record.start)
        assert records.get(line) == (record.key, record.check), (
            f"untouched record (line {record.line} -> {line}) did not load unchanged: "
            f"{record.text!r}; mutations {found}"
        )
