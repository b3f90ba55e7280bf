"""Real browser: `streamlit run` headless on a free port, driven by Debian's Chromium through Playwright."""

import re
from urllib.parse import parse_qs, urlparse

import pytest

try:
    from playwright.sync_api import expect
except ImportError:  # the app_url fixture skips or fails with a clear reason
    expect = None

from lora_viz.numbers.ranks import rank_options
from harness.browser import (
    CHART,
    chromium,
    CHROMIUM_ARGS,
    COUNTS,
    NOTICES,
    SCREENSHOTS,
    chart,
    free_port,
    require_browser,
    running_app,
    running_server,
    wait_for_idle,
)

pytestmark = pytest.mark.browser


def query_of(page) -> dict[str, str]:
    return {key: values[-1] for key, values in parse_qs(urlparse(page.url).query).items()}


def test_deep_link_slider_write_back_and_page_switch(app_url, page):
    page.goto(f"{app_url}/matrices?d=4096&k=4096&r=8&dtype=fp16")
    wait_for_idle(page)
    expect(page.locator("h1").first).to_have_text("Matrices to scale")
    expect(page.locator(COUNTS)).to_have_text(["16,777,216", "65,536", "16,842,752", "16,777,216"])
    assert page.locator('[data-testid="stException"]').count() == 0

    slider = page.get_by_role("slider").first
    slider.focus()
    slider.press("ArrowRight")  # rank 8 → 9
    page.wait_for_function("() => new URLSearchParams(location.search).get('r') === '9'")
    wait_for_idle(page)
    expect(page.locator(COUNTS).nth(1)).to_have_text("73,728")
    assert query_of(page)["r"] == "9" and query_of(page)["dtype"] == "fp16"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "matrices-r9.png"))

    page.get_by_role("link", name="Home").first.click()
    page.wait_for_url(re.compile(r"/\?"))
    wait_for_idle(page)
    expect(page.locator("h1").first).to_have_text("How LoRA saves memory")
    assert query_of(page)["r"] == "9" and query_of(page)["dtype"] == "fp16"
    expect(page.locator('[data-testid="stMetricValue"]').nth(1)).to_have_text("73,728")
    page.screenshot(path=str(SCREENSHOTS / "home-r9.png"))


def test_a_chart_asks_only_for_the_last_of_quick_stand_ins(app_url, page):
    """A drag across large ranks sends stand-ins in a row: the chart asks for one figure, the one it was sent last."""
    page.goto(f"{app_url}/matrices?d=4096&k=4096&r=8&trained=1")
    wait_for_idle(page)
    page.evaluate(
        """() => {
            window.__requests = [];
            // A chart of its own, drawn by the page's chart script as Streamlit's component would call it.
            const element = document.createElement("div");
            document.querySelector('[data-testid=stMain]').appendChild(element);
            const component = { parentElement: element, setStateValue: (name, value) => window.__requests.push(value) };
            const figure = new TextEncoder().encode('{"data": [], "layout": {"height": 300}}');
            // Two stand-ins 50 ms apart, as Streamlit sends them (the chart draws an empty figure for each).
            const render = request => window.loraVizChart.render(component,
                { config: "{}", alt: "stand-in", settings: "stand-in", request, textScale: 1 }, figure);
            render("r=1000");
            setTimeout(() => render("r=1001"), 50);
        }"""
    )
    page.wait_for_function("() => window.__requests.length > 0")
    page.wait_for_timeout(600)  # an observation window, not a timing check: a second request would come within it
    assert page.evaluate("() => window.__requests") == ["r=1001"]


def test_hostile_link_shows_a_notice_in_the_browser(app_url, page):
    page.goto(f"{app_url}/matrices?d=-3&r=%3Cscript%3Ealert(1)%3C/script%3E&k=1e40")
    wait_for_idle(page)
    expect(page.locator('[data-testid="stAlert"]').first).to_contain_text("Some settings in this link were adjusted")
    notices = page.locator(NOTICES).first.inner_text()
    assert "d:" in notices and "r:" in notices and "<script>alert(1)</script>" in notices  # shown as text
    # The notices sit inside the warning's box (they rendered outside it, beneath).
    box, text = page.locator(".st-key-lora-viz-notices").first.bounding_box(), page.locator(NOTICES).first.bounding_box()
    assert box["y"] <= text["y"] and text["y"] + text["height"] <= box["y"] + box["height"]
    assert box["x"] <= text["x"] and text["x"] + text["width"] <= box["x"] + box["width"]
    assert page.locator("script:has-text('alert(1)')").count() == 0
    assert page.locator('[data-testid="stException"]').count() == 0
    assert query_of(page)["d"] == "1" and query_of(page)["k"] == "131072"


