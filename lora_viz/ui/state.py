"""Settings ⇄ URL: a new link sets the controls; otherwise the controls set the URL."""

from __future__ import annotations

import streamlit as st
from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx

from ..settings import URL_KEYS, Settings, capped, parse_settings, quote_input, to_query
from .incoming import as_query_value, dropped_keys, fields_left_out, install, set_aside_reconnected
from ..navigation import page_by_label
from .control import MOVED
from .rank_preview import Later
from .sidebar import sidebar, student_qr

# The queries this session wrote last, newest last. A browser asks for each run with the address it shows, which can
# lag behind what the server wrote (a key pressed before the last run's new address arrived): an address among these
# is such a lag, and the controls win; any other is a new link, and the link wins.
_WRITTEN = "_lora_viz_written"
_KEEP_WRITTEN = 32
_STREAMLIT_KEYS = ("embed", "embed_options")
# Constants, never built from input. Wide Markdown tables scroll inside their own box on a phone instead
# of widening the page; a metric's value and formula (its delta line), and a page link's blurb, wrap instead of
# being cut off; the share box's link leaves room for its copy button; links to pages in the text are underlined
# (as links, not plain text); the rank slider's preview element takes no room (it draws nothing of its own).
_BASE_CSS = """<style>
[data-testid="stMarkdownContainer"] table { display: block; max-width: 100%; overflow-x: auto; }
[data-testid="stMarkdownContainer"] th, [data-testid="stMarkdownContainer"] td { padding: 0.5rem 0.6rem; }
[data-testid="stMetricDelta"], [data-testid="stMetricDelta"] * { white-space: normal !important; overflow: visible !important; height: auto !important; }
[data-testid="stMetricValue"], [data-testid="stMetricValue"] * { white-space: normal !important; overflow: visible !important; overflow-wrap: anywhere; }
[data-testid="stPageLink-NavLink"], [data-testid="stPageLink-NavLink"] * { white-space: normal !important; overflow: visible !important; height: auto !important; }
[data-testid="stSidebar"] [data-testid="stCode"] pre { padding-right: 2.75rem !important; }
[data-testid="stMain"] [data-testid="stPageLink-NavLink"] p { text-decoration: underline; text-decoration-color: rgba(128, 128, 128, 0.7); text-underline-offset: 0.2em; }
.st-key-lora-viz-rank-preview { display: none; }
.st-key-lora-viz-notices { background-color: rgba(255, 193, 7, 0.08); border-color: rgba(255, 193, 7, 0.5) !important; }
</style>"""
# Presentation mode: everything a projector needs larger. Later rules of equal specificity win, so the headline
# numbers, their formulas, captions and tables come after the rule for text (which once shrank the numbers to it).
_PRESENTATION_CSS = """<style>
[data-testid="stMain"] [data-testid="stMarkdownContainer"] p, [data-testid="stMain"] li { font-size: 1.35rem !important; line-height: 1.5; }
[data-testid="stMain"] h1 { font-size: 2.6rem !important; padding-top: 0 !important; }
[data-testid="stMain"] h2, [data-testid="stMain"] h3 { font-size: 2.2rem !important; }
[data-testid="stMain"] [data-testid="stMetricValue"], [data-testid="stMain"] [data-testid="stMetricValue"] p, [data-testid="stMain"] [data-testid="stMetricValue"] div { font-size: 3.4rem !important; line-height: 1.15; }
[data-testid="stMain"] [data-testid="stMetricLabel"] p, [data-testid="stMain"] [data-testid="stMetricDelta"] p, [data-testid="stMain"] [data-testid="stMetricDelta"] div { font-size: 1.3rem !important; }
[data-testid="stMain"] [data-testid="stCaptionContainer"], [data-testid="stMain"] [data-testid="stCaptionContainer"] p,
[data-testid="stMain"] [data-testid="stMarkdownContainer"] p span:has(> .stMarkdownColoredText), [data-testid="stMain"] .stMarkdownColoredText { font-size: 1.2rem !important; }
[data-testid="stMain"] table, [data-testid="stMain"] th, [data-testid="stMain"] td, [data-testid="stMain"] td p { font-size: 1.3rem !important; }
[data-testid="stMain"] [data-testid="stAlert"] p, [data-testid="stMain"] [data-testid="stText"] { font-size: 1.3rem !important; }
[data-testid="stMainBlockContainer"] { padding-top: 2.5rem !important; padding-bottom: 1rem !important; padding-right: 10rem !important; }
.lora-viz-qr { position: fixed; top: 3.25rem; right: 1rem; z-index: 99; text-align: center; font-size: 0.8rem; line-height: 1.2; }
.lora-viz-qr img { display: block; width: 7.5rem; height: 7.5rem; margin: 0 auto 0.2rem; }
</style>"""


