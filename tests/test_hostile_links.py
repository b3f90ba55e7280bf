"""Hostile links: every page opened through AppTest with generated query strings.

Each case: no exception, a visible notice naming every rejected value, and no user text rendered as HTML.
The quick run tries a few dozen links per page; `LORA_VIZ_FULL=1` (set by .ci/run) tries 500 per page.
"""

import os
import re

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hyp_settings
from hypothesis import strategies as hs

from lora_viz.settings import HIDE_SUFFIX, LINK_KEYS, URL_KEYS, quote_input
from harness.pages import SCRIPTS, notices, open_page

CASES = 500 if os.environ.get("LORA_VIZ_FULL") == "1" else 10
NUMERIC = ("d", "k", "r", "alpha", "seed", "step", "batch", "seq", "adapters", "spectrum_rank", "decay", "noise", "steps", "lr", "lesson")

# Text that Markdown, GFM or Streamlit's own Markdown would turn into a link, an e-mail link, an icon, a colour or maths.
ATTACKER_TEXT = ["https://evil.example/login#", "www.evil.example", "student@evil.example", ":material/warning: Your session expired",
                 ":red[alert]", "$x^2$", "<img src=x onerror=alert(1)>"]
hostile_values = hs.one_of(
    hs.integers(min_value=-(10**25), max_value=10**25).map(str),
    hs.floats(allow_nan=True, allow_infinity=True).map(repr),
    hs.sampled_from(["", " ", "nan", "NaN", "inf", "-inf", "1e309", "0", "-1", "9" * 40, "<script>alert(1)</script>",
                     "<b>bold</b>", "**x**", "[a](javascript:alert(1))", "llama-9b", "q_proj,evil", "all-linear", "ℵ", "🙂",
                     "gpt2", "fp64", "paper", "1", "yes", *ATTACKER_TEXT]),
    hs.text(max_size=12),
)
hostile_queries = hs.dictionaries(
    hs.one_of(hs.sampled_from(URL_KEYS), hs.sampled_from([k + HIDE_SUFFIX for k in ("d", "r", "share")]), hs.text(max_size=6),
              hs.sampled_from(ATTACKER_TEXT)),
    hs.one_of(hostile_values, hs.lists(hostile_values, min_size=1, max_size=3)),
    max_size=8,
)


def _finite_number(text: str) -> bool:
    try:
        return float(text) == float(text) and abs(float(text)) != float("inf")
    except ValueError:
        return text.strip().lstrip("+-").isdigit() and text.strip().isascii()


STYLE_ONLY = re.compile(r"(<style>[^<]*</style>)+")
# Presentation mode's QR code: fixed markup around a base64 image, which no link's words can reach.
QR_CODE = re.compile(r'<div class="lora-viz-qr"><img src="data:image/svg\+xml;base64,[A-Za-z0-9+/=]+" alt="[^"<>]*">[^<]*<br>[^<]*</div>')


@pytest.mark.parametrize("script", SCRIPTS)
def test_hostile_links_never_break_a_page(script):
    @hyp_settings(max_examples=CASES, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(hostile_queries)
    def check(query):
        at = open_page(script, query)
        assert not at.exception, at.exception
        shown = notices(at)
        plain = "\n".join(t.value for t in at.text)
        for key, value in query.items():
            raw = value if isinstance(value, str) else value[-1]
            if key not in LINK_KEYS and not (key.endswith(HIDE_SUFFIX) and key[: -len(HIDE_SUFFIX)] in ("d", "r", "share")):
                assert quote_input(key) in plain or "more unknown settings" in plain, (key, shown)
            elif key in NUMERIC and not _finite_number(raw):
                assert re.search(rf"(^|\n)- {re.escape(key)}[: ]", shown), (key, raw, shown)
        # The link's words reach the page only as plain text (st.text), never in an element that renders Markdown.
        for element in [*at.markdown, *at.warning, *at.caption, *at.info, *at.error]:
            assert "<script" not in element.value and "javascript:" not in element.value
        for element in at.markdown:  # the only HTML a page passes through is the app's own constant style sheet
            assert not element.proto.allow_html or STYLE_ONLY.fullmatch(element.value) or QR_CODE.fullmatch(element.value), element.value

    check()
