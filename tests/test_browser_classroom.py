"""Real browser, classroom layer: linked highlighting across charts, the merge animation on a phone, zeros in a dark
theme, presentation mode's sizes, and page links that look like links."""

import re
from contextlib import contextmanager

import pytest

from lora_viz.settings import LINK_VERSION
from harness.browser import chart, wait_for_idle

pytestmark = pytest.mark.browser


@contextmanager
def opened(browser, url: str, width: int = 1280, scheme: str = "light", height: int = 900):
    """A new tab of this size and colour scheme on `url`, drawn and idle."""
    tab = browser.new_page(viewport={"width": width, "height": height}, color_scheme=scheme)
    try:
        tab.goto(url)
        wait_for_idle(tab)
        yield tab
    finally:
        tab.close()

# Where a cell of a heatmap trace is on screen: the page's coordinates of its centre.
CELL_CENTRE = """(chart, [trace, row, col]) => {
    const data = chart._fullData[trace], xa = chart._fullLayout.xaxis, ya = chart._fullLayout.yaxis;
    const x = data.x[col] !== undefined && data.x.length > data.z[0].length ? (data.x[col] + data.x[col + 1]) / 2 : data.x[col];
    const y = data.y.length > data.z.length ? (data.y[row] + data.y[row + 1]) / 2 : data.y[row];
    return [xa._offset + xa.l2p(x), ya._offset + ya.l2p(y)];
}"""
LIT = "chart => [...(chart.layout.shapes || [])].filter(s => s.name === 'link').map(s => [s.x0, s.x1, s.y0, s.y1])"


def _hover_cell(page, n: int, trace: int, row: int, col: int):
    """Move the mouse over cell (row, col) of heatmap `trace` in the n-th chart; return that chart."""
    found = chart(page, n)
    x, y = found.evaluate(CELL_CENTRE, [trace, row, col])
    box = found.bounding_box()
    page.mouse.move(box["x"] + x, box["y"] + y)
    return found


def test_hovering_a_cell_of_w_prime_lights_up_the_row_of_a_and_the_column_of_b_that_make_it(app_url, browser):
    with opened(browser, f"{app_url}/merge?d=16&k=16&r=8&step=13", height=1000) as page:
        frame = _hover_cell(page, 0, 3, 3, 5)  # W′ (trace 3), row 3, column 5
        frame.wait_for_function("chart => chart.dataset.linked === '3,4|5,6'")
        lit = frame.evaluate(LIT)
        page.mouse.move(2, 2)  # away: the highlight goes
        frame.wait_for_function("chart => chart.dataset.linked === ''")
        left = frame.evaluate(LIT)
    # Row 3 of A (x 0…8, A's rows start at y = 10), column 5 of B (B's columns start at x = 10), then the cell in
    # ΔW, W and W′.
    assert lit[:2] == [[0, 8, 13, 14], [15, 16, 0, 8]]
    assert [cell[2:] for cell in lit[2:]] == [[13, 14]] * 3 and len(lit) == 5
    assert left == []


def test_hovering_a_block_of_delta_w_lights_up_the_bands_of_a_and_b_in_the_drawing_above(app_url, browser):
    # Trained by default: ΔW is drawn beneath the drawing.
    with opened(browser, f"{app_url}/matrices?d=4096&k=4096&r=8", height=1000) as page:
        drawing = chart(page, 0)
        _hover_cell(page, 1, 0, 10, 20)  # ΔW's block (10, 20): rows 640…704, columns 1,280…1,344
        drawing.wait_for_function("chart => chart.dataset.linked === '640,704|1280,1344'")
        rows_of_a, columns_of_b, block_of_w = drawing.evaluate(LIT)
    assert rows_of_a[2:] == [640, 704] and columns_of_b[1] - columns_of_b[0] == 64 and block_of_w == [1280, 1344, 640, 704]


def test_on_a_phone_the_merge_animation_keeps_its_buttons_and_labels_apart(app_url, browser):
    with opened(browser, f"{app_url}/merge", width=360) as page:
        boxes = chart(page, 0).evaluate("""chart => {
            const box = e => { const r = e.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; };
            return {
                buttons: [...chart.querySelectorAll('.updatemenu-button')].map(box),
                slider: [...chart.querySelectorAll('.slider-container .slider-rail-rect, .slider-container .slider-grip-rect')].map(box),
                labels: [...chart.querySelectorAll('.annotation-text')].map(box),
                title: [...chart.querySelectorAll('.gtitle')].map(box),
                cells: [...chart.querySelectorAll('.heatmaplayer image, .hm image')].map(box),
            };
        }""")

    def overlap(a, b):
        return a[0] < b[2] - 1 and b[0] < a[2] - 1 and a[1] < b[3] - 1 and b[1] < a[3] - 1

    assert boxes["buttons"] and len(boxes["labels"]) >= 7
    assert not boxes["slider"]  # one step control, the page's own (Pause once covered Plotly's slider)
    labels = boxes["labels"] + boxes["title"]
    assert not any(overlap(a, b) for i, a in enumerate(labels) for b in labels[i + 1:])
    assert not any(overlap(b, label) for b in boxes["buttons"] for label in boxes["labels"])
    assert not any(overlap(t, c) for t in boxes["title"] for c in boxes["cells"])


