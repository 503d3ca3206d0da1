"""Request framing, tokenizer and reply formatting (PROTOCOL.md §2 and §3).

dynamips reads requests with ``fgets(buf, 512)``: chunks of at most 511 bytes, each ending
at (and including) a ``\\n``. Each chunk is fed to an incremental tokenizer whose state
persists across chunks until a line is complete. `RequestDecoder` reproduces that exactly,
including its corner cases, because clients (GNS3 above all) depend on them:

* a chunk whose first byte is NUL is skipped; a NUL later in a chunk drops the rest of the
  chunk without ending the line;
* ``\\r`` ends the line and the rest of that chunk is discarded;
* ``""`` yields no token, a quote inside a bare word is a parse error, ``#``/``!`` start a
  comment at a token start or inside a bare word.

Unlike dynamips, a line is bounded (`MAX_LINE_BYTES`, `MAX_TOKENS`): a longer one is
answered with a single parse error once it ends, and is never buffered whole.

Tokens are `str` decoded from UTF-8 with ``surrogateescape`` so arbitrary bytes survive the
round trip into file names and back into replies unchanged.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from .status import Status

CHUNK_BYTES = 511               # fgets(buf, 512) reads at most 511 bytes
MAX_LINE_BYTES = 4 * 1024 * 1024
MAX_TOKENS = 1024
ENCODING = "utf-8"
ERRORS = "surrogateescape"

MSG_NEED_MODULE_AND_COMMAND = "At least a module and a command must be specified"
MSG_UNEXPECTED_QUOTE = "Parse error: unexpected quote"
MSG_UNEXPECTED_EOL = "Parse error: unexpected end of line"
MSG_LINE_TOO_LONG = f"Parse error: line too long (limit {MAX_LINE_BYTES} bytes)"
MSG_TOO_MANY_TOKENS = f"Parse error: too many tokens (limit {MAX_TOKENS})"

# Tokenizer states.
_BLANK, _WORD, _QUOTED, _SKIP = range(4)

_EOL = b"\n\r"                  # NUL is handled before scanning (the chunk is cut there)
_RUN_WORD = re.compile(rb'[^\n\r \t#!"]+')
_RUN_QUOTED = re.compile(rb'[^\n\r"]+')
_RUN_BLANK = re.compile(rb"[ \t]+")
_FIND_EOL = re.compile(rb"[\n\r]")


@dataclass(frozen=True, slots=True)
class Request:
    """One complete request line: its tokens, or the parse error it produced."""

    tokens: tuple[str, ...] = ()
    error: str | None = None


class RequestDecoder:
    """Turns a byte stream into `Request`s exactly as dynamips' fgets loop does."""

    def __init__(self) -> None:
        self._pending = b""          # bytes not yet forming a whole fgets chunk
        self._reset_line()

    def _reset_line(self) -> None:
        self._state = _BLANK
        self._tokens: list[bytes] = []
        self._current = bytearray()  # the token being built
        self._error: str | None = None
        self._line_bytes = 0

    def feed(self, data: bytes) -> list[Request]:
        """Add received bytes; return every request line completed by them."""
        buf = self._pending + data if self._pending else data
        requests: list[Request] = []
        start = 0
        size = len(buf)
        while start < size:
            nl = buf.find(b"\n", start, start + CHUNK_BYTES)
            if nl >= 0:
                end = nl + 1
            elif size - start >= CHUNK_BYTES:
                end = start + CHUNK_BYTES
            else:
                break                # fgets would still be waiting for more
            request = self._feed_chunk(buf[start:end])
            if request is not None:
                requests.append(request)
            start = end
        self._pending = buf[start:]
        return requests

    def _feed_chunk(self, chunk: bytes) -> Request | None:
        if chunk[0] == 0:
            return None              # dynamips: strlen() == 0, chunk ignored
        nul = chunk.find(b"\x00")
        if nul >= 0:
            chunk = chunk[:nul]      # the rest of the chunk is lost, the line goes on
        self._line_bytes += len(chunk)
        if self._line_bytes > MAX_LINE_BYTES and self._error is None:
            self._error = MSG_LINE_TOO_LONG
            self._tokens.clear()
            self._current.clear()
            self._state = _SKIP
        if self._scan(chunk):
            request = self._finish()
            self._reset_line()
            return request
        return None

    def _end_token(self) -> None:
        if self._error is None:
            if len(self._tokens) >= MAX_TOKENS:
                self._error = MSG_TOO_MANY_TOKENS
                self._tokens.clear()
            else:
                self._tokens.append(bytes(self._current))
        self._current.clear()

    def _scan(self, chunk: bytes) -> bool:
        """Run the tokenizer over one chunk; True when the line is complete."""
        pos, size = 0, len(chunk)
        while pos < size:
            state = self._state
            if state == _SKIP:
                return _FIND_EOL.search(chunk, pos) is not None
            if state == _BLANK:
                m = _RUN_BLANK.match(chunk, pos)
                if m:
                    pos = m.end()
                    continue
                c = chunk[pos]
                pos += 1
                if c in _EOL:
                    return True
                if c in b"#!":
                    self._state = _SKIP
                elif c == 0x22:      # '"'
                    self._state = _QUOTED
                else:
                    self._current.append(c)
                    self._state = _WORD
            elif state == _WORD:
                m = _RUN_WORD.match(chunk, pos)
                if m:
                    self._current += m.group()
                    pos = m.end()
                    continue
                c = chunk[pos]
                pos += 1
                if c == 0x22:        # a quote inside a bare word
                    self._current.clear()
                    self._set_error(MSG_UNEXPECTED_QUOTE)
                    self._state = _SKIP
                    continue
                self._end_token()
                if c in _EOL:
                    return True
                self._state = _BLANK if c in b" \t" else _SKIP
            else:                    # _QUOTED
                m = _RUN_QUOTED.match(chunk, pos)
                if m:
                    self._current += m.group()
                    pos = m.end()
                    continue
                c = chunk[pos]
                pos += 1
                if c in _EOL:
                    self._current.clear()
                    self._set_error(MSG_UNEXPECTED_EOL)
                    return True
                if self._current:    # '""' yields no token
                    self._end_token()
                self._state = _BLANK
        return False

    def _set_error(self, message: str) -> None:
        if self._error is None:
            self._error = message

    def _finish(self) -> Request:
        if self._error is not None:
            return Request(error=self._error)
        return Request(tokens=tuple(t.decode(ENCODING, ERRORS) for t in self._tokens))