install()  # every incoming control value is checked before Streamlit reads it (see incoming.py)


def _url_query() -> dict[str, list[str]]:
    """The current URL's query, every value kept (repeated keys give lists)."""
    return {key: st.query_params.get_all(key) for key in st.query_params.keys() if key not in _STREAMLIT_KEYS}


def _widget_query() -> dict[str, str]:
    """The controls' current values as query strings (a page's own controls exist only on that page)."""
    # One read of the whole state: a locked lookup and a read for each of the settings took 35 times as long (AppTest).
    state = st.session_state.to_dict()
    return {key: as_query_value(state[key]) for key in URL_KEYS if key in state}


def page_settings(title: str) -> tuple[Settings, Later]:
    """Set up a page: read the settings from a new link or from the controls, draw the sidebar and notices, sync the
    URL. Returns the settings, and what the page sends once its body has run (sidebar's `Later`)."""
    set_aside_reconnected()
    url = _url_query()
    reconnected = st.session_state.pop(MOVED, {})  # what a reconnected tab sent (see follow_reconnected_tab)
    moved = {key: value for key, value in reconnected.items() if value is not None}
    written = st.session_state.get(_WRITTEN, [])
    # A session's first run opens its link, and so does the browser's Back or Forward button.
    new_link = (url not in written or _history_navigation()) and not reconnected
    # A new link wins; otherwise the controls do, and the URL fills in for any control not on this page.
    settings, notices = parse_settings(url if new_link else {**url, **_widget_query(), **moved})
    # Presentation mode is for a projector: the page gets the whole screen (the sidebar opens with its arrow).
    st.set_page_config(page_title=f"{title} · lora-viz", page_icon="🧮", layout="wide",
                       initial_sidebar_state="collapsed" if settings.present else "auto")
    unreadable = dropped_keys() + [key for key, value in reconnected.items() if value is None]
    notices = [f"{quote_input(key)}: a control sent a value it could not have sent; it keeps its previous value."
               for key in unreadable] + notices
    if left_out := fields_left_out():
        notices.insert(0, f"This link is longer than a link the app reads (1,000 fields, 512 KiB): it read the first "
                          f"part and left out the last {f'{left_out:,} fields' if left_out > 1 else 'field'}.")
    page = page_by_label(title)
    later = sidebar(settings, page)
    query = to_query(settings)
    if url != {key: [value] for key, value in query.items()}:
        st.query_params.from_dict(query)
    wrote = {key: [value] for key, value in query.items()}
    known = [url] if new_link else []  # the link as opened: the browser may still ask with it once or twice
    st.session_state[_WRITTEN] = [*(old for old in written if old not in (*known, wrote)), *known, wrote][-_KEEP_WRITTEN:]
    st.markdown(_BASE_CSS + (_PRESENTATION_CSS if settings.present else ""), unsafe_allow_html=True)
    if settings.present and not settings.student:
        student_qr(settings, page)
    if settings.student and page.url_path != "lesson":  # a student has no page links: the way back to the lesson
        st.page_link("pages/lesson.py", label=f"← Back to the lesson, step {settings.lesson + 1}", query_params=to_query(settings))
    if notices:
        show_notices("Some settings in this link were adjusted:" if new_link else "Adjusted:", notices)
    return settings, later


def _history_navigation() -> bool:
    """True if this run was asked for by the browser's Back or Forward button."""
    ctx = get_script_run_ctx()
    return bool(ctx and ctx.is_history_navigation)


def follow_reconnected_tab() -> None:
    """Run the page again if a tab whose server restarted sent moved controls (its first run drew its link's view), or
    a value to be named in a notice."""
    if st.session_state.get(MOVED):
        st.rerun()


NOTICE_BOX = "lora-viz-notices"  # the box around a warning's heading and its notices (styled in _BASE_CSS)


def show_notices(heading: str, notices: list[str]) -> None:
    """A warning with our own heading, and the notices beneath it as plain text, both in one box: they quote the
    link's words, which must never become links, icons, colours or formatting (a warning's own body is Markdown)."""
    with st.container(border=True, key=NOTICE_BOX):
        st.warning(heading, icon="⚠️")
        st.text("\n".join(f"- {notice}" for notice in capped(notices)))
