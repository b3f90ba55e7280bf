import math

from hypothesis import given
from hypothesis import settings as hyp_settings
from hypothesis import strategies as hs

from lora_viz.settings import (
    DEFAULTS,
    DTYPES,
    LINK_KEYS,
    LINK_VERSION,
    MAX_DIM,
    MAX_NOTICES,
    NOTATIONS,
    URL_KEYS,
    Settings,
    capped,
    parse_settings,
    quote_input,
    to_query,
)


def test_defaults_answer_the_seed_question():
    s, notices = parse_settings({})
    assert (s.d, s.k, s.r) == (4096, 4096, 8) and notices == []


def test_round_trip_is_exact_and_silent():
    s = Settings(d=11008, k=4096, r=24, alpha=0.5, dtype="nf4-dq", notation="paper", seed=7, trained=True, step=13,
                 model="custom", targets=("k_proj", "down_proj"), method="qlora", optimizer="adamw8bit", batch=4, seq=512,
                 ckpt=True, adapters=7, hidden=1024, intermediate=2816, layers=4, heads=16, kv_heads=4, vocab=1000,
                 spectrum="rank", spectrum_rank=3, decay=0.25, noise=0.1, steps=50, lr=0.125, trainer="gd",
                 lesson=4, present=True, image="svg", hide=("d", "k", "share"))
    assert parse_settings(to_query(s)) == (s, [])


def test_public_keys_are_stable():
    """Teachers' links use these names: none may disappear (new settings may join them)."""
    shared = {"d", "k", "r", "alpha", "dtype", "notation", "seed", "trained", "step"}
    whole_model = {"model", "targets", "method", "optimizer", "batch", "seq", "ckpt", "adapters"}
    training = {"spectrum", "spectrum_rank", "decay", "noise", "steps", "lr", "trainer", "lesson", "present", "image"}
    link = {"v"}  # the link version, written into every link
    custom = {"hidden", "intermediate", "layers", "heads", "kv_heads", "vocab"}
    every = to_query(DEFAULTS, write_defaults=True)
    assert set(every) >= shared | whole_model | training | link
    assert not set(every) & custom  # the custom sizes only with model=custom
    assert set(to_query(Settings(model="custom"), write_defaults=True)) >= shared | whole_model | training | custom | link


def test_clamping_names_the_field():
    s, notices = parse_settings({"d": "-5", "k": "1e12", "r": "abc", "alpha": "inf", "dtype": "fp64", "seed": "9" * 25})
    assert (s.d, s.k, s.r, s.alpha, s.dtype, s.seed) == (1, MAX_DIM, 1, DEFAULTS.alpha, DEFAULTS.dtype, 2**31 - 1)
    for key in ("d", "k", "r", "alpha", "dtype", "seed"):
        assert any(n.startswith(key) for n in notices), key


def test_rank_is_clamped_to_min_of_d_and_k():
    s, notices = parse_settings({"d": "16", "k": "64", "r": "32"})
    assert s.r == 16 and any("min(d, k)" in n for n in notices)


def test_huge_digit_strings_and_repeats():
    s, notices = parse_settings({"d": "9" * 5000, "k": ["100", "200"]})
    assert s.d == MAX_DIM and s.k == 200
    assert any("2 times" in n for n in notices)


def test_unknown_keys_are_reported():
    _, notices = parse_settings({"evil": "1"})
    assert notices == ["Ignored unknown setting “evil”."]


def test_input_is_quoted_as_one_short_printable_line():
    """Pages show notices as plain text (never Markdown), so quoting keeps the words and only bounds them."""
    assert quote_input("<b>x</b>") == "“<b>x</b>”"
    assert quote_input("a\nb\x00c\u202e" + "x" * 100) == "“a?b?c?" + "x" * 34 + "…”"