def tokenize(line: bytes | str) -> Request:
    """Tokenize one line (a convenience for tests and tools)."""
    if isinstance(line, str):
        line = line.encode(ENCODING, ERRORS)
    decoder = RequestDecoder()
    requests = decoder.feed(line if line.endswith(b"\n") else line + b"\n")
    return requests[0] if requests else Request(error=MSG_NEED_MODULE_AND_COMMAND)


def encode_text(text: str) -> bytes:
    return text.encode(ENCODING, ERRORS)


def format_line(code: int, text: str, final: bool) -> bytes:
    """One reply line: ``NNN-text`` when final, ``NNN text`` when intermediate."""
    return b"%3d%c%s\r\n" % (code, 0x2D if final else 0x20, encode_text(text))


@dataclass(slots=True)
class Reply:
    """A whole reply: intermediate 101 lines, then exactly one final line."""

    code: int = Status.OK
    text: str = "OK"
    info: list[str] | None = None

    def encode(self) -> bytes:
        lines = [format_line(Status.INFO, item, False) for item in self.info or ()]
        lines.append(format_line(self.code, self.text, True))
        return b"".join(lines)


_REPLY_LINE = re.compile(r"^(\d{3})([- ])(.*)$", re.S)


def parse_reply_line(line: str) -> tuple[int, bool, str]:
    """Split ``NNN-text`` / ``NNN text`` into (code, is_final, text)."""
    m = _REPLY_LINE.match(line)
    if not m:
        raise ValueError(f"malformed reply line {line!r}")
    return int(m.group(1)), m.group(2) == "-", m.group(3)
