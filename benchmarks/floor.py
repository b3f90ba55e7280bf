"""The floor the benchmarks compare against: a bare Streamlit page with only the same controls, bound to the URL.

Not the app's sidebar: the floor is what Streamlit itself costs for these widgets (plain st widgets with
bind="query-params", as a page without our settings model, share box, page links or charts would draw them).
Each page's floor has the shared settings in the sidebar and the page's own controls in the main area, with the
same kinds of widget and the same numbers of options.
"""

from __future__ import annotations

from lora_viz.model.presets import PRESETS, target_names
from lora_viz.navigation import PAGES
from lora_viz.names import ATTENTIONS, DTYPES, FLOAT_DTYPES, METHODS, NOTATIONS, OPTIMIZERS, PRECISIONS

# The shared settings, as the app's sidebar has them (lora_viz/ui/sidebar.py: SIDEBAR_CONTROLS).
SIDEBAR = f'''from lora_viz.numbers.ranks import rank_options
bar = st.sidebar
query = st.query_params
d = bar.number_input("d", 1, 131072, 4096, key="d", bind="query-params")
k = bar.number_input("k", 1, 131072, 4096, key="k", bind="query-params")
bar.select_slider("r", options=rank_options(min(d, k), int(query.get("r", 8))), value=int(query.get("r", 8)), key="r", bind="query-params")
bar.number_input("alpha", 0.001, 1e6, 8.0, key="alpha", bind="query-params")
bar.selectbox("dtype", {list(DTYPES)!r}, index=2, key="dtype", bind="query-params")
bar.radio("precision", {list(PRECISIONS)!r}, key="precision", bind="query-params", horizontal=True)
bar.radio("notation", {list(NOTATIONS)!r}, key="notation", bind="query-params")
bar.toggle("trained", True, key="trained", bind="query-params")
bar.number_input("seed", 0, 1_000_000, 0, key="seed", bind="query-params")
bar.toggle("present", False, key="present", bind="query-params")
'''

_LLAMA = PRESETS["llama-2-7b"]
PAGE_CONTROLS = {
    "app.py": "",
    "pages/lesson.py": 'st.select_slider("Lesson step", options=list(range(9)), key="lesson", bind="query-params")',
    "pages/matrices.py": "",
    "pages/merge.py": 'st.select_slider("step", options=list(range(14)), key="step", bind="query-params")',
    "pages/whole_model.py": f'''top = st.columns([2, 3, 2])
top[0].selectbox("model", {[*PRESETS, "custom"]!r}, key="model", bind="query-params")
top[1].multiselect("targets", {["all-linear", *target_names(_LLAMA)]!r}, default=["q_proj", "v_proj"], key="targets", bind="query-params")
top[2].radio("method", {list(METHODS)!r}, index=1, key="method", bind="query-params", horizontal=True)
row = st.columns(5)
row[0].selectbox("optimizer", {list(OPTIMIZERS)!r}, key="optimizer", bind="query-params")
row[1].number_input("batch", 1, 1024, 1, key="batch", bind="query-params")
row[2].number_input("seq", 1, 131072, 2048, step=256, key="seq", bind="query-params")
row[3].number_input("adapters", 1, 100000, 100, key="adapters", bind="query-params")
row[4].number_input("gpus", 1, 4096, 8, key="gpus", bind="query-params")
switches = st.columns([1.3, 1.6, 1.05, 1.45])
switches[0].toggle("ckpt", False, key="ckpt", bind="query-params")
switches[1].toggle("prepared", True, key="prepared", bind="query-params")
switches[2].radio("attention", {list(ATTENTIONS)!r}, key="attention", bind="query-params", horizontal=True)
switches[3].radio("save_dtype", {list(FLOAT_DTYPES)!r}, key="save_dtype", bind="query-params", horizontal=True)''',
    "pages/low_rank.py": '''left, middle, right = st.columns(3)
left.radio("spectrum", ["rank", "power", "noise"], index=1, key="spectrum", bind="query-params")
left.slider("decay", 0.0, 4.0, 1.0, step=0.05, key="decay", bind="query-params")
middle.slider("noise", 0.0, 2.0, 0.0, step=0.05, key="noise", bind="query-params")
middle.radio("trainer", ["adam", "gd"], key="trainer", bind="query-params", horizontal=True)
right.number_input("steps", 10, 3000, 400, step=50, key="steps", bind="query-params")
right.number_input("lr", 1e-5, 1.0, 0.02, step=0.005, format="%g", key="lr", bind="query-params")''',
}


def floor_script(page: str, path_line: str = "", linked: bool = False) -> str:
    """The floor of one page's script: its controls and a title, nothing else. `path_line` puts the checkout on
    sys.path when the script runs outside it. `linked` adds what a page switch needs: the page's own title and a
    sidebar link to every page, carrying the query as the app's links do."""
    title = next(info.label for info in PAGES if info.script == page) if linked else "Floor"
    links = "".join(f"bar.page_link({info.script!r}, label={info.label!r}, query_params=dict(query))\n" for info in PAGES) if linked else ""
    return f"{path_line}import streamlit as st\n{SIDEBAR}{links}st.title({title!r})\n{PAGE_CONTROLS[page]}\n"
