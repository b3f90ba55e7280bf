"""Shared test set-up: empty caches for every test (AppTest instances share them in one process)."""

import pytest

from lora_viz.ui.display import clear_cache
from lora_viz.ui.page_controls import clear_training_cache


@pytest.fixture(autouse=True)
def _clear_caches():
    clear_training_cache()
    clear_cache()
    yield
