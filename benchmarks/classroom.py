"""A classroom at once: 30 students open the teacher's link and each moves the rank slider every 2 s for 60 s.

Every student is a client speaking Streamlit's protocol (harness/protocol.py) to one `streamlit run`
server; each walks the rank slider up and down at random (seeded), and, like a browser, runs the follow-up
a page asks for (the deferred ΔW). Measured: errors, response time per move (to `script_finished`, and to
the deferred figure when there is one), the server's memory during the class, and a minute after it.

A busy class: the same 30 moving once a second, served as the README's hosting recipe says (one replica per core,
each student on one of them, as the balancer spreads browsers), with and without one of them flooding its server
with reruns as fast as its socket sends them. And a training link ten students open, whose starter moves on.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import random
import statistics
import time
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState

from harness.browser import running_server
from harness.protocol import Session

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


def cpu_seconds(pid: int) -> float:
    """The process's CPU time so far, user and system."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mib(pid: int) -> float:
    """The server process's resident memory."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


async def student(number: int, server: str, start: float, times: list[float], follow_ups: list[float], errors: list[str],
                  move_every: float = MOVE_EVERY) -> None:
    """Open the link, then move the rank slider every `move_every` seconds until DURATION has passed."""
    rng = random.Random(number)
    try:
        session, first = await Session.open(server, *TEACHER_LINK)
        errors += first.errors
        options = session.sliders["r"].options
        index = options.index("8")
        await asyncio.sleep(rng.uniform(0, move_every))  # students do not move in lockstep
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
            await asyncio.sleep(max(0.0, move_every - (time.monotonic() - tick)))
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


BUSY_MOVE_EVERY = 1.0  # seconds: a class moving its sliders twice as often as the classroom above
REPLICAS = 2  # one per core, as the README's hosting recipe says
FLOOD_EVERY = 0.005  # seconds between one flooding socket's reruns (about 200 a second)


@dataclass(frozen=True)
class BusyClass:
    """A class moving once a second on REPLICAS replicas, with or without one student flooding."""

    students: int  # moving normally
    replicas: int
    flooding: bool
    moves: int
    errors: list[str]
    median_ms: float
    p95_ms: float
    max_ms: float
    flooded_replica_p95_ms: float  # the students on the flooder's replica
    flood_sent: int  # reruns the flooding socket sent
    flood_runs: int  # runs its server started for it
    server_cpu_s: tuple[float, ...]  # each replica's CPU seconds over the class


async def _flood(server: str, seconds: float) -> dict[str, int]:
    """Open the teacher's link, then send rank moves without waiting for any answer for `seconds`."""
    counts = {"sent": 0, "runs": 0}
    session, _ = await Session.open(server, *TEACHER_LINK)
    options = session.sliders["r"].options

    async def drain() -> None:
        while True:
            reply = ForwardMsg()
            reply.ParseFromString(await session.socket.recv())
            counts["runs"] += reply.WhichOneof("type") == "new_session"  # each run starts with one

    reader = asyncio.create_task(drain())
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        message = BackMsg()
        state = message.rerun_script
        state.query_string, state.page_name, state.page_script_hash = session.query, session.page, session.page_hash
        widget = WidgetState(id=session.sliders["r"].id)
        widget.string_array_value.data.append(options[counts["sent"] % len(options)])
        state.widget_states.widgets.append(widget)
        await session.socket.send(message.SerializeToString())
        counts["sent"] += 1
        await asyncio.sleep(FLOOD_EVERY)
    reader.cancel()
    await session.socket.close()
    return counts


def _flood_process(server: str, seconds: float, results: multiprocessing.Queue) -> None:
    """The flooding student on a machine of its own, as it would be: its own process, not the class's event loop."""
    results.put(asyncio.run(_flood(server, seconds)))


async def _busy_lesson(servers: list[str], flooding: bool) -> tuple[list[list[float]], list[str], dict[str, int]]:
    """STUDENTS students (one of them flooding, if asked) spread over the servers; move times per server."""
    times: list[list[float]] = [[] for _ in servers]
    errors: list[str] = []
    counts = {"sent": 0, "runs": 0}
    results: multiprocessing.Queue = multiprocessing.Queue()
    flood = multiprocessing.Process(target=_flood_process, args=(servers[0], DURATION + 2, results)) if flooding else None
    if flood:
        flood.start()
    start = time.monotonic()
    first = 1 if flooding else 0  # the flooder takes student 0's place
    await asyncio.gather(*(student(n, servers[n % len(servers)], start, times[n % len(servers)], [], errors, BUSY_MOVE_EVERY)
                           for n in range(first, STUDENTS)))
    if flood:
        counts = results.get(timeout=60)
        flood.join()
    return times, errors, counts