def test_zeros_are_the_dark_page_in_a_dark_theme_not_a_white_glare(app_url, browser):
    middles = {}
    for scheme in ("light", "dark"):
        with opened(browser, f"{app_url}/merge?step=0", scheme=scheme) as page:  # ΔW is all zeros at the start
            middles[scheme] = chart(page, 0).evaluate(
                "chart => { const s = chart._fullLayout.coloraxis.colorscale; return s[(s.length - 1) / 2][1]; }")
    brightness = {scheme: sum(int(v) for v in color[4:-1].split(",")) for scheme, color in middles.items()}
    assert brightness["light"] > 700 and brightness["dark"] < 200, middles


def _sizes(page) -> dict:
    return page.evaluate("""() => {
        const size = sel => { const e = document.querySelector(sel); return e ? parseFloat(getComputedStyle(e).fontSize) : 0; };
        return {
            metric: size('[data-testid=stMain] [data-testid=stMetricValue] p, [data-testid=stMain] [data-testid=stMetricValue] div'),
            text: size('[data-testid=stMain] [data-testid=stMarkdownContainer] p'),
            caption: size('[data-testid=stMain] .stMarkdownColoredText'),  // captions are small grey Markdown
            table: size('[data-testid=stMain] td'),
        };
    }""")


def test_presentation_mode_enlarges_headline_numbers_text_captions_tables_and_charts(app_url, browser):
    found = {}
    for present in ("0", "1"):
        with opened(browser, f"{app_url}/?present={present}") as page:  # Home: the headline numbers, text and captions
            home = _sizes(page)
        with opened(browser, f"{app_url}/matrices?present={present}") as page:  # the tables and a chart
            table = _sizes(page)["table"]
            size = chart(page, 0).evaluate("chart => chart._fullLayout.font.size")
        found[present] = {"metric": home["metric"], "text": home["text"], "caption": home["caption"], "table": table, "chart": size}
    normal, big = found["0"], found["1"]
    assert all(normal[key] > 0 for key in normal), normal
    assert all(big[key] > normal[key] * 1.2 for key in normal), (normal, big)
    assert big["metric"] > big["text"]  # the numbers stay the largest thing, not shrunk to the text's size


def test_page_links_in_the_text_look_like_links(app_url, browser):
    with opened(browser, app_url) as page:
        decoration = page.evaluate("() => getComputedStyle(document.querySelector('[data-testid=stMain] [data-testid=stPageLink-NavLink] p')).textDecorationLine")
    assert decoration == "underline"


LABEL_BOXES = """chart => {
    const frame = chart.getBoundingClientRect();
    const box = e => { const r = e.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; };
    return {
        chart: [frame.left, frame.top, frame.right, frame.bottom],
        labels: [...chart.querySelectorAll('.annotation-text')].map(e => [e.textContent, ...box(e)]),
    };
}"""


@pytest.mark.parametrize("width", [360, 1280])
@pytest.mark.parametrize("path, n", [
    ("merge", 2),  # the two adapters' panels: their titles ran into each other on a phone
    ("whole_model", 0),  # one block's matrices: neighbouring layers' labels collided at 360 px
    ("whole_model?method=full", 1),  # the memory chart's card lines: 16 and 24 GB, 40 and 48 GB lie close
    ("matrices?r=2048", 0),  # "A 4,096×2,048 traine": cut at the right edge
    ("matrices", 0),  # the input arrow ran through "frozen"
    ("merge", 0),
])
def test_chart_labels_neither_collide_nor_run_off_the_chart(app_url, browser, path, n, width):
    with opened(browser, f"{app_url}/{path}", width=width) as page:
        found = chart(page, n).evaluate(LABEL_BOXES)
    left, top, right, bottom = found["chart"]
    labels = found["labels"]
    assert labels
    for text, x0, y0, x1, y1 in labels:
        assert x0 >= left - 1 and x1 <= right + 1 and y0 >= top - 1 and y1 <= bottom + 1, f"{text!r} is cut off"
    for i, (a, *box_a) in enumerate(labels):
        for b, *box_b in labels[i + 1:]:
            apart = box_a[2] <= box_b[0] + 1 or box_b[2] <= box_a[0] + 1 or box_a[3] <= box_b[1] + 1 or box_b[3] <= box_a[1] + 1
            assert apart, f"{a!r} and {b!r} overlap at {width} px"