def test_merge_animation_plays_in_the_browser_without_a_rerun(app_url, page):
    page.goto(f"{app_url}/merge?trained=1&r=4&step=0")
    wait_for_idle(page)
    animation = chart(page)  # the animation is the page's first chart
    caption = "chart => chart.querySelector('.gtitle').textContent"
    assert animation.evaluate(caption).startswith("W is frozen")

    # Count every message the browser sends the server from now on: a rerun request would be one.
    page.evaluate(
        "() => { window.__sent = 0; const send = WebSocket.prototype.send;"
        " WebSocket.prototype.send = function (...args) { window.__sent += 1; return send.apply(this, args); }; }"
    )
    animation.locator(".updatemenu-button", has_text="Play").click()
    animation.wait_for_function(f"chart => ({caption})(chart).startsWith('Term 2')", timeout=15_000)
    assert page.evaluate("() => window.__sent") == 0
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "merge-playing.png"))

    # Control: a Streamlit control does talk to the server, so the counter above could have caught a rerun.
    animation.locator(".updatemenu-button", has_text="Pause").click()
    slider = page.get_by_role("slider").first
    slider.focus()
    slider.press("ArrowRight")
    page.wait_for_function("() => window.__sent > 0", timeout=15_000)


_DELTA_CELL = """gd => {
    const delta = gd._fullData.find(trace => trace.name === 'ΔW');  // arrays decoded
    const { xaxis, yaxis } = gd._fullLayout, box = gd.getBoundingClientRect();  // _offset: where each axis starts
    return [box.left + xaxis._offset + xaxis.d2p(delta.x[2] + 0.5), box.top + yaxis._offset + yaxis.d2p(delta.y[1] + 0.5)];
}"""  # the centre of ΔW's cell (row 2, column 3), in the page's pixels, from the drawn figure's own axes


def test_hovering_a_delta_cell_lists_its_products_in_the_caption_beneath(app_url, page):
    page.goto(f"{app_url}/merge?trained=1&r=3&alpha=6&d=8&k=8&step=0")
    wait_for_idle(page)
    animation = chart(page)
    caption = page.locator(".lora-viz-caption").first
    expect(caption).to_contain_text("Point at a cell")
    page.mouse.move(*animation.evaluate(_DELTA_CELL))
    expect(caption).to_contain_text("ΔW[2,3] = 2 · (")  # α/r = 6/3
    assert caption.text_content().count(")(") == 3  # r products, term by term
    expect(caption).to_contain_text("now shown: 0.0000")  # the animation's first step: nothing added yet
    # Nothing over the figure: no tooltip covers the row of A or the cells it is about, and the caption is below.
    assert animation.locator(".hoverlayer .hovertext").count() == 0
    assert caption.bounding_box()["y"] >= animation.bounding_box()["y"] + animation.bounding_box()["height"] - 1
    expect(animation.element).to_have_attribute("data-linked", "1,2|2,3")  # and the cell is lit


def test_a_tap_on_a_phone_lights_a_cell_and_fills_the_caption_without_zooming(app_url):
    require_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium(), args=CHROMIUM_ARGS)
        phone = browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True, device_scale_factor=2)
        tab = phone.new_page()
        tab.goto(f"{app_url}/merge?trained=1&r=3&alpha=6&d=8&k=8&step=0")
        wait_for_idle(tab)
        animation = chart(tab)
        before = animation.bounding_box()
        tab.touchscreen.tap(*animation.evaluate(_DELTA_CELL))
        caption = tab.locator(".lora-viz-caption").first
        expect(caption).to_contain_text("= 2 · (")  # a cell of ΔW, its products (cells are 15 px wide here)
        # The cell the caption speaks of is the one lit (touch emulation may report the tap at a neighbouring cell).
        tab.wait_for_function("""chart => {
            const said = /ΔW\\[(\\d+),(\\d+)\\] =/.exec(document.querySelector('.lora-viz-caption').textContent);
            return said && chart.dataset.linked === `${said[1] - 1},${said[1]}|${said[2] - 1},${said[2]}`;
        }""", arg=animation.element.element_handle(), timeout=5_000)
        after = animation.bounding_box()
        assert (after["width"], after["height"]) == (before["width"], before["height"])  # the figure kept its size
        assert tab.evaluate("() => window.visualViewport.scale") == 1  # and the page did not zoom
        browser.close()