values = hs.one_of(
    hs.text(max_size=30),
    hs.integers(min_value=-(10**30), max_value=10**30).map(str),
    hs.floats(allow_nan=True, allow_infinity=True).map(repr),
    hs.sampled_from(["", " ", "nan", "-inf", "1e999", "<b>x</b>", "0x10", "٣", "1_000", "4096.0", "BF16", "Paper"]),
)
queries = hs.dictionaries(hs.one_of(hs.sampled_from(URL_KEYS), hs.text(max_size=8)), hs.one_of(values, hs.lists(values, max_size=3)), max_size=10)


@hyp_settings(max_examples=300, deadline=None)
@given(queries)
def test_any_query_gives_valid_settings(query):
    s, notices = parse_settings(query)
    assert 1 <= s.d <= MAX_DIM and 1 <= s.k <= MAX_DIM and 1 <= s.r <= min(s.d, s.k)
    assert math.isfinite(s.alpha) and s.alpha > 0
    assert s.dtype in DTYPES and s.notation in NOTATIONS
    # The settings written back to the URL reproduce the view with nothing left to adjust.
    assert parse_settings(to_query(s)) == (s, [])
    for notice in notices:
        assert notice.isprintable() and len(notice) < 400
    # Every value that could not be used as given is called out by name.
    for key, value in query.items():
        raw = value if isinstance(value, str) else (value[-1] if value else "")
        if key not in LINK_KEYS:
            assert any(quote_input(key) in n for n in notices)
        elif key in ("dtype", "notation") and raw.strip().lower() not in (DTYPES if key == "dtype" else NOTATIONS):
            assert any(n.startswith(key) for n in notices)
        elif key in ("d", "k", "r", "seed", "alpha", "step", "steps", "spectrum_rank", "decay", "noise", "lr") and not _is_finite_number(raw):
            assert any(n.startswith(key) for n in notices)


def _is_finite_number(text: str) -> bool:
    try:
        return math.isfinite(float(text))
    except ValueError:
        return text.strip().lstrip("+-").isdigit() and text.strip().isascii()


def test_step_is_clamped_to_the_animation_of_this_rank():
    s, notices = parse_settings({"r": "2", "step": "50"})
    assert s.step == 7 and notices == ["step: “50” is outside 0…7; using 7."]


def test_targets_are_checked_against_the_model():
    s, notices = parse_settings({"model": "gpt2", "targets": "c_attn,q_proj"})
    assert s.targets == ("c_attn",) and any(quote_input("q_proj") in n and n.startswith("targets") for n in notices)
    assert parse_settings({"model": "bert-base", "targets": "all-linear"})[0].targets == ("all-linear",)
    assert parse_settings({"model": "gpt2"})[0].targets == ("c_attn",)  # PEFT's default for GPT-2


def test_custom_heads_must_divide_evenly():
    s, notices = parse_settings({"model": "custom", "hidden": "1000", "heads": "7", "kv_heads": "3"})
    assert (s.heads, s.kv_heads) == (5, 1) and len(notices) == 2


def test_hide_flags_in_the_manner_of_tensorflow_playground():
    s, notices = parse_settings({"d_hide": "1", "r_hide": "0", "share_hide": "true", "nope_hide": "1"})
    assert s.hide == ("d", "share") and notices == ["Ignored unknown setting “nope_hide”."]
    query = to_query(s)
    assert query["d_hide"] == "1" and "r_hide" not in query


def test_thousands_of_unknown_names_give_ten_notices_and_a_count():
    query = {f"u{i}": "1" for i in range(8000)} | {"targets": ",".join(f"x{i}" for i in range(8000))}
    _, notices = parse_settings(query)
    assert len(notices) <= 2 * (MAX_NOTICES + 1) + 1 and sum(len(n) for n in notices) < 5000
    assert "Ignored 7,990 more unknown settings." in notices
    assert "targets: 7,990 more names left out." in notices


