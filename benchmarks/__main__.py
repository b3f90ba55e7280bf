"""python -m benchmarks: measure every target in one run and write benchmarks/RESULTS.md.

1. Server time and bytes per rank move, every page at three sizes, against the floor (server_moves.py).
2. Browser time per rank move in headless Chromium, against the floor (browser_moves.py), and a drag across the rank
   slider: how often the page shows the rank under the thumb (drag.py).
3. Cold opens (empty cache) and page switches, at normal CPU and throttled 4×, against the floor (opening.py).
4. A classroom: 30 sessions moving a slider every 2 s for 60 s, twice; then 30 sessions opening one new training
   link, and four opening four heavy ones (classroom.py).
5. A busy class: the 30 moving once a second on one replica and on two (one per core), and on two with one of them
   flooding its server; ten students on a training link whose starter leaves (classroom.py).
6. The lesson's guess box with 100 KB guesses (guess.py).
"""

from __future__ import annotations

import datetime
import os
import platform
import subprocess
from importlib.metadata import version
from pathlib import Path

from harness.browser import chromium as find_chromium

from . import browser_moves, classroom, drag, guess, opening, server_moves

RESULTS = Path(__file__).with_name("RESULTS.md")


def machine() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines() if line.startswith("model name")), platform.processor())
    binary = find_chromium()
    chromium = subprocess.run([binary, "--version"], capture_output=True, text=True).stdout.strip() if binary else "none"
    packages = ", ".join(f"{name} {version(name)}" for name in ("streamlit", "plotly", "numpy"))
    try:
        version("orjson")
        json_engine = "orjson (installed)"
    except Exception:
        json_engine = "Python's json (orjson not installed, as requirements.txt has it)"
    return (
        f"{datetime.date.today()}, {os.cpu_count()} × {cpu}, {platform.platform()}, Python {platform.python_version()}, "
        f"{packages}, {chromium}; Plotly JSON: {json_engine}; servers started as the README's hosting recipe (MALLOC_ARENA_MAX=2)."
    )


def verdict(ok: bool) -> str:
    return "met" if ok else "**missed**"


