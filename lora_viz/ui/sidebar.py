"""The sidebar every page shares: settings, page links, share this view, and exports."""

from __future__ import annotations

from dataclasses import replace
from urllib.parse import urlencode

import streamlit as st

from ..export import lora_config_snippet, numbers_table, to_csv, to_markdown
from ..numbers.ranks import rank_options
from ..qr import qr_data_uri
from ..settings import HIDEABLE, SIDEBAR, Settings, schema, to_query
from ..navigation import PAGES, page_address, PageInfo
from .control import control, shown
from .rank_preview import Later, reserve_rank_preview

PANEL_LABELS = {"share": "“Share this view” (this box)", "pages": "Page links", "export": "Export"}


def hide_label(key: str) -> str:
    """How the hide list names a control or panel: its label, not its URL key."""
    return PANEL_LABELS.get(key) or schema(key).label


def _settings(s: Settings, page: PageInfo) -> Later:
    """The shared controls, as the schema lists them (settings.SIDEBAR); each one's key is its URL parameter. Returns
    what sends the rank slider's preview, once the page is drawn (rank_preview.py), where the slider is shown."""
    bar = st.sidebar
    if any(shown(s, key) for key in SIDEBAR):  # a student view has none: no heading over nothing
        bar.header("Settings")
    for key in SIDEBAR:
        control(s, bar, key, **_sidebar_options(s, key))
    return reserve_rank_preview(s, page) if shown(s, "r") else (lambda: None)


def _sidebar_options(s: Settings, key: str) -> dict:
    """What a sidebar control needs beyond its schema: the rank's steps, up to min(d, k)."""
    return dict(options=rank_options(min(s.d, s.k), s.r)) if key == "r" else {}


def _navigation(s: Settings) -> None:
    """Links to every page that carry the current settings."""
    st.sidebar.header("Pages")
    for page in PAGES:
        st.sidebar.page_link(page.script, label=page.label, query_params=to_query(s))


def share_link(address: str, s: Settings, hide: list[str], present: bool, student: bool = False) -> str:
    """The link to this exact view at `address` (a page's), with the chosen controls hidden (or, in the student view,
    all of them), presentation mode on or off. Only names a link can hide are written, whatever the widget sent."""
    chosen = replace(s, present=present, student=student, hide=() if student else tuple(k for k in HIDEABLE if k in hide))
    return f"{address.split('?')[0]}?{urlencode(to_query(chosen))}"


def student_qr(s: Settings, page: PageInfo) -> None:
    """Presentation mode's QR code of the student link to this view, in the top right corner of the screen."""
    address = page_address(st.context.url or "http://localhost", st.get_option("server.baseUrlPath"), page)
    link = share_link(address, s, [], present=False, student=True)
    # Only the code goes into the page's HTML, as base64: the link's own words never do (they come from a link).
    st.markdown(f'<div class="lora-viz-qr"><img src="{qr_data_uri(link)}" alt="QR code of the student link to this view">'
                "Scan: this view<br>on your phone</div>", unsafe_allow_html=True)


def _opened(label: str, key: str):
    """A sidebar box whose contents are built only while it is open (a closed box costs a move nothing, and its
    code block does not make the page load Streamlit's syntax highlighter); None while closed."""
    box = st.sidebar.expander(label, key=key, on_change="rerun")
    return box if box.open else None


def _share(s: Settings, page: PageInfo) -> None:
    """'Share this view': pick what students may not see, copy the link to the page shown."""
    box = _opened("Share this view", "_share_open")
    if box is None:
        return
    with box:
        student = st.toggle("Student view: hide every control and these tools", value=s.student, key="_share_student")
        hide = st.multiselect("Or hide only these", options=HIDEABLE, default=list(s.hide), key="_share_hide",
                              format_func=hide_label, disabled=bool(student))
        present = st.toggle("Open in presentation mode", value=s.present, key="_share_present")
        st.caption("Copy this link (the lesson opens at its current step):")
        address = page_address(st.context.url or "http://localhost", st.get_option("server.baseUrlPath"), page)
        st.code(share_link(address, s, list(hide), bool(present), bool(student)), language=None, wrap_lines=True)


def _export(s: Settings, page: PageInfo) -> None:
    """Downloads of the page's numbers, the PEFT configuration for the method, and the figures' image format."""
    box = _opened("Export", "_export_open")
    if box is None:
        return
    with box:
        rows = numbers_table(s, page.url_path)
        st.download_button("Numbers as CSV", to_csv(rows), file_name="lora-viz-numbers.csv", mime="text/csv", on_click="ignore")
        st.download_button("Numbers as Markdown", to_markdown(rows), file_name="lora-viz-numbers.md", mime="text/markdown", on_click="ignore")
        control(s, st, "image")
        if snippet := lora_config_snippet(s):
            st.caption("PEFT configuration for these settings:")
            st.code(snippet, language="python")
        else:
            st.caption("Full fine-tuning trains every weight: there is no adapter to configure in PEFT.")


def sidebar(s: Settings, page: PageInfo) -> Later:
    """Everything in the sidebar of `page`, less what the link hides: the share box first, where a teacher finds it.
    Returns what is left to send once the page's body has run (the rank slider's preview)."""
    if shown(s, "share"):
        _share(s, page)
    later = _settings(s, page)
    if shown(s, "pages"):
        _navigation(s)
    if shown(s, "export"):
        _export(s, page)
    return later