def test_large_rank_delta_follows_the_page_and_polling_stops(app_url, page):
    page.goto(f"{app_url}/matrices?d=131072&k=131072&r=131072&trained=1")
    wait_for_idle(page)
    page.locator(CHART).nth(1).scroll_into_view_if_needed()  # ΔW, beneath the drawing: drawn when in view
    # ΔW at r = 131,072 is computed in a follow-up run: its figure arrives and the waiting note goes.
    page.wait_for_function(
        f"() => [...document.querySelectorAll('{CHART}')].some(chart =>"
        " (chart.querySelector('.gtitle') || {}).textContent?.includes('exact means of'))",
        timeout=30_000,
    )
    expect(page.get_by_text("Computing ΔW's exact block means")).to_have_count(0)
    # Then the page is quiet: the follow-up's timer is gone, so the browser sends nothing more.
    page.evaluate(
        "() => { window.__sent = 0; const send = WebSocket.prototype.send;"
        " WebSocket.prototype.send = function (...args) { window.__sent += 1; return send.apply(this, args); }; }"
    )
    page.wait_for_timeout(1500)  # an observation window, not a timing check: a polling timer would send within it
    assert page.evaluate("() => window.__sent") == 0


def test_a_dropped_connection_comes_back_to_the_same_view(app_url, page):
    # Keep a handle on the page's sockets, so that the test can drop the connection as a flaky network would.
    page.add_init_script(
        "window.__sockets = []; const Native = window.WebSocket;"
        " window.WebSocket = class extends Native { constructor(...args) { super(...args); window.__sockets.push(this); } };"
    )
    page.goto(f"{app_url}/matrices?d=1024&k=512&r=16&dtype=fp32")
    wait_for_idle(page)
    page.evaluate("() => window.__sockets[0].close()")
    # Streamlit keeps a dropped session for a while (server.disconnectedSessionTTL) and the page rejoins it.
    # Keep the default: with the TTL at 0 the page came back drawn but deaf to its controls.
    page.wait_for_function("() => window.__sockets.length === 2 && window.__sockets[1].readyState === WebSocket.OPEN", timeout=30_000)
    page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]')
    expect(page.locator(COUNTS).nth(1)).to_have_text(f"{16 * (1024 + 512):,}")
    assert page.locator('[data-testid="stNumberInput"] input').first.input_value() == "1024"
    assert query_of(page)["r"] == "16" and query_of(page)["dtype"] == "fp32"
    # And it keeps working: the next move is answered from the same settings.
    slider = page.locator('[data-testid="stSidebar"]').get_by_role("slider").first
    slider.focus()
    slider.press("ArrowRight")
    page.wait_for_function("() => new URLSearchParams(location.search).get('r') === '20'")  # the count shows at once (the preview)
    expect(page.locator(COUNTS).nth(1)).to_have_text(f"{20 * (1024 + 512):,}")
    assert query_of(page)["r"] == "20" and query_of(page)["d"] == "1024"


_WATCH_THUMB = """slider => {
    window.__thumbs = [slider.getAttribute('aria-valuetext')];
    const watch = () => {
        const now = slider.getAttribute('aria-valuetext');
        if (now !== window.__thumbs[window.__thumbs.length - 1]) window.__thumbs.push(now);
        window.__watching = requestAnimationFrame(watch);
    };
    cancelAnimationFrame(window.__watching);
    watch();
}"""  # every value the thumb shows, in order, as the browser paints it


