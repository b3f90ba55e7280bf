"""Pages through streamlit.testing.v1.AppTest: open one as a link would, and read what it shows."""

import json
from pathlib import Path

from streamlit.testing.v1 import AppTest

from lora_viz.navigation import PAGES
from lora_viz.settings import parse_settings, to_query

APP = str(Path(__file__).resolve().parents[1] / "app.py")
SCRIPTS = [page.script for page in PAGES]


def open_page(script: str, query: dict[str, str]) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    if script != "app.py":
        at.switch_page(script)
    at.query_params.update(query)
    return at.run()


def chart_data(data: bytes) -> dict:
    """A chart's data as its script reads it (lora_viz/ui/chart_component.py): a line of JSON, then the figure's JSON."""
    args, spec = data.split(b"\n", 1)
    return {**json.loads(args), "spec": spec.decode()}


def charts(at: AppTest) -> list[dict]:
    """Every chart the page drew, as the arguments its script received: spec, config, alt, settings, request."""
    return [chart_data(element.proto.bytes) for element in at.get("bidi_component") if element.proto.component_name == "lora_viz_chart"]


def chart_specs(at: AppTest) -> list[dict]:
    return [json.loads(chart["spec"]) for chart in charts(at)]


def metric_values(at: AppTest) -> list[str]:
    """The headline numbers: the page's metrics, or the numbers of its parameter table (the matrices page)."""
    if at.metric:
        return [m.value for m in at.metric]
    counts = [table["parameters"] for table in tables(at) if "parameters" in table]
    return [value.strip("*") for value in counts[0]] if counts else []


def tables(at: AppTest) -> list[dict[str, list[str]]]:
    """Every Markdown table on the page (alone or after text in its element), as columns of cell text."""
    found = []
    for element in at.markdown:
        lines = element.value.splitlines()
        for start in range(len(lines) - 1):
            if not (lines[start].startswith("| ") and lines[start + 1].startswith("|:---")):
                continue
            body = []
            for line in lines[start + 2:]:
                if not line.startswith("| "):
                    break
                body.append(line)
            rows = [[cell.strip() for cell in line.strip("|").split(" | ")] for line in [lines[start], *body]]
            found.append({name: [row[i] for row in rows[1:]] for i, name in enumerate(rows[0])})
    return found


def notices(at: AppTest) -> str:
    """The page's notices as the visitor reads them: each warning's heading, and the plain-text lines beneath it."""
    return "\n".join([*(w.value for w in at.warning), *(t.value for t in at.text)])


def link_query(at: AppTest) -> dict[str, str]:
    """What the page's URL now says, every setting spelled out (a short link leaves out the defaults)."""
    settings, _ = parse_settings(dict(at.query_params))
    return to_query(settings, write_defaults=True)