def busy_class(flooding: bool, replicas: int = REPLICAS) -> BusyClass:
    """The class of STUDENTS moving once a second on `replicas` replicas (warmed up first), once."""
    with ExitStack() as stack:
        apps = [stack.enter_context(running_server()) for _ in range(replicas)]
        servers = [app.url.removeprefix("http://") for app in apps]
        for server in servers:
            asyncio.run(warm_up(server))
        before = [cpu_seconds(app.pid) for app in apps]
        per_server, errors, counts = asyncio.run(_busy_lesson(servers, flooding))
        cpu = tuple(cpu_seconds(app.pid) - start for app, start in zip(apps, before))
    ms = sorted(1000 * t for times in per_server for t in times)
    flooded = sorted(1000 * t for t in per_server[0])
    result = BusyClass(
        students=STUDENTS - flooding, replicas=replicas, flooding=flooding, moves=len(ms), errors=errors,
        median_ms=statistics.median(ms), p95_ms=_p95(ms), max_ms=ms[-1], flooded_replica_p95_ms=_p95(flooded),
        flood_sent=counts["sent"], flood_runs=counts["runs"], server_cpu_s=cpu,
    )
    print(result, flush=True)
    return result


def _p95(sorted_ms: list[float]) -> float:
    return sorted_ms[int(0.95 * (len(sorted_ms) - 1))] if sorted_ms else 0.0


def busy_table(classes: list[BusyClass]) -> list[str]:
    return [
        f"{STUDENTS} students open `/{TEACHER_LINK[0]}?{TEACHER_LINK[1]}` and each moves the rank slider every "
        f"{BUSY_MOVE_EVERY:g} s for {DURATION:g} s, on {REPLICAS} replicas (one per core, the README's hosting recipe; "
        "students spread over them as the balancer spreads browsers) or on one, the clients on the same machine. Then "
        f"on {REPLICAS} replicas with one student replaced by a socket (in a process of its own) sending rank moves "
        f"every {1000 * FLOOD_EVERY:g} ms without waiting for the answers, on the first replica.",
        "",
        "| class | replicas | students moving | moves | errors | median | 95th percentile | slowest | 95th percentile on the flooded replica | flood: reruns sent → runs started | server CPU per replica |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---|",
        *(f"| {'with one flooding' if c.flooding else 'no flood'} | {c.replicas} | {c.students} | {c.moves} | {len(c.errors)} | "
          f"{c.median_ms:.0f} ms | {c.p95_ms:.0f} ms | {c.max_ms:.0f} ms | {c.flooded_replica_p95_ms if c.flooding else 0:.0f} ms | "
          f"{f'{c.flood_sent:,} → {c.flood_runs:,}' if c.flooding else ''} | "
          f"{', '.join(f'{s:.0f} s' for s in c.server_cpu_s)} |" for c in classes),
    ]


@dataclass(frozen=True)
class AbandonedTraining:
    """Ten students on one new training link; the one whose page started it moves on."""

    waiters: int
    got_it: int  # waiters whose page drew the training
    slowest_s: float
    errors: list[str]


ABANDONED_QUERY = f"seed=107&steps={HEAVY_STEPS}"


def abandoned_training() -> AbandonedTraining:
    """The starter opens a new training link; nine more open it and wait; the starter moves to other steps and
    closes its tab; each of the nine should still get the training."""
    async def run(server: str) -> list:
        starter = await Session.begin(server, "low_rank", ABANDONED_QUERY, "Training full fine-tuning")
        start = time.perf_counter()
        waiters = await asyncio.gather(*(Session.begin(server, "low_rank", ABANDONED_QUERY, "Training in another session")
                                         for _ in range(STUDENTS // 3 - 1)))
        steps = WidgetState(id=starter.widgets["steps"][1], int_value=HEAVY_STEPS + 50)
        await starter.send([steps])
        await starter.socket.close()
        finished = await asyncio.gather(*(waiter.finish(start) for waiter in waiters))
        for waiter in waiters:
            await waiter.close()
        return finished

    with running_server() as app:
        finished = asyncio.run(run(app.url.removeprefix("http://")))
    result = AbandonedTraining(
        waiters=len(finished),
        got_it=sum(any(text.startswith("Trained:") for text in rerun.shown) for rerun in finished),
        slowest_s=max(rerun.seconds for rerun in finished),
        errors=[error for rerun in finished for error in rerun.errors],
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


def abandoned_table(a: AbandonedTraining) -> list[str]:
    return [
        f"{a.waiters + 1} students open one new training link (`/low_rank?{ABANDONED_QUERY}`); once the other {a.waiters} "
        "are waiting for it, the student whose page started it moves to other steps (a new training) and closes the tab.",
        "",
        "| waiters | got the training | slowest, from the starter leaving | errors |",
        "|---:|---:|---:|---:|",
        f"| {a.waiters} | {a.got_it} | {a.slowest_s:.1f} s | {len(a.errors)} |",
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