def test_keys_pressed_50_to_80_ms_apart_all_count_and_the_link_the_thumb_and_the_drawing_agree(app_url, page):
    """Five arrow presses 50-80 ms apart, twenty times: presses were lost, the thumb jumped back, and the address
    said r = 32 while the page drew r = 28. Now each run ends five ranks on, and the link, the thumb and the drawing
    all say so; the thumb never moves against the keys."""
    import random

    page.goto(f"{app_url}/matrices?d=1024&k=1024&r=16")
    wait_for_idle(page)
    slider = page.locator('[data-testid="stSidebar"]').get_by_role("slider").first
    options = [str(r) for r in rank_options(1024, 16)]
    rng = random.Random(28)
    for run in range(20):
        key, step = ("ArrowRight", 1) if run % 2 == 0 else ("ArrowLeft", -1)
        start = options.index(slider.get_attribute("aria-valuetext"))
        expected = options[start + 5 * step]
        slider.evaluate(_WATCH_THUMB)
        slider.focus()
        for _ in range(5):
            page.keyboard.press(key)
            page.wait_for_timeout(rng.randint(50, 80))  # the cadence of the presses, not a timing check
        page.wait_for_function(f"() => new URLSearchParams(location.search).get('r') === '{expected}'", timeout=15_000)
        wait_for_idle(page)
        assert page.locator(CHART).count() == 2, run  # one chart each for the drawing and ΔW (no stale copy beside)
        assert slider.get_attribute("aria-valuetext") == expected, run
        assert query_of(page)["r"] == expected, run
        drawn = page.locator(CHART).first.get_attribute("data-drawn")
        assert f"r={expected}" in drawn.split("&"), (run, drawn)
        seen = [options.index(value) for value in page.evaluate("() => window.__thumbs")]
        assert seen == sorted(seen, reverse=step < 0) and seen[-1] == options.index(expected), (run, str(seen))


def test_a_tab_whose_server_restarted_keeps_its_first_move():
    """The server goes away and comes back (a deploy, a crash): the tab reconnects to a new session that has drawn no
    control. Its first move was lost to its old link (the thumb went back); now the page and the link follow it."""
    require_browser()
    from playwright.sync_api import sync_playwright

    port = free_port()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium(), args=CHROMIUM_ARGS)
        tab = browser.new_page(viewport={"width": 1280, "height": 1000})
        with running_server(port=port) as first:
            tab.goto(f"{first.url}/matrices?d=1024&k=512&r=16")
            wait_for_idle(tab)
        # The tab notices that it lost its server, then that it has one again.
        tab.wait_for_selector('[data-testid="stApp"]:not([data-test-connection-state="CONNECTED"])')
        with running_server(port=port):
            tab.wait_for_selector('[data-testid="stApp"][data-test-connection-state="CONNECTED"]', timeout=60_000)
            slider = tab.locator('[data-testid="stSidebar"]').get_by_role("slider").first
            slider.focus()
            slider.press("ArrowRight")
            tab.wait_for_function("() => new URLSearchParams(location.search).get('r') === '20'")  # the count shows at once
            expect(tab.locator(COUNTS).nth(1)).to_have_text(f"{20 * (1024 + 512):,}")
            assert query_of(tab)["r"] == "20" and query_of(tab)["d"] == "1024"
        browser.close()


def test_low_rank_training_shows_progress_and_result(app_url, page):
    page.goto(f"{app_url}/low_rank?spectrum=rank&spectrum_rank=3&r=2&d=20&k=20&steps=200&seed=11")
    wait_for_idle(page)
    done = page.get_by_text("Trained: full fine-tuning and LoRA")
    expect(done).to_contain_text("showing r = 2")
    # The bar goes once the training is done (a full bar stayed, reading as something still going on).
    expect(page.locator('[data-testid="stProgress"]')).to_have_count(0)
    expect(page.locator(CHART)).to_have_count(4)
    expect(page.get_by_text("the best any rank-2 update can do is")).to_be_visible()

    # Another rank: the training already covers it, so the bar and the summary follow at once.
    slider = page.get_by_role("slider").first  # the sidebar's rank
    slider.focus()
    slider.press("ArrowRight")
    page.wait_for_function("() => new URLSearchParams(location.search).get('r') === '3'")
    # While the run is under way the r = 2 summary may still stand beside the new one; it goes when the run ends.
    expect(done.filter(has_text="showing r = 3")).to_be_visible()
    expect(done).to_have_count(1)
    expect(page.get_by_text("the best any rank-3 update can do is")).to_be_visible()
    # rsLoRA and PiSSA train at r = 3 in a run their chart's stand-in asks for once the slider rests (out of view or not).
    variants = page.locator(CHART).nth(2)
    expect(variants).to_have_attribute("data-received", re.compile(r"(^|&)r=3(&|$)"), timeout=20_000)
    variants.scroll_into_view_if_needed()
    expect(variants).to_have_attribute("data-drawn", re.compile(r"(^|&)r=3(&|$)"))
    expect(page.get_by_text("Training rsLoRA and PiSSA at r = 3")).to_have_count(0)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "low-rank-trained.png"))


