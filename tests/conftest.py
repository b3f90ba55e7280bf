"""Shared test set-up: a clean Streamlit cache per test (AppTest instances share it in one process)."""

import pytest
import streamlit as st


@pytest.fixture(autouse=True)
def _clear_streamlit_caches():
    st.cache_data.clear()
    yield
