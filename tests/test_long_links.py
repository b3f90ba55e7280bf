"""Links past what Streamlit reads (1,000 fields, 512 KiB) were opened with no query at all and no word: the page
showed its defaults as if the link had asked for them. Now the link is read up to those limits, and the page says
how much it left out (from the server's first page run on, which puts the check in place)."""

import asyncio

import pytest

from lora_viz.ui.incoming import cut_link
from harness.protocol import Session

pytestmark = pytest.mark.server


@pytest.fixture(scope="module", autouse=True)
def _first_page_run(server):
    """The checks are in place from a server's first page run on (that run's link was read before they were)."""
    _open(server, "")


def _open(server: str, query: str):
    async def run():
        session, rerun = await Session.open(server, "matrices", query)
        await session.close()
        return session, rerun

    return asyncio.run(run())


def test_a_link_with_more_than_1000_fields_is_read_to_its_thousandth_with_a_notice(server):
    session, rerun = _open(server, "r=16&d=1024&" + "&".join(f"x{n}=1" for n in range(1_500)))
    assert not rerun.errors, rerun.errors
    assert "r=16" in session.query.split("&") and "d=1024" in session.query.split("&"), session.query
    assert any("left out the last 502 fields" in text for text in rerun.shown), rerun.shown


def test_a_link_longer_than_512_kib_is_read_to_its_last_whole_field_with_a_notice(server):
    session, rerun = _open(server, "r=16&note=" + "a" * 600_000)
    assert not rerun.errors, rerun.errors
    assert "r=16" in session.query.split("&"), session.query
    assert any("left out the last field." in text for text in rerun.shown), rerun.shown


def test_a_link_within_the_limits_is_left_as_it_is():
    query = "&".join(f"k{n}={n}" for n in range(1_000))
    assert cut_link(query) == (query, 0)
    assert cut_link("") == ("", 0)
