"""Shared test set-up: a clean Streamlit cache per test (AppTest instances share it in one process)."""

import pytest
import streamlit as st

from lora_viz.ui.page_controls import clear_training_cache


@pytest.fixture(autouse=True)
def _clear_streamlit_caches():
    st.cache_data.clear()
    st.cache_resource.clear()
    clear_training_cache()
    yield