@pytest.mark.parametrize("width", [1024, 1280])
def test_the_memory_table_fits_its_column_on_a_laptop(app_url, browser, width):
    """No sideways scrolling, and every number on one line (a size and its bytes in one cell wrapped over three)."""
    with opened(browser, f"{app_url}/whole_model", width=width) as page:
        table = page.locator("[data-testid=stMain] table:has(th:text-is('bytes'))").first
        fits, lines = table.evaluate("""t => [t.scrollWidth <= t.clientWidth + 1,
            [...t.querySelectorAll('td:not(:first-child)')].map(td => {
                const text = document.createRange();
                text.selectNodeContents(td);
                return new Set([...text.getClientRects()].map(line => Math.round(line.top))).size;
            })]""")
    assert fits and max(lines) == 1, lines


def test_the_seed_questions_answer_is_on_the_first_screen_of_home(app_url, browser):
    """Most visitors never scroll or touch a control: the four numbers that answer the seed question, with their
    labels, sit in the first 1280×800 screen of the default Home page."""
    with opened(browser, app_url, height=800) as page:
        shown = page.evaluate("""() => [...document.querySelectorAll('[data-testid=stMetric]')].map(m => {
            const r = m.getBoundingClientRect();
            return [m.querySelector('[data-testid=stMetricLabel]').innerText, m.querySelector('[data-testid=stMetricValue]').innerText, r.bottom <= innerHeight];
        })""")
    assert [value for _, value, _ in shown] == ["16,777,216", "65,536", "16,842,752", "16,777,216"]
    assert all(on_screen for *_, on_screen in shown), shown


def test_a_teacher_makes_a_short_student_link_in_two_clicks(app_url, browser):
    """Open the share box (first in the sidebar), switch on the student view: the link to copy is there and short."""
    with opened(browser, f"{app_url}/lesson?lesson=2") as page:
        sidebar = page.locator("[data-testid=stSidebar]")
        sidebar.get_by_text("Share this view", exact=True).click()
        sidebar.get_by_text("Student view: hide every control and these tools").click()
        want = f"{app_url}/lesson?v={LINK_VERSION}&lesson=2&student=1"
        page.wait_for_function("want => [...document.querySelectorAll('[data-testid=stSidebar] [data-testid=stCode]')].some(c => c.innerText.trim() === want)", arg=want)
    assert len(want) < 80


ARROWS_THROUGH_LABELS = """chart => {
    const xa = chart._fullLayout.xaxis, ya = chart._fullLayout.yaxis;
    const frame = chart.getBoundingClientRect();
    const boxes = [...chart.querySelectorAll('.annotation-text')].map(e => [e.textContent, e.getBoundingClientRect()]);
    const lines = chart._fullData.filter(t => t.mode === 'lines+markers');
    const crossed = [];
    for (const trace of lines) {
        for (let i = 0; i + 1 < trace.x.length; i += 3) {
            for (let step = 1; step < 20; step += 1) {  // points along the segment, ends left out (they touch boxes)
                const x = trace.x[i] + (trace.x[i + 1] - trace.x[i]) * step / 20;
                const y = trace.y[i] + (trace.y[i + 1] - trace.y[i]) * step / 20;
                const px = frame.left + xa._offset + xa.l2p(x), py = frame.top + ya._offset + ya.l2p(y);
                for (const [text, box] of boxes) {
                    if (px > box.left && px < box.right && py > box.top && py < box.bottom) crossed.push(text);
                }
            }
        }
    }
    return [...new Set(crossed)];
}"""


@pytest.mark.parametrize("width", [360, 1280])
def test_the_drawings_arrows_pass_clear_of_its_labels(app_url, browser, width):
    """The input arrow once ran through "frozen" in W's label on a phone."""
    with opened(browser, f"{app_url}/matrices", width=width) as page:
        crossed = chart(page, 0).evaluate(ARROWS_THROUGH_LABELS)
    assert crossed == []