def test_a_chart_out_of_view_is_drawn_only_when_it_comes_into_view(app_url, page):
    page.set_viewport_size({"width": 1280, "height": 600})
    page.goto(f"{app_url}/low_rank?d=20&k=20&r=2&steps=200")
    wait_for_idle(page)
    spectrum = page.locator(CHART).nth(1)
    expect(spectrum).to_have_attribute("data-in-view", "false")
    # Not drawn on the page's first run either (a page switch costs the charts one can see), but as tall as its figure.
    assert spectrum.get_attribute("data-drawn") is None and "r=2" in spectrum.get_attribute("data-received").split("&")
    assert spectrum.bounding_box()["height"] >= 300
    chart(page, 1)
    assert "r=2" in spectrum.get_attribute("data-drawn").split("&")
    page.locator("h1").first.scroll_into_view_if_needed()  # back to the top: the spectrum is out of view again
    expect(spectrum).to_have_attribute("data-in-view", "false")

    slider = page.get_by_role("slider").first  # the sidebar's rank
    slider.focus()
    slider.press("ArrowRight")
    page.wait_for_function("() => new URLSearchParams(location.search).get('r') === '3'")
    wait_for_idle(page)
    # The spectrum at r = 3 has reached its chart, which holds it back while it cannot be seen…
    assert "r=3" in spectrum.get_attribute("data-received").split("&")
    assert "r=2" in spectrum.get_attribute("data-drawn").split("&")
    # …and draws it once it is scrolled into view.
    chart(page, 1)
    assert "r=3" in spectrum.get_attribute("data-drawn").split("&")


def test_two_replicas_under_a_base_path_serve_the_same_link():
    """The README's scale-out recipe: replicas share nothing, since every view lives in its link."""
    require_browser()
    from contextlib import ExitStack

    from playwright.sync_api import sync_playwright

    link = "matrices?d=11008&k=4096&r=16&dtype=fp16"
    with ExitStack() as stack, sync_playwright() as p:
        replicas = [stack.enter_context(running_app(base_path="lora")) for _ in range(2)]
        browser = p.chromium.launch(executable_path=chromium(), args=CHROMIUM_ARGS)
        seen = []
        for base in replicas:
            assert base.endswith("/lora")
            tab = browser.new_page(viewport={"width": 1280, "height": 900})
            tab.goto(f"{base}/{link}")
            wait_for_idle(tab)
            expect(tab.locator(COUNTS).nth(1)).to_have_text(f"{16 * (11008 + 4096):,}")
            seen.append((tab.locator(COUNTS).all_inner_texts(), query_of(tab)))
        browser.close()
    assert seen[0] == seen[1]


FIGURE_LINKS = ["lesson?lesson=0", "matrices", "merge", "whole_model",
                "whole_model?method=full&model=opt-175b", "low_rank?d=20&k=20&steps=200"]


def test_every_figure_draws_every_trace_with_the_pinned_plotly_js(app_url, page):
    """Every kind of figure the app makes (heatmaps, scatter lines, bars, animation frames), drawn by static/plotly.min.js:
    no script error, and each chart's traces all made it into Plotly's drawn figure."""
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" and "lora-viz" in message.text else None)
    drawn = {}
    for link in FIGURE_LINKS:
        page.goto(f"{app_url}/{link}")
        wait_for_idle(page, 60_000)
        count = page.locator(CHART).count()
        assert count, link
        for n in range(count):
            traces, full = chart(page, n).evaluate("chart => [chart.data.length, chart._fullData.length]")
            assert traces > 0 and full == traces, (link, n, traces, full)
            drawn[link, n] = traces
    assert not errors, errors
    assert len(drawn) >= 10


def test_a_tab_loads_plotly_js_once_across_page_switches(app_url, page):
    """Every chart of a tab shares one plotly.js: switching pages through the sidebar draws the next page's charts
    without loading it again (each chart once loaded and compiled its own copy in an iframe)."""
    loaded = []
    page.on("request", lambda request: loaded.append(request.url) if request.url.endswith("/plotly.min.js") else None)
    page.goto(f"{app_url}/matrices?d=64&k=64&r=8")
    wait_for_idle(page)
    for label, url_path in (("Merge", "merge"), ("Why low rank works", "low_rank"), ("Matrices to scale", "matrices")):
        page.locator('[data-testid="stSidebar"]').get_by_role("link", name=label, exact=True).click()
        page.wait_for_url(re.compile(rf"/{url_path}\?"))
        wait_for_idle(page, 60_000)
        assert page.locator(CHART).count() > 0
    assert len(loaded) == 1, loaded


