"""Imports run one way: names and arithmetic at the bottom, the settings schema above what it names, figures and
text above settings, `ui/` and pages on top. Each rule below is checked on the source, import by import."""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "lora_viz"
# Names and arithmetic: none of these may read the settings (or anything above them).
BOTTOM = {"names", "notation", "cache", "builds", "numbers.counts", "numbers.memory", "numbers.precision", "numbers.ranks",
          "model.presets", "model.activations", "model.budget", "merge.example", "matrix.field", "matrix.values", "matrix.layout",
          "matrix.budget", "render.plotly", "render.markdown"}
# What shows things: read only by each other, by the pages' glue and by the exports.
SHOWING = ("figures", "text", "alt", "view")


def _modules() -> dict[str, set[str]]:
    """Every lora_viz module and the lora_viz modules it imports (dotted, without the lora_viz prefix)."""
    graph = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        here = list(parts[:-1])
        imported = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.level:
                base = here[: len(here) - node.level + 1]
                target = ".".join([*base, *(node.module.split(".") if node.module else [])])
                imported.add(target)
                # from ..matrix import figures: the name may be a module itself
                imported |= {f"{target}.{alias.name}".strip(".") for alias in node.names
                             if (PACKAGE / target.replace(".", "/") / f"{alias.name}.py").exists()}
            elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("lora_viz"):
                target = node.module.removeprefix("lora_viz").lstrip(".")
                imported.add(target)
                imported |= {f"{target}.{alias.name}".strip(".") for alias in node.names
                             if (PACKAGE / target.replace(".", "/") / f"{alias.name}.py").exists()}
            elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "streamlit":
                imported.add("<streamlit>")
            elif isinstance(node, ast.Import):
                imported |= {"<streamlit>" for alias in node.names if alias.name.split(".")[0] == "streamlit"}
        graph[name] = imported
    return graph


GRAPH = _modules()


def _below(name: str) -> set[str]:
    """Everything a module imports, directly or not."""
    seen, todo = set(), [name]
    while todo:
        for target in GRAPH.get(todo.pop(), ()):
            if target not in seen:
                seen.add(target)
                todo.append(target)
    return seen


def test_the_graph_knows_every_module():
    assert {"settings", "keys", "ui.display", "matrix.figures", "training.train", "model.presets"} <= set(GRAPH)
    assert BOTTOM <= set(GRAPH)


@pytest.mark.parametrize("name", sorted(BOTTOM))
def test_names_and_arithmetic_read_nothing_above_them(name):
    assert _below(name) - {"<streamlit>"} <= BOTTOM | {""}, _below(name) - BOTTOM


def test_the_settings_schema_sits_on_names_alone():
    assert _below("settings") <= BOTTOM, _below("settings") - BOTTOM


def test_only_ui_imports_streamlit_and_nothing_imports_ui():
    for name, imported in GRAPH.items():
        if not name.startswith("ui"):
            assert "<streamlit>" not in imported, name
            assert not any(target.startswith("ui") for target in imported), name


def test_what_shows_things_is_read_only_from_above():
    for name, imported in GRAPH.items():
        if name.split(".")[-1] in SHOWING or name.startswith("ui") or name in ("export", "cli"):
            continue
        showing = {t for t in imported if t.split(".")[-1] in SHOWING}
        assert not showing, (name, showing)


def test_no_import_cycles():
    for name in GRAPH:
        assert name not in _below(name), name