@pytest.mark.parametrize("step", [1, 13])  # a term's caption, the merge's: both ran under the button at 360 px
def test_on_a_phone_the_camera_button_leaves_the_merge_caption_clear(app_url, browser, step):
    with opened(browser, f"{app_url}/merge?trained=1&step={step}", width=360) as page:
        animation = chart(page, 0)
        animation.element.hover()  # the toolbar shows on hover (on a tap, on a phone)
        page.wait_for_selector(".lora-viz-chart .modebar-btn", state="visible")
        boxes = animation.evaluate("""chart => {
            const box = e => { const r = e.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; };
            return { buttons: [...chart.querySelectorAll('.modebar-btn')].map(box), title: [...chart.querySelectorAll('.gtitle')].map(box) };
        }""")

    def overlap(a, b):
        return a[0] < b[2] - 1 and b[0] < a[2] - 1 and a[1] < b[3] - 1 and b[1] < a[3] - 1

    assert boxes["buttons"] and boxes["title"]
    assert not any(overlap(b, t) for b in boxes["buttons"] for t in boxes["title"])


_TABLES_FIT = """() => [...document.querySelectorAll('[data-testid="stMain"] table')].map(t => ({
    head: t.querySelector('th') ? t.innerText.slice(0, 40) : '', over: t.scrollWidth - t.clientWidth }))"""


def test_the_whole_models_tables_fit_a_phone_without_hiding_columns(app_url, browser):
    """The per-layer table's last two columns were cut off at 360 px."""
    with opened(browser, f"{app_url}/whole_model?model=llama-3-8b&method=qlora&targets=all-linear&r=16", width=360) as page:
        tables = page.evaluate(_TABLES_FIT)
    assert tables and all(t["over"] <= 1 for t in tables), [t for t in tables if t["over"] > 1]


def test_the_matrices_memory_table_fits_its_column_and_keeps_its_bytes_whole(app_url, browser):
    """At 1280 px the memory table's right border was clipped and a lone 'B)' wrapped onto a line of its own."""
    with opened(browser, f"{app_url}/matrices?d=4096&k=4096&r=8", width=1280) as page:
        tables = page.evaluate(_TABLES_FIT)
        lone = page.evaluate("""() => {
            // Every text that ends in 'B)': its last two characters on the same line as the characters before them.
            const found = [];
            const walk = document.createTreeWalker(document.querySelector('[data-testid="stMain"]'), NodeFilter.SHOW_TEXT);
            for (let node = walk.nextNode(); node; node = walk.nextNode()) {
                const text = node.textContent, at = text.lastIndexOf('B)');
                if (at < 1) continue;
                const range = document.createRange();
                range.setStart(node, at); range.setEnd(node, at + 2);
                const end = range.getBoundingClientRect();
                range.setStart(node, at - 1); range.setEnd(node, at);
                const before = range.getBoundingClientRect();
                if (Math.abs(end.top - before.top) > 2) found.push(text);
            }
            return found;
        }""")
    assert tables and all(t["over"] <= 1 for t in tables), tables
    assert not lone, lone


def test_on_a_phone_the_memory_charts_bar_names_stay_clear_of_its_legend(app_url, browser):
    """Turned upright on a phone, the bars' two-line names ran into the legend."""
    with opened(browser, f"{app_url}/whole_model?model=llama-3-8b&method=qlora&targets=all-linear&r=16", width=360) as page:
        boxes = chart(page, 1).evaluate("""chart => {
            const box = e => { const r = e.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; };
            return { names: [...chart.querySelectorAll('.xtick text')].map(box), legend: [...chart.querySelectorAll('.legend .traces')].map(box) };
        }""")

    def overlap(a, b):
        return a[0] < b[2] - 1 and b[0] < a[2] - 1 and a[1] < b[3] - 1 and b[1] < a[3] - 1

    assert len(boxes["names"]) == 3 and len(boxes["legend"]) == 5  # weights, gradients, states, activations, temporaries
    assert not any(overlap(n, item) for n in boxes["names"] for item in boxes["legend"])
    assert not any(overlap(a, b) for i, a in enumerate(boxes["names"]) for b in boxes["names"][i + 1:])


def test_in_a_dark_theme_play_and_pause_are_dark_too(app_url, browser):
    """They stayed light grey with dark text in a dark theme."""
    with opened(browser, f"{app_url}/merge?trained=1", scheme="dark") as page:
        fills = chart(page, 0).evaluate(
            "chart => [...chart.querySelectorAll('.updatemenu-button rect')].map(r => getComputedStyle(r).fill || r.getAttribute('fill'))")
    assert len(fills) == 2
    for fill in fills:
        red, green, blue = (int(v) for v in re.findall(r"\d+", fill)[:3])
        assert 0.299 * red + 0.587 * green + 0.114 * blue < 128, fill