def _thumb_centre(page) -> tuple[float, float]:
    """The centre of the rank slider's thumb."""
    thumb = page.locator('.st-key-r [data-testid="stSliderThumbValue"]').bounding_box()
    return thumb["x"] + thumb["width"] / 2, thumb["y"] + thumb["height"] / 2


def _drag_rank_slider(page, pixels: int):
    """Press the rank slider's thumb and move it `pixels` to the right, still pressed; returns the mouse to release."""
    x, y = _thumb_centre(page)
    page.mouse.move(x, y)
    page.mouse.down()
    for step in range(1, 11):
        page.mouse.move(x + pixels * step / 10, y)
    return page.mouse


SKETCH = ".st-key-chart-drawing canvas.lora-viz-preview"
PREVIEWED_RANK = "() => document.documentElement.dataset.loraVizPreview && document.documentElement.dataset.loraVizPreview !== '8'"


def _previewed_rank(page) -> int:
    page.wait_for_function(PREVIEWED_RANK)
    return int(page.evaluate("document.documentElement.dataset.loraVizPreview"))


def test_the_drawing_and_headline_numbers_follow_the_rank_slider_while_it_is_dragged(app_url, page):
    """Before the thumb is released the page already shows the counts for the rank under it and the drawing of W, A
    and B at that rank (the server's own texts and sketch, looked up), and dims ΔW, which follows on release; the
    release commits the rank like any setting, and the chart's own figure replaces the sketch."""
    page.goto(f"{app_url}/matrices?d=4096&k=4096&r=8")
    wait_for_idle(page)
    x, y = _thumb_centre(page)
    mouse = _drag_rank_slider(page, 60)
    rank = _previewed_rank(page)
    shown = page.locator('.st-key-r [data-testid="stSliderThumbValue"]').inner_text()
    assert int(shown.replace(",", "")) == rank and query_of(page).get("r", "8") == "8"  # not committed yet
    expect(page.locator(COUNTS).nth(1)).to_have_text(f"{rank * 8192:,}")  # r·(d + k), before any run
    expect(page.locator(SKETCH)).to_have_attribute("data-rank", str(rank))  # the drawing follows, before any run
    first = page.locator(SKETCH).evaluate("canvas => canvas.toDataURL()")
    assert page.evaluate("document.querySelector('.st-key-chart-drawing').style.opacity") == ""  # drawn, not dimmed
    assert page.evaluate("document.querySelector('.st-key-chart-delta').style.opacity") == "0.35"
    for step in range(1, 11):  # further right: a larger rank, a wider A and a taller B
        page.mouse.move(x + 60 + 6 * step, y)
    farther = _previewed_rank(page)
    expect(page.locator(SKETCH)).to_have_attribute("data-rank", str(farther))
    assert farther > rank and page.locator(SKETCH).evaluate("canvas => canvas.toDataURL()") != first
    assert query_of(page).get("r", "8") == "8"
    mouse.up()
    page.wait_for_function(f"() => new URLSearchParams(location.search).get('r') === '{farther}'")
    wait_for_idle(page)
    expect(page.locator(COUNTS).nth(1)).to_have_text(f"{farther * 8192:,}")
    expect(page.locator(SKETCH)).to_have_count(0)  # the chart drew the committed rank's figure and took the sketch away
    assert page.evaluate("document.querySelector('.st-key-chart-delta').style.opacity") == ""

    page.goto(f"{app_url}/")  # the default view: its link carries no r
    wait_for_idle(page)
    mouse = _drag_rank_slider(page, 60)
    rank = _previewed_rank(page)
    expect(page.locator('[data-testid="stMetricValue"]').nth(1)).to_have_text(f"{rank * 8192:,}")
    mouse.up()

    page.goto(f"{app_url}/whole_model?model=mixtral-8x7b&targets=all-linear")
    wait_for_idle(page)
    mouse = _drag_rank_slider(page, 60)
    rank = _previewed_rank(page)
    # PEFT's count at r = 8 is 179,832,832 (tests/golden/peft_counts.json); it scales with the rank
    expect(page.locator('[data-testid="stMetricValue"]').first).to_have_text(f"{179_832_832 // 8 * rank:,}")
    expect(page.locator('[data-testid="stMetricDelta"]').first).to_contain_text(f"r = {rank} ({2 * rank} on gate_up_proj)")
    mouse.up()
