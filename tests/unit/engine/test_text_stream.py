from parrotchat.engine.local.text_stream import TextStream


def test_korean_syllables_split_across_tokens_come_out_whole() -> None:
    data = "안녕하세요".encode()
    stream = TextStream()
    out = "".join(stream.feed(data[i : i + 1]) for i in range(len(data)))
    assert out + stream.flush() == "안녕하세요"
    assert "\ufffd" not in out


def test_stop_string_is_cut_and_never_shown() -> None:
    stream = TextStream(stop=["<|im_end|>"])
    shown = ""
    for piece in ["Hello", " world", "<|im", "_end|>", "after"]:
        shown += stream.feed(piece.encode())
        if stream.stopped:
            break
    assert stream.stopped
    assert shown + stream.flush() == "Hello world"


def test_text_that_only_looks_like_a_stop_prefix_is_released() -> None:
    stream = TextStream(stop=["\nUser:"])
    shown = stream.feed(b"a\nUs") + stream.feed(b"ually fine")
    assert not stream.stopped
    assert shown + stream.flush() == "a\nUsually fine"


def test_hold_back_is_bounded_by_the_longest_stop_string() -> None:
    stream = TextStream(stop=["###"])
    shown = stream.feed(b"x" * 1000 + b"##")
    assert shown == "x" * 1000


def test_a_reply_cut_inside_a_character_ends_without_a_replacement_mark() -> None:
    stream = TextStream()
    data = "이 단어".encode()
    shown = stream.feed(data[:-2])  # the limit hit after the first byte of "어"
    assert shown + stream.flush() == "이 단"
