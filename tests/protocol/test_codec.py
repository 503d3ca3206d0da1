"""The tokenizer and reply codec, rule by rule (PROTOCOL.md §2, §3)."""
from __future__ import annotations

import pytest

from protocol.codec import (CHUNK_BYTES, MAX_LINE_BYTES, MAX_TOKENS, MSG_LINE_TOO_LONG,
                            MSG_TOO_MANY_TOKENS, MSG_UNEXPECTED_EOL, MSG_UNEXPECTED_QUOTE,
                            Reply, RequestDecoder, format_line, parse_reply_line, tokenize)
from protocol.status import Status


@pytest.mark.parametrize("line, tokens", [
    (b"hypervisor version", ("hypervisor", "version")),
    (b"  \t vm   list \t", ("vm", "list")),
    (b'vm set_config "R1" "a.cfg" ""', ("vm", "set_config", "R1", "a.cfg")),  # "" → no token
    (b'a "b c"d', ("a", "b c", "d")),            # a closing quote starts a new token
    (b'"abc"def g', ("abc", "def", "g")),
    (b'a "x # y ! z"', ("a", "x # y ! z")),       # comment chars are plain inside quotes
    (b"a b#c d", ("a", "b")),                     # '#' inside a bare word starts a comment
    (b"a b!c", ("a", "b")),
    (b"a #b", ("a",)),
    (b"# only a comment", ()),
    (b"", ()),
    (b"a\\b 'c'", ("a\\b", "'c'")),               # no escapes; backslash and ' are ordinary
    (b"a\rb c", ("a",)),                          # \r ends the line, the rest is discarded
    (b"a b\r\n", ("a", "b")),
    (b"\xff\x01 \xc3\xa9", ("\udcff\x01", "é")),  # bytes survive (surrogateescape)
])
def test_tokenizer_rules(line, tokens):
    request = tokenize(line)
    assert request.error is None
    assert request.tokens == tokens


@pytest.mark.parametrize("line, error", [
    (b'ab"c', MSG_UNEXPECTED_QUOTE),
    (b'a b"', MSG_UNEXPECTED_QUOTE),
    (b'a "bc', MSG_UNEXPECTED_EOL),
    (b'a "bc\rd"', MSG_UNEXPECTED_EOL),
])
def test_tokenizer_errors(line, error):
    assert tokenize(line).error == error


def test_bytes_roundtrip_through_tokens():
    raw = bytes(range(0x80, 0x100))
    token = tokenize(b"x " + raw).tokens[1]
    assert token.encode("utf-8", "surrogateescape") == raw


def test_decoder_waits_for_a_whole_chunk_and_keeps_order():
    d = RequestDecoder()
    assert d.feed(b"hyper") == []
    assert d.feed(b"visor ver") == []
    out = d.feed(b"sion\nvm list\nvm")
    assert [r.tokens for r in out] == [("hypervisor", "version"), ("vm", "list")]
    assert [r.tokens for r in d.feed(b" x\n")] == [("vm", "x")]


def test_carriage_return_discards_the_rest_of_the_chunk_only():
    d = RequestDecoder()
    out = d.feed(b"a b\rc d\ne f\n")
    assert [r.tokens for r in out] == [("a", "b"), ("e", "f")]


def test_long_line_is_read_in_511_byte_chunks_and_tokenized_across_them():
    word = b"w" * 1500
    out = RequestDecoder().feed(b"m c " + word + b" z\n")
    assert len(out) == 1 and out[0].tokens == ("m", "c", word.decode(), "z")


def test_carriage_return_inside_a_long_line_ends_it_at_the_chunk_boundary():
    # dynamips: the \r ends the line and discards the rest of ITS 511-byte chunk; the next
    # chunk of the same \n-line is a new line.
    first = b"m c\r" + b"x" * (CHUNK_BYTES - 4)
    out = RequestDecoder().feed(first + b"n d\n")
    assert [r.tokens for r in out] == [("m", "c"), ("n", "d")]


def test_nul_first_in_chunk_skips_it_and_nul_later_cuts_the_chunk():
    d = RequestDecoder()
    assert d.feed(b"\x00vm list\n") == []
    out = d.feed(b"vm li\x00st garbage\n")      # cut after 'li', the line continues
    assert out == []
    assert [r.tokens for r in d.feed(b"st\n")] == [("vm", "list")]


def test_line_limit_answers_once_and_recovers():
    d = RequestDecoder()
    out = []
    block = b"y" * (1 << 20)
    for _ in range(5):
        out += d.feed(block)
    assert out == []                            # never buffered, not answered before the end
    out += d.feed(b"\nhypervisor version\n")
    assert [r.error for r in out] == [MSG_LINE_TOO_LONG, None]
    assert out[1].tokens == ("hypervisor", "version")
    assert len(d._pending) < CHUNK_BYTES and MAX_LINE_BYTES == 4 * 1024 * 1024


def test_token_limit():
    assert tokenize(b"t " * (MAX_TOKENS + 1)).error == MSG_TOO_MANY_TOKENS
    assert len(tokenize(b"t " * MAX_TOKENS).tokens) == MAX_TOKENS


def test_reply_lines():
    assert format_line(100, "OK", True) == b"100-OK\r\n"
    assert format_line(101, "R1 (c7200)", False) == b"101 R1 (c7200)\r\n"
    assert Reply(Status.OK, "OK", ["a", "b"]).encode() == b"101 a\r\n101 b\r\n100-OK\r\n"
    assert Reply(Status.ERR_UNK_OBJ, "x").encode() == b"208-x\r\n"
    assert parse_reply_line("209-unable") == (209, True, "unable")
    assert parse_reply_line("101 a b") == (101, False, "a b")
    with pytest.raises(ValueError):
        parse_reply_line("hello")
