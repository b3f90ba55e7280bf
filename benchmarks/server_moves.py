"""Server time and bytes per rank-slider move on every page, against the bare page, on the real server.

The app runs under `streamlit run` with each page's bare twin (its floor) and linked twin (the floor plus the
page's title and the six page links, which carry the settings as the app's do) as more pages of it (same server
process); one client per page speaks Streamlit's protocol (harness/protocol.py) and moves the rank slider
to ranks not seen before (cache misses: the real cost), alternating page, bare page and linked page, in three
rounds that each open the link with another seed and dtype (so that their moves miss the caches too). Per move:
the server's time for the page script (benchmarks/timed.py), the time until `script_finished` as the client
sees it, and the bytes received, the client keeping large messages as a browser does. When a page defers a
figure to a follow-up run, the follow-up is run and timed too.
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path

from lora_viz.numbers.ranks import rank_options
from lora_viz.settings import Settings, to_query
from lora_viz.navigation import PAGES
from harness.browser import running_server

from .bare import ROOT, twin_path
from harness.protocol import Rerun, Session
from .timed import TimingLog, timed_app

SIZES = {
    "small": Settings(d=64, k=64, r=8),
    "default": Settings(),
    "largest": Settings(d=131_072, k=131_072, r=131_072, trained=True),
}
MOVES = 20  # per round: the small size has 24 ranks, and a move to a rank seen before would be a cache hit
# Each round opens the link again with another seed and dtype, which every page's caches depend on, so its
# moves are cache misses too: 60 moves per row in all, so that a row's median moves less between runs.
ROUNDS = ({}, {"seed": 1, "dtype": "fp16"}, {"seed": 2, "dtype": "fp32"})


@dataclass(frozen=True)
class Measured:
    page: str
    size: str
    server_ms: float  # median over moves
    bare_server_ms: float
    linked_server_ms: float  # the floor with the page's title and the six page links
    client_ms: float
    bare_client_ms: float
    first_kib: float  # the first render: everything the page sends
    move_kib: float  # median per move
    errors: int
    follow_ups: int  # moves after which the page computed a deferred figure in a follow-up run
    follow_up_ms: float  # median time from the move to the follow-up's end, as the client sees it (0 if none)

    @property
    def server_ratio(self) -> float:
        return self.server_ms / self.bare_server_ms

    @property
    def linked_ratio(self) -> float:
        """What the page links alone cost: the linked floor against the floor."""
        return self.linked_server_ms / self.bare_server_ms

    @property
    def against_linked(self) -> float:
        """The page against the linked floor: what it costs beyond the floor and the page links every page needs."""
        return self.server_ms / self.linked_server_ms

    @property
    def client_ratio(self) -> float:
        return self.client_ms / self.bare_client_ms


def unseen_ranks(s: Settings, moves: int = MOVES) -> list[int]:
    """Ranks a move has not visited: up from the settings' rank, or down when it starts at the top (wrapping)."""
    options = rank_options(min(s.d, s.k), s.r)
    start = options.index(s.r)
    step = -1 if start == len(options) - 1 else 1
    return [options[(start + step * (1 + i)) % len(options)] for i in range(moves)]


def option_text(session: Session, rank: int) -> str:
    """The rank slider's option as the page shows it (1,024 or 1024)."""
    options = session.sliders["r"].options
    return next(text for text in options if text.replace(",", "") == str(rank))


