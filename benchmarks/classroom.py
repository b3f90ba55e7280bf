"""A classroom at once: 30 students open the teacher's link and each moves the rank slider every 2 s for 60 s.

Every student is a client speaking Streamlit's protocol (tests/support/protocol.py) to one `streamlit run`
server; each walks the rank slider up and down at random (seeded), and, like a browser, runs the follow-up
a page asks for (the deferred ΔW). Measured: errors, response time per move (to `script_finished`, and to
the deferred figure when there is one), the server's memory during the class, and a minute after it.
"""

from __future__ import annotations

import asyncio
import random
import statistics
import time
from dataclasses import dataclass
from pathlib import Path

from tests.support.browser import running_server

from tests.support.protocol import Session

STUDENTS = 30
MOVE_EVERY = 2.0  # seconds
DURATION = 60.0  # seconds
SETTLE = 60.0  # seconds after the class before memory is read again
TEACHER_LINK = ("matrices", "d=4096&k=4096&r=8&trained=1")  # the seed question, trained adapter: three figures
HEAVY_STEPS = 1000  # a training of about 8 s alone on this machine


@dataclass(frozen=True)
class Classroom:
    students: int
    moves: int
    errors: list[str]
    median_ms: float
    p95_ms: float
    max_ms: float
    follow_ups: int
    follow_up_p95_ms: float
    baseline_mib: float
    peak_mib: float
    after_mib: float  # after the last class
    after_each_mib: tuple[float, ...]  # after each class
    @property
    def per_student_mib(self) -> float:
        return (self.peak_mib - self.baseline_mib) / self.students

    @property
    def after_vs_baseline(self) -> float:
        return self.after_mib / self.baseline_mib - 1


def rss_mib(pid: int) -> float:
    """The server process's resident memory."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


async def student(number: int, server: str, start: float, times: list[float], follow_ups: list[float], errors: list[str]) -> None:
    """Open the link, then move the rank slider every MOVE_EVERY seconds until DURATION has passed."""
    rng = random.Random(number)
    try:
        session, first = await Session.open(server, *TEACHER_LINK)
        errors += first.errors
        options = session.sliders["r"].options
        index = options.index("8")
        await asyncio.sleep(rng.uniform(0, MOVE_EVERY))  # students do not move in lockstep
        while time.monotonic() - start < DURATION:
            tick = time.monotonic()
            index = min(max(index + rng.choice([-3, -2, -1, 1, 2, 3]), 0), len(options) - 1)
            move = await session.select("r", options[index])
            times.append(move.seconds)
            errors += move.errors
            if move.follow_up:  # as a browser: the stand-in's frame asks for the run that computes its figure
                later = await session.rerun([move.follow_up])
                follow_ups.append(move.seconds + later.seconds)
                errors += later.errors
            await asyncio.sleep(max(0.0, MOVE_EVERY - (time.monotonic() - tick)))
        await session.close()
    except Exception as error:  # a dropped connection or a protocol failure counts, and ends this student
        errors.append(f"student {number}: {type(error).__name__}: {error}")


async def lesson(server: str, pid: int) -> tuple[list[float], list[float], list[str], float]:
    """All students at once, sampling the server's memory every half second; returns the peak."""
    times: list[float] = []
    follow_ups: list[float] = []
    errors: list[str] = []
    start = time.monotonic()
    students = asyncio.gather(*(student(n, server, start, times, follow_ups, errors) for n in range(STUDENTS)))
    peak = rss_mib(pid)
    while not students.done():
        peak = max(peak, rss_mib(pid))
        await asyncio.sleep(0.5)
    await students
    return times, follow_ups, errors, peak


async def warm_up(server: str) -> None:
    """The teacher tries the link before class (opens it, moves the rank a few times): the baseline then counts
    the code and caches a running app has, not the first student's imports."""
    session, _ = await Session.open(server, *TEACHER_LINK)
    for option in session.sliders["r"].options[:10]:
        move = await session.select("r", option)
        if move.follow_up:
            await session.rerun([move.follow_up])
    await session.close()


def run(classes: int = 2) -> Classroom:
    """`classes` lessons one after another on one server (the same students again: memory must not creep up)."""
    times: list[float] = []
    follow_ups: list[float] = []
    errors: list[str] = []
    with running_server() as app:
        server = app.url.removeprefix("http://")
        asyncio.run(warm_up(server))
        time.sleep(2)
        baseline = rss_mib(app.pid)
        after_each, peak = [], baseline
        for _ in range(classes):
            class_times, class_follow_ups, class_errors, class_peak = asyncio.run(lesson(server, app.pid))
            times += class_times
            follow_ups += class_follow_ups
            errors += class_errors
            peak = max(peak, class_peak)
            time.sleep(SETTLE)
            after_each.append(rss_mib(app.pid))
    ms = sorted(1000 * t for t in times)
    later = sorted(1000 * t for t in follow_ups)
    result = Classroom(
        students=STUDENTS, moves=len(ms), errors=errors,
        median_ms=statistics.median(ms), p95_ms=ms[int(0.95 * (len(ms) - 1))], max_ms=ms[-1],
        follow_ups=len(later), follow_up_p95_ms=later[int(0.95 * (len(later) - 1))] if later else 0.0,
        baseline_mib=baseline, peak_mib=peak, after_mib=after_each[-1], after_each_mib=tuple(after_each),
    )
    print(result, flush=True)
    return result


