"""Imports run one way, checked by room name rather than by a list of modules.

Rooms, bottom to top (a module's room is its last name, or its package for ui/):
  0 arithmetic — every other module: names, numbers, presets, layouts; plain numbers in, plain numbers out
  1 settings   — the schema, which names what sits below it
  2 keys       — the cache-key rule over the schema
  3 view       — a package's reading of the settings: reductions and the results its figures and words share
  4 figures, text, alt, preview — what the pages show (preview: their numbers at every rank the slider reaches)
  5 cli, export — the command line and the downloads
  6 ui         — Streamlit, the only room that imports it
A module may import its own room or a lower one, never a higher one. So only view, figures, text, alt (and the
rooms above them) read the settings or declare builders; the schema and the key rule import no concern package;
and nothing outside ui/ imports streamlit or ui/.
"""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "lora_viz"
ROOMS = {"settings": 1, "keys": 2, "view": 3, "figures": 4, "text": 4, "alt": 4, "preview": 4, "cli": 5, "export": 5, "__main__": 5}
UI = 6
# Packages that each hold one concern of the app, with its own rooms; numbers/ and render/ are shared arithmetic.
CONCERNS = ("lesson", "matrix", "merge", "model", "training")
STREAMLIT = "<streamlit>"


def room(name: str) -> int:
    """A module's room: 6 for ui/, else by its last name (0, arithmetic, for any name not in ROOMS)."""
    if name == "ui" or name.startswith("ui."):
        return UI
    return ROOMS.get(name.split(".")[-1], 0)


def _modules() -> dict[str, set[str]]:
    """Every lora_viz module and the lora_viz modules it imports (dotted, without the lora_viz prefix)."""
    graph = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        here = list(parts[:-1])
        imported = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and (node.level or (node.module or "").startswith("lora_viz")):
                if node.level:
                    base = here[: len(here) - node.level + 1]
                    target = ".".join([*base, *(node.module.split(".") if node.module else [])])
                else:
                    target = node.module.removeprefix("lora_viz").lstrip(".")
                # from ..matrix import figures: the name may be a module itself
                submodules = {f"{target}.{alias.name}".strip(".") for alias in node.names
                              if (PACKAGE / target.replace(".", "/") / f"{alias.name}.py").exists()}
                imported |= submodules or {target}
            elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "streamlit":
                imported.add(STREAMLIT)
            elif isinstance(node, ast.Import):
                imported |= {STREAMLIT for alias in node.names if alias.name.split(".")[0] == "streamlit"}
        graph[name] = imported - {""}  # "from . import x" inside lora_viz/__init__ names the package itself
    return graph


def violations(graph: dict[str, set[str]]) -> list[str]:
    """Every import that breaks a rule of this module's docstring, said in words (an empty list: none)."""
    found = []
    for name, imported in graph.items():
        for target in imported:
            if target == STREAMLIT:
                if room(name) != UI:
                    found.append(f"{name} imports streamlit outside ui/")
            elif room(target) > room(name):
                found.append(f"{name} (room {room(name)}) imports {target} (room {room(target)}), which sits above it")
            elif name in ("settings", "keys") and target.split(".")[0] in CONCERNS:
                found.append(f"{name} imports the concern package {target}")
    for name in graph:
        if name in _below(graph, name):
            found.append(f"{name} imports itself through a cycle")
    return found


def _below(graph: dict[str, set[str]], name: str) -> set[str]:
    """Everything a module imports, directly or not."""
    seen, todo = set(), [name]
    while todo:
        for target in graph.get(todo.pop(), ()):
            if target not in seen:
                seen.add(target)
                todo.append(target)
    return seen


GRAPH = _modules()


def test_the_graph_knows_every_module():
    assert {"settings", "keys", "ui.display", "matrix.figures", "training.view", "presets", "numbers.example"} <= set(GRAPH)
    assert "numbers.memory" in _below(GRAPH, "settings")  # relative imports resolved


def test_every_room_is_named_for_what_it_holds():
    rooms = {name: room(name) for name in GRAPH}
    assert rooms["numbers.counts"] == rooms["presets"] == rooms["merge.core"] == 0
    assert rooms["settings"] < rooms["keys"] < rooms["merge.view"] < rooms["merge.figures"] < rooms["export"] < rooms["ui.display"]


def test_no_import_runs_back_up():
    assert violations(GRAPH) == []


@pytest.mark.parametrize("added, said", [
    (("numbers.counts", "merge.view"), "sits above it"),  # arithmetic reading a view
    (("presets", "settings"), "sits above it"),  # what the schema names, reading the schema
    (("merge.view", "merge.figures"), "sits above it"),  # a view reading a figure
    (("settings", "model.budget"), "concern package"),  # the schema reading a concern package's arithmetic
    (("render.plotly", STREAMLIT), "streamlit outside ui/"),
    (("numbers.memory", "numbers.counts"), None),  # sideways in the bottom room: allowed, unless it closes a cycle
])
def test_a_deliberately_added_arrow_is_caught(added, said):
    source, target = added
    graph = {name: set(imported) for name, imported in GRAPH.items()}
    graph[source].add(target)
    found = violations(graph)
    if said is None:
        assert all("cycle" in line for line in found)
    else:
        assert any(source in line and said in line for line in found), found


def test_a_cycle_is_caught():
    graph = {name: set(imported) for name, imported in GRAPH.items()}
    graph["numbers.counts"].add("render.markdown")  # render.markdown imports numbers.memory, not counts: add one
    graph["render.markdown"].add("numbers.counts")
    assert any("cycle" in line for line in violations(graph))