def main() -> None:
    moves = server_moves.run()
    browser = browser_moves.run()
    drags = drag.run()
    whole = [d for d in drags if d.view == "whole slider"]
    opened = opening.run()
    lesson = classroom.run()
    trainings = classroom.trainings()
    one_replica = classroom.busy_class(flooding=False, replicas=1)
    calm = classroom.busy_class(flooding=False)
    flooded = classroom.busy_class(flooding=True)
    abandoned = classroom.abandoned_training()
    guesses = guess.run()

    worst_server = max(moves, key=lambda m: m.server_ratio)
    small = {m.page: m.server_ms for m in moves if m.size == "small"}
    worst_growth = max((m for m in moves if m.size == "largest"), key=lambda m: m.server_ms / small[m.page])
    worst_bytes = max(moves, key=lambda m: max(m.first_kib, m.move_kib))
    merge_kib = max(m.first_kib for m in moves if m.page == "Merge")
    worst_browser = max(browser, key=lambda m: m.ratio)
    worst_linked = max(moves, key=lambda m: m.linked_ratio)
    worst_against_linked = max(moves, key=lambda m: m.against_linked)
    worst_open = {rate: max((o for o in opened.opens if o.rate == rate), key=lambda o: o.ratio) for rate in opening.RATES}
    worst_switch, floor_switch = opened.slowest(4), opened.slowest(4, floor=True)
    median_switch_ratio, worst_switch_ratio, worst_ratio_switch = opened.against_the_floor(4)
    summary = [
        "| target | result | |",
        "|---|---|---|",
        f"| cold open, CPU 4×: ≤ 2 × the floor, every page | worst {worst_open[4].ratio:.2f} ({worst_open[4].page}: {worst_open[4].seconds:.1f} s against {worst_open[4].floor_seconds:.1f} s) | {verdict(worst_open[4].ratio <= 2)} |",
        f"| cold open, normal CPU: ≤ 1.5 × the floor, every page | worst {worst_open[1].ratio:.2f} ({worst_open[1].page}: {worst_open[1].seconds:.1f} s against {worst_open[1].floor_seconds:.1f} s) | {verdict(worst_open[1].ratio <= 1.5)} |",
        f"| page switch, CPU 4×: ≤ 2 × the floor's same switch, every pair | median {median_switch_ratio:.2f}, "
        f"worst {worst_switch_ratio:.2f} ({worst_ratio_switch.source} → {worst_ratio_switch.target}); slowest {worst_switch.seconds:.2f} s "
        f"({worst_switch.source} → {worst_switch.target}), the floor's own slowest {floor_switch.seconds:.2f} s | {verdict(worst_switch_ratio <= 2)} |",
        f"| server time per move ≤ 1.5 × the linked floor (the floor plus the six page links), every page and size | worst "
        f"{worst_against_linked.against_linked:.2f} ({worst_against_linked.page}, {worst_against_linked.size}); against the bare floor "
        f"up to {worst_server.server_ratio:.2f}, the links alone up to {worst_linked.linked_ratio:.2f} | {verdict(worst_against_linked.against_linked <= 1.5)} |",
        f"| largest settings ≤ 1.2 × small | worst {worst_growth.server_ms / small[worst_growth.page]:.2f} ({worst_growth.page}) | {verdict(worst_growth.server_ms / small[worst_growth.page] <= 1.2)} |",
        f"| ≤ 500 KB sent for any render | largest {1.024 * max(worst_bytes.first_kib, worst_bytes.move_kib):.0f} KB ({worst_bytes.page}, {worst_bytes.size}) | {verdict(1024 * max(worst_bytes.first_kib, worst_bytes.move_kib) <= 500_000)} |",
        f"| whole merge animation ≤ 2 MB | first render of the merge page, animation included: {1.024 * merge_kib:.0f} KB | {verdict(1024 * merge_kib <= 2_000_000)} |",
        f"| release until the page settles (browser time per move) ≤ 1.5 × the floor, every page and size | worst {worst_browser.ratio:.2f} ({worst_browser.page}, {worst_browser.size}) | {verdict(worst_browser.ratio <= 1.5)} |",
        *(f"| drag preview across the whole slider (68 positions, 60 steps), CPU {rate}×: frame interval p95 ≤ {limit} ms"
          + (", ≥ 90% of the ranks crossed shown" if rate == 1 else "")
          + f" | worst p95 {max(d.p95_ms for d in whole if d.rate == rate):.1f} ms (the thumb's own: {max(d.thumb_p95_ms for d in whole if d.rate == rate):.1f} ms; "
          f"the floor's thumb, Streamlit's slider alone: {max(d.floor_thumb_p95_ms for d in whole if d.rate == rate):.1f} ms), "
          f"worst share {min(d.shown for d in whole if d.rate == rate):.0%}, lag behind the thumb p95 ≤ {max(d.lag_p95_ms for d in whole if d.rate == rate):.1f} ms | "
          + verdict(all(d.p95_ms <= limit and (rate != 1 or d.shown >= 0.9) for d in whole if d.rate == rate)) + " |"
          for rate, limit in ((1, 20), (4, 50))),
        f"| classroom: zero errors | {len(lesson.errors)} errors in {lesson.moves} moves | {verdict(not lesson.errors)} |",
        f"| classroom: 95th percentile < 2 s | {lesson.p95_ms:.0f} ms | {verdict(lesson.p95_ms < 2000)} |",
        f"| classroom: memory per session < 20 MB | {lesson.per_student_mib:.1f} MiB | {verdict(lesson.per_student_mib * 1.048576 < 20)} |",
        f"| classroom: memory back within 10 % a minute after | {lesson.after_vs_baseline:+.1%} | {verdict(abs(lesson.after_vs_baseline) <= 0.10)} |",
        f"| busy class (30 moving once a second, {calm.replicas} replicas): zero errors, 95th percentile ≤ 1 s | "
        f"{len(calm.errors)} errors in {calm.moves} moves, {calm.p95_ms:.0f} ms (one replica alone: {len(one_replica.errors)} "
        f"errors, {one_replica.p95_ms:.0f} ms) | {verdict(not calm.errors and calm.p95_ms <= 1000)} |",
        f"| one flooding session among 29: the others' 95th percentile ≤ 2 × the class without it | {flooded.p95_ms:.0f} ms "
        f"against {calm.p95_ms:.0f} ms ({flooded.p95_ms / calm.p95_ms:.2f}×; {flooded.flood_sent:,} reruns sent, "
        f"{flooded.flood_runs:,} run) | {verdict(not flooded.errors and flooded.p95_ms <= 2 * calm.p95_ms)} |",
        f"| waiters on an abandoned training all get it | {abandoned.got_it} of {abandoned.waiters} | "
        f"{verdict(abandoned.got_it == abandoned.waiters and not abandoned.errors)} |",
        f"| guess parsing: 100 KB ≤ 10 ms | slowest {max(g.ms for g in guesses[1:]):.4f} ms (ten characters: "
        f"{guesses[0].ms:.4f} ms) | {verdict(max(g.ms for g in guesses) <= 10)} |",
    ]
    lines = [
        "# Benchmarks",
        "",
        f"`python -m benchmarks`, one run on this machine: {machine()}",
        "",
        "## Summary",
        "",
        *summary,
        "",
        "## Server: one rank move",
        "",
        server_moves.__doc__.strip().split("\n\n", 1)[1].replace("\n", " "),
        f"Median of {server_moves.MOVES * len(server_moves.ROUNDS)} moves per row. *Server ms* is the page script's own time; *client ms* is the whole "
        "round trip a browser waits for (Streamlit adds about 40 ms to every rerun, bare or not).",
        "",
        *server_moves.table(moves),
        "",
        "## Browser: one rank move in headless Chromium",
        "",
        browser_moves.__doc__.strip().split("\n\n", 1)[1].replace("\n", " "),
        f"Median of {browser_moves.MOVES * len(browser_moves.ROUNDS)} moves per row (two rounds, the second with another seed and dtype); the Chromium has no GPU.",
        "",
        *browser_moves.table(browser),
        "",
        "## Dragging the rank slider",
        "",
        drag.__doc__.strip().split("\n\n", 1)[0].replace("\n", " "),
        "",
        *drag.table(drags),
        "",
        "## Cold opens and page switches",
        "",
        opening.__doc__.strip().split("\n\n", 1)[1].replace("\n", " "),
        "",
        *opening.tables(opened),
        "",
        "## A classroom",
        "",
        *classroom.table(lesson),
        "",
        "### Trainings in a classroom",
        "",
        *classroom.trainings_table(trainings),
        "",
        "## A busy class, and one student flooding it",
        "",
        *classroom.busy_table([one_replica, calm, flooded]),
        "",
        "### A training whose starter leaves",
        "",
        *classroom.abandoned_table(abandoned),
        "",
        "## The guess box",
        "",
        guess.__doc__.strip().replace("\n", " "),
        "",
        *guess.table(guesses),
        "",
    ]
    RESULTS.write_text("\n".join(lines))
    print("\n".join(summary))


if __name__ == "__main__":
    main()
