"""The floor the benchmarks compare against: a bare Streamlit page with only the same controls, bound to the URL.

Not the app's sidebar: the floor is what Streamlit itself costs for these widgets (plain st widgets with
bind="query-params", as a page without our settings model, share box, page links or charts would draw them).
Generated from the settings' schema, so it cannot drift from the app: each page's floor has the schema's sidebar
controls (settings.SIDEBAR) in the sidebar, and in the main area the page's own controls (the settings of that page
alone, those a default view shows), each as the schema's widget with the same range, step and number of options.
"""

from __future__ import annotations

from lora_viz.navigation import PAGES
from lora_viz.presets import ALL_LINEAR, PRESETS, target_names
from lora_viz.settings import DEFAULTS, EVERY_PAGE, SCHEMA, SIDEBAR

BIND = 'bind="query-params"'
# The rank's steps follow d and k, as the app's slider does (lora_viz/ui/sidebar.py).
RANK = ('bar.select_slider({label!r}, options=rank_options(min(int(query.get("d", {d})), int(query.get("k", {k}))), '
        'int(query.get("r", {r}))), value=int(query.get("r", {r})), key="r", ' + BIND + ')')


def _limit(key: str) -> float:
    """The setting's upper limit at the default settings (a rule's limit, such as the merge's last frame, too)."""
    high = SCHEMA[key].high
    return high(vars(DEFAULTS)) if callable(high) else high


def widget_line(container: str, key: str) -> str:
    """One line of the floor: the setting's widget as the schema describes it, at its default, bound to the URL."""
    spec, default, label = SCHEMA[key], getattr(DEFAULTS, key), SCHEMA[key].label
    tail = f"key={key!r}, {BIND}" + (", horizontal=True" if spec.horizontal else "")
    if key == "r":
        return RANK.format(label=label, d=DEFAULTS.d, k=DEFAULTS.k, r=DEFAULTS.r)
    if spec.kind == "names":
        options = [ALL_LINEAR, *target_names(PRESETS[DEFAULTS.model])]
        return f"{container}.{spec.widget}({label!r}, {options!r}, default={list(default)!r}, {tail})"
    if spec.kind == "bool":
        return f"{container}.{spec.widget}({label!r}, {default!r}, {tail})"
    if spec.kind == "choice":
        return f"{container}.{spec.widget}({label!r}, {list(spec.choices)!r}, index={spec.choices.index(default)}, {tail})"
    cast = int if spec.kind == "int" else float
    low, high = cast(spec.low), cast(_limit(key))
    if spec.widget in ("select_slider", "radio"):  # a number picked from its whole range
        options = list(range(low, high + 1))
        start = f"value={default!r}" if spec.widget == "select_slider" else f"index={options.index(default)}"  # as each takes it
        return f"{container}.{spec.widget}({label!r}, {options!r}, {start}, {tail})"
    extra = (f", step={cast(spec.step)!r}" if spec.step is not None else "") + (f", format={spec.format!r}" if spec.format else "")
    return f"{container}.{spec.widget}({label!r}, {low!r}, {high!r}, {cast(default)!r}{extra}, {tail})"


def page_keys(script: str) -> list[str]:
    """A page's own controls in a default view: the settings of that page alone, not the sidebar's."""
    path = next(info.url_path for info in PAGES if info.script == script)
    return [key for key, spec in SCHEMA.items()
            if path in spec.pages and spec.pages != EVERY_PAGE and not spec.sidebar and not spec.custom_only and spec.applies(DEFAULTS)]


SIDEBAR_LINES = "\n".join(widget_line("bar", key) for key in SIDEBAR)


def floor_script(page: str, path_line: str = "", linked: bool = False) -> str:
    """The floor of one page's script: its controls and a title, nothing else. `path_line` puts the checkout on
    sys.path when the script runs outside it. `linked` adds what a page switch needs: the page's own title and a
    sidebar link to every page, carrying the query as the app's links do."""
    title = next(info.label for info in PAGES if info.script == page) if linked else "Floor"
    links = "".join(f"bar.page_link({info.script!r}, label={info.label!r}, query_params=dict(query))\n" for info in PAGES) if linked else ""
    own = "".join(widget_line("st", key) + "\n" for key in page_keys(page))
    return (f"{path_line}import streamlit as st\nfrom lora_viz.numbers.ranks import rank_options\nbar = st.sidebar\n"
            f"query = st.query_params\n{SIDEBAR_LINES}\n{links}st.title({title!r})\n{own}")