async def measure(server: str, url_path: str, s: Settings, page_log: TimingLog, bare_log: TimingLog, linked_log: TimingLog) -> Measured:
    """One page at one size against its bare and linked twins, all served by `server` (host:port), over ROUNDS."""
    moves: list[Rerun] = []
    follow_ups: list[Rerun] = []
    first: Rerun | None = None
    page_ms, bare_ms, linked_ms, client_ms, bare_client_ms, follow_up_ms = [], [], [], [], [], []
    for changes in ROUNDS:
        settings = replace(s, **changes)
        query = "&".join(f"{key}={value}" for key, value in to_query(settings).items())
        page, opened = await Session.open(server, url_path, query)
        bare, _ = await Session.open(server, twin_path(url_path), query)
        linked, _ = await Session.open(server, twin_path(url_path, linked=True), query)
        first = first or opened
        page_log.new(), bare_log.new(), linked_log.new()
        for rank in unseen_ranks(settings):
            run = await page.select("r", option_text(page, rank))
            moves.append(run)
            page_ms.append(1000 * sum(page_log.new()))
            client_ms.append(1000 * run.seconds)
            if run.follow_up:  # a stand-in's frame asks for the run that computes its figure: so do we
                later = await page.rerun([run.follow_up])
                follow_ups.append(later)
                follow_up_ms.append(1000 * (run.seconds + later.seconds))
                page_log.new()
            bare_run = await bare.select("r", option_text(bare, rank))
            bare_ms.append(1000 * sum(bare_log.new()))
            bare_client_ms.append(1000 * bare_run.seconds)
            await linked.select("r", option_text(linked, rank))
            linked_ms.append(1000 * sum(linked_log.new()))
        await page.close()
        await bare.close()
        await linked.close()
    median = statistics.median
    return Measured(
        page="", size="",
        server_ms=median(page_ms), bare_server_ms=median(bare_ms), linked_server_ms=median(linked_ms),
        client_ms=median(client_ms), bare_client_ms=median(bare_client_ms),
        first_kib=first.bytes_received / 1024,
        move_kib=median(run.bytes_received for run in moves) / 1024,
        errors=sum(len(run.errors) for run in [first, *moves, *follow_ups]),
        follow_ups=len(follow_up_ms), follow_up_ms=median(follow_up_ms) if follow_up_ms else 0.0,
    )


def run() -> list[Measured]:
    """Every page at every size, page, bare page and linked page measured in turn in one run."""
    results = []
    logs = Path(tempfile.mkdtemp(prefix="lora-viz-timing-"))
    page_log, bare_log, linked_log = (TimingLog(logs / f"{name}.log") for name in ("page", "bare", "linked"))
    with running_server(root=timed_app(ROOT, page_log.path, bare_log.path, linked_log.path)) as app:
        for info in PAGES:
            for size, s in SIZES.items():
                m = asyncio.run(measure(app.url.removeprefix("http://"), info.url_path, s, page_log, bare_log, linked_log))
                results.append(Measured(**{**vars(m), "page": info.label, "size": size}))
                print(f"{info.label:20s} {size:8s} server {m.server_ms:6.1f} / {m.bare_server_ms:5.1f} = {m.server_ratio:.2f} "
                      f"(linked floor {m.linked_ratio:.2f})   "
                      f"client {m.client_ms:6.1f} / {m.bare_client_ms:5.1f} = {m.client_ratio:.2f}   "
                      f"first {m.first_kib:6.0f} KiB, per move {m.move_kib:5.0f} KiB, errors {m.errors}"
                      + (f", {m.follow_ups} follow-ups: {m.follow_up_ms:.0f} ms" if m.follow_ups else ""), flush=True)
    return results


def table(results: list[Measured]) -> list[str]:
    lines = [
        "| page | size | server ms per move | bare server ms | ratio | linked bare ms | its ratio | page ÷ linked | largest ÷ small | client ms per move | bare client ms | ratio | first render KiB | KiB per move | deferred ΔW ready (client ms) |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    small = {m.page: m.server_ms for m in results if m.size == "small"}
    for m in results:
        growth = f"{m.server_ms / small[m.page]:.2f}" if m.size == "largest" else ""
        lines.append(
            f"| {m.page} | {m.size} | {m.server_ms:.1f} | {m.bare_server_ms:.1f} | {m.server_ratio:.2f} | "
            f"{m.linked_server_ms:.1f} | {m.linked_ratio:.2f} | {m.against_linked:.2f} | {growth} | "
            f"{m.client_ms:.0f} | {m.bare_client_ms:.0f} | {m.client_ratio:.2f} | {m.first_kib:,.0f} | {m.move_kib:,.0f} | "
            + (f"{m.follow_up_ms:.0f} ({m.follow_ups} of {MOVES * len(ROUNDS)} moves) |" if m.follow_ups else " |")
        )
    return lines