def test_reading_a_long_list_stops_after_the_names_a_model_has():
    """The work is bounded by the number of known names, not by the length of the link's list: no list of two
    million names is ever made (that alone would take over 100 MB)."""
    import tracemalloc

    long = ",".join(["nope"] * 2_000_000)
    tracemalloc.start()
    s, notices = parse_settings({"targets": long})
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 1_000_000 and s.targets == ("q_proj", "v_proj")
    assert "targets: 1,999,990 more names left out." in notices


def test_capped_keeps_ten_and_counts_the_rest():
    assert capped([str(i) for i in range(25)]) == [*map(str, range(10)), "… and 15 more."]
    assert capped(["a", "b"]) == ["a", "b"]


def test_every_link_carries_its_version_and_a_typed_address_without_one_reads_as_today():
    from lora_viz import settings as schema

    assert to_query(DEFAULTS)["v"] == str(schema.LINK_VERSION)
    assert parse_settings({"d": "64"}) == parse_settings({"d": "64", "v": str(schema.LINK_VERSION)})
    assert parse_settings({})[0] == DEFAULTS
    _, notices = parse_settings({"v": "99"})
    assert notices and notices[0].startswith("v:")  # a link from a newer app is read as this one's


def test_a_changed_default_never_changes_what_an_old_link_shows(monkeypatch):
    """When a later version changes a default, links made before it keep the old one (PAST_DEFAULTS)."""
    from lora_viz import settings as schema

    monkeypatch.setattr(schema, "LINK_VERSION", 2)
    monkeypatch.setattr(schema, "PAST_DEFAULTS", {1: {"notation": "paper", "r": 4}})
    old, notices = parse_settings({"d": "64", "v": "1"})
    assert not notices and (old.notation, old.r) == ("paper", 4)
    new, _ = parse_settings({"d": "64", "v": "2"})
    assert (new.notation, new.r) == ("card", 8)
    # Written again, the old link says what it means in the new version's terms.
    rewritten = to_query(old, write_defaults=False)
    assert rewritten == {"v": "2", "d": "64", "r": "4", "notation": "paper"}
    assert parse_settings(rewritten)[0] == old


def test_version_1_links_keep_the_untrained_adapter_they_showed():
    """Version 2 made the trained adapter the default; a link written at version 1 left trained=0 out."""
    assert parse_settings({"v": "1", "r": "4"})[0].trained is False
    assert parse_settings({"v": "2", "r": "4"})[0].trained is True
    assert to_query(parse_settings({"v": "1"})[0]) == {"v": str(LINK_VERSION), "trained": "0", "prepared": "0"}


def test_version_2_links_keep_the_precision_each_method_had_and_qlora_as_loaded():
    """Version 3 added the training precision (mixed by default) and PEFT's preparation of QLoRA (on by default).
    Before it, full fine-tuning kept everything in the dtype (pure), LoRA and QLoRA kept PEFT's fp32 adapters (mixed),
    and QLoRA was priced as loaded: a version-2 link keeps its numbers."""
    assert parse_settings({"v": "2"})[0].prepared is False and parse_settings({"v": "3"})[0].prepared is True
    assert parse_settings({"v": "2", "method": "full"})[0].precision == "pure"
    assert parse_settings({"v": "2", "method": "qlora"})[0].precision == "mixed"
    assert parse_settings({"v": "3", "method": "full"})[0].precision == "mixed"
    assert to_query(parse_settings({"v": "2", "method": "full"})[0]) == {"v": str(LINK_VERSION), "method": "full", "precision": "pure", "prepared": "0"}


def test_writing_only_what_differs_from_the_defaults_is_a_switch():
    s = Settings(r=16, lesson=3, model="gpt2", targets=("c_attn",), hide=("d",))
    short = to_query(s, write_defaults=False)
    assert short == {"v": str(LINK_VERSION), "r": "16", "model": "gpt2", "lesson": "3", "d_hide": "1"}  # gpt2's default targets
    assert parse_settings(short) == (s, [])
    assert to_query(s) == short  # the app writes short links
    assert parse_settings(to_query(s, write_defaults=True)) == (s, [])  # and still reads long ones
