"""Every page runs inside `page`: a failure shows a plain error box with a way back, never a traceback."""

from __future__ import annotations

import logging
import time
from contextlib import contextmanager
from typing import Iterator

import streamlit as st

from ..settings import Settings
from .pacing import charge, install
from .server import freeze_imports, no_address_lookups, send_without_delay
from .state import follow_reconnected_tab, page_settings

LOG = logging.getLogger("lora_viz")
FAILURE_TEXT = (
    "Something went wrong while drawing this page, and it stopped here. The details went to the server's log; "
    "nothing you typed was lost from the link. Try other settings, or start again from the home page."
)

install()  # every session's reruns are paced from now on (see pacing.py)
no_address_lookups()  # a refused cross-site WebSocket costs no look-up on the network (see server.py)


@contextmanager
def page(title: str) -> Iterator[Settings]:
    """Set up a page (see page_settings) and run its body; an error in either ends the page with a friendly box.

    Streamlit's own stop and rerun signals are BaseExceptions, not Exceptions, so they pass through untouched.
    The first runs also tune the server's process (see server.py); every run's CPU time is charged to its session
    (see pacing.py).
    """
    started = time.thread_time()
    send_without_delay()
    try:
        try:
            settings, later = page_settings(title)
        except Exception:
            show_failure(title)
            st.stop()
        try:
            yield settings
            later()
        except Exception:
            show_failure(title)
        follow_reconnected_tab()
    finally:
        freeze_imports()
        charge(time.thread_time() - started)


def show_failure(title: str) -> None:
    """Log the error with its traceback; show the visitor the error box and a link home with the default settings."""
    LOG.exception("The page %r failed", title)
    st.error(FAILURE_TEXT, icon="🛠️")
    st.page_link("app.py", label="Back to the home page (default settings)", icon="🏠")