@dataclass(frozen=True)
class Trainings:
    """Sessions opening /low_rank at once: how long each waited for its page, and what they were told."""

    alone_s: float  # one new training, one session
    same_link_s: list[float]  # STUDENTS sessions, one new link
    same_link_waited: int  # of them, sessions told another session was training it
    distinct_s: list[float]  # four sessions, four new heavy links
    distinct_queued: int  # of them, sessions told they were queued


async def _open_at_once(server: str, queries: list[str]) -> list[tuple[float, list[str], list[str]]]:
    async def one(query: str) -> tuple[float, list[str], list[str]]:
        session, rerun = await Session.open(server, "low_rank", query)
        await session.close()
        return rerun.seconds, rerun.errors, rerun.shown

    return await asyncio.gather(*(one(query) for query in queries))


def trainings() -> Trainings:
    """Three fresh trainings of the training page on one server: alone, one link × STUDENTS, four links at once."""
    with running_server() as app:
        server = app.url.removeprefix("http://")
        (alone, errors, _), = asyncio.run(_open_at_once(server, [f"seed=100&steps={HEAVY_STEPS}"]))
        same = asyncio.run(_open_at_once(server, [f"seed=101&steps={HEAVY_STEPS}"] * STUDENTS))
        distinct = asyncio.run(_open_at_once(server, [f"seed={seed}&steps={HEAVY_STEPS}" for seed in range(102, 106)]))
    for _, run_errors, _ in (*same, *distinct):
        errors += run_errors
    if errors:
        raise RuntimeError(f"the training page failed: {errors[:3]}")
    result = Trainings(
        alone_s=alone,
        same_link_s=sorted(seconds for seconds, _, _ in same),
        same_link_waited=sum(any("Training in another session" in text for text in shown) for _, _, shown in same),
        distinct_s=sorted(seconds for seconds, _, _ in distinct),
        distinct_queued=sum(any("Queued:" in text for text in shown) for _, _, shown in distinct),
    )
    print(result, flush=True)
    return result


def trainings_table(t: Trainings) -> list[str]:
    return [
        f"Fresh trainings on `/low_rank` ({HEAVY_STEPS:,} steps, a new seed each time), each page opened through Streamlit's "
        "protocol; time from opening the link to its first run finished (the training drawn).",
        "",
        "| sessions | opening | slowest | told |",
        "|---|---|---:|---|",
        f"| 1 | one new link | {t.alone_s:.1f} s | |",
        f"| {len(t.same_link_s)} | the same new link at once | {t.same_link_s[-1]:.1f} s (fastest {t.same_link_s[0]:.1f} s) | "
        f"{t.same_link_waited} “training in another session” |",
        f"| {len(t.distinct_s)} | four different new links at once | {t.distinct_s[-1]:.1f} s (each: "
        f"{', '.join(f'{s:.1f}' for s in t.distinct_s)} s) | {t.distinct_queued} “queued” |",
    ]


def table(c: Classroom) -> list[str]:
    page, query = TEACHER_LINK
    return [
        f"{c.students} students open `/{page}?{query}` at once; each moves the rank slider every {MOVE_EVERY:g} s for "
        f"{DURATION:g} s (a seeded random walk over the slider's ranks), speaking Streamlit's protocol to one server. "
        f"Then the class leaves, and after {SETTLE:g} s the same class comes again ({len(c.after_each_mib)} classes in all).",
        "",
        "| measure | value | target |",
        "|---|---:|---|",
        f"| moves | {c.moves} | |",
        f"| errors | {len(c.errors)} | 0 |",
        f"| response per move: median | {c.median_ms:.0f} ms | |",
        f"| response per move: 95th percentile | {c.p95_ms:.0f} ms | < 2,000 ms |",
        f"| response per move: slowest | {c.max_ms:.0f} ms | |",
        f"| moves whose ΔW came in a follow-up run | {c.follow_ups} | |",
        f"| move to deferred ΔW drawn: 95th percentile | {c.follow_up_p95_ms:.0f} ms | |",
        f"| server memory: baseline (after the teacher tried the link) | {c.baseline_mib:.0f} MiB | |",
        f"| server memory: peak during the class | {c.peak_mib:.0f} MiB | |",
        f"| memory per session at the peak | {c.per_student_mib:.1f} MiB | < 20 MiB |",
        f"| server memory {SETTLE:g} s after each class left | {' → '.join(f'{m:.0f} MiB' for m in c.after_each_mib)} | |",
        f"| … after the last class, against the baseline | {c.after_vs_baseline:+.1%} | within ±10% |",
    ]
