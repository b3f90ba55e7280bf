"""Real browser, teaching layer: every page at desktop and phone widths in both themes, the lesson by keyboard
alone, and downloads that produce real files."""

import re
import zlib
from pathlib import Path

import pytest

from lora_viz.navigation import PAGES
from lora_viz.qr import qr_data_uri
from harness.browser import (
    CHART,
    SCREENSHOTS,
    wait_for_idle,
)

try:
    from playwright.sync_api import expect
except ImportError:  # the app_url fixture skips or fails with a clear reason
    expect = None

pytestmark = pytest.mark.browser
WIDTHS = {"desktop": 1280, "phone": 360}


def _background_is_dark(page) -> bool:
    rgb = page.evaluate("() => getComputedStyle(document.querySelector('[data-testid=stApp]')).backgroundColor")
    return sum(int(v) for v in re.findall(r"\d+", rgb)[:3]) < 3 * 100


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("width", list(WIDTHS))
def test_every_page_reads_in_both_themes_at_desktop_and_phone_width(app_url, browser, scheme, width):
    page = browser.new_page(viewport={"width": WIDTHS[width], "height": 900}, color_scheme=scheme)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for info in PAGES:
        page.goto(f"{app_url}/{info.url_path}?d=4096&k=4096&r=8&trained=1&steps=60")
        wait_for_idle(page)
        assert page.locator('[data-testid="stException"]').count() == 0, info.label
        assert _background_is_dark(page) == (scheme == "dark")
        overflow = page.evaluate("() => { const m = document.querySelector('[data-testid=stMain]'); return m.scrollWidth - m.clientWidth; }")
        assert overflow <= 0, f"{info.label} scrolls sideways by {overflow}px at {WIDTHS[width]}px"
        page.screenshot(path=str(SCREENSHOTS / f"{info.url_path or 'home'}-{width}-{scheme}.png"))
    page.close()


def _tab_to(page, predicate_js: str, limit: int = 80) -> None:
    """Press Tab until the focused element satisfies the predicate (keyboard only, as a student would)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(f"() => {{ const e = document.activeElement; return !!e && ({predicate_js}); }}"):
            return
    raise AssertionError(f"Tab never reached: {predicate_js}")


def test_lesson_by_keyboard_alone(app_url, browser):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(f"{app_url}/lesson?lesson=1&d=4096&k=4096&r=8")
    wait_for_idle(page)
    expect(page.locator("h3").first).to_have_text("Step 2 of 13: Full fine-tuning")
    _tab_to(page, "e.tagName === 'INPUT' && (e.placeholder || '').startsWith('a number')")
    page.keyboard.type("16777216")
    page.keyboard.press("Enter")  # submits the guess form
    expect(page.get_by_text("Exactly right.")).to_be_visible()
    expect(page.get_by_text("Answer: 16,777,216 parameters")).to_be_visible()
    _tab_to(page, "e.tagName === 'BUTTON' && e.innerText.includes('Next')")
    page.keyboard.press("Enter")
    expect(page.locator("h3").first).to_have_text("Step 3 of 13: LoRA: what is trained")
    page.wait_for_function("() => new URLSearchParams(location.search).get('lesson') === '2'")
    page.screenshot(path=str(SCREENSHOTS / "lesson-keyboard.png"))
    page.close()


def _download(page, click) -> bytes:
    with page.expect_download() as info:
        click()
    return Path(info.value.path()).read_bytes()


@pytest.mark.parametrize("image, magic", [("png", b"\x89PNG"), ("svg", b"<svg")])
def test_downloads_produce_files_of_the_right_type(app_url, browser, image, magic):
    page = browser.new_page(viewport={"width": 1280, "height": 1000}, accept_downloads=True)
    page.goto(f"{app_url}/matrices?d=64&k=64&r=8&image={image}")
    wait_for_idle(page)
    page.get_by_text("Export", exact=True).click()
    csv_bytes = _download(page, lambda: page.get_by_role("button", name="Numbers as CSV").click())
    assert csv_bytes.startswith(b"section,quantity,value,unit,formula") and b"LoRA trains" in csv_bytes
    md_bytes = _download(page, lambda: page.get_by_role("button", name="Numbers as Markdown").click())
    assert md_bytes.startswith(b"### ") and b"| LoRA trains |" in md_bytes
    chart = page.locator(CHART).first
    chart.hover()
    figure_bytes = _download(page, lambda: chart.locator(".modebar-btn").first.click())
    assert figure_bytes.lstrip()[:4] == magic[:4] and len(figure_bytes) > 1000
    page.close()


def _first_pixel(png: bytes) -> tuple[int, ...]:
    """The top-left pixel of an 8-bit RGB or RGBA PNG. Its first scanline's filter adds nothing to the first pixel
    (every predictor is 0 there), so the decompressed bytes after the filter byte are the pixel itself."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    chunks, at = {}, 8
    while at < len(png):
        length = int.from_bytes(png[at:at + 4], "big")
        kind = png[at + 4:at + 8]
        chunks.setdefault(kind, []).append(png[at + 8:at + 8 + length])
        at += 12 + length
    header = chunks[b"IHDR"][0]
    depth, colour = header[8], header[9]
    assert depth == 8 and colour in (2, 6), (depth, colour)
    pixels = zlib.decompress(b"".join(chunks[b"IDAT"]))
    return tuple(pixels[1:1 + (4 if colour == 6 else 3)])


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_a_png_is_opaque_on_the_themes_background(app_url, browser, scheme):
    """PNGs were transparent: a dark theme's white labels vanished on a white slide."""
    page = browser.new_page(viewport={"width": 1280, "height": 1000}, color_scheme=scheme, accept_downloads=True)
    page.goto(f"{app_url}/matrices?d=64&k=64&r=8")
    wait_for_idle(page)
    background = page.evaluate("() => getComputedStyle(document.querySelector('[data-testid=stApp]')).backgroundColor")
    background = tuple(int(v) for v in re.findall(r"\d+", background)[:3])
    assert (sum(background) < 300) == (scheme == "dark")
    chart = page.locator(CHART).first
    chart.hover()
    pixel = _first_pixel(_download(page, lambda: chart.locator(".modebar-btn").first.click()))
    assert pixel[:3] == background and (len(pixel) == 3 or pixel[3] == 255), (pixel, background)
    page.close()


def test_the_image_format_switches_both_ways_and_the_merge_saves_without_its_buttons(app_url, browser):
    """The PNG/SVG choice worked from PNG to SVG only, until a reload; the merge's PNG showed Play and its slider."""
    page = browser.new_page(viewport={"width": 1280, "height": 1000}, accept_downloads=True)
    page.goto(f"{app_url}/merge?trained=1&d=8&k=8&r=2")
    wait_for_idle(page)
    page.get_by_text("Export", exact=True).click()
    chart = page.locator(CHART).first
    for image, magic in (("svg", b"<svg"), ("png", b"\x89PNG"), ("svg", b"<svg")):
        page.locator('[data-testid="stSidebar"]').get_by_text(image, exact=True).click()
        page.wait_for_function(f"() => (new URLSearchParams(location.search).get('image') || 'png') === '{image}'")
        wait_for_idle(page)
        chart.hover()
        saved = _download(page, lambda: chart.locator(".modebar-btn").first.click())
        assert saved.lstrip()[:4] == magic[:4], (image, saved[:20])
    text = saved.decode(errors="replace")
    assert "Play" not in text and "updatemenu" not in text and "slider" not in text
    page.close()


PROJECTOR = {"width": 1280, "height": 720}


def _within_the_screen(page, locator) -> bool:
    box = locator.bounding_box()
    return box is not None and box["y"] >= 0 and box["y"] + box["height"] <= PROJECTOR["height"] + 0.5


@pytest.mark.parametrize("step", range(10))
def test_presentation_mode_fits_a_lesson_step_on_a_projector_without_scrolling(app_url, browser, step):
    """At 1280×720 a step showed its title and one sentence above the fold. Now the sidebar is closed and the
    step's question, picture and guess are all on the screen, with the students' QR code."""
    page = browser.new_page(viewport=PROJECTOR)
    page.goto(f"{app_url}/lesson?lesson={step}&present=1")
    wait_for_idle(page)
    assert page.locator('[data-testid="stSidebar"]').get_attribute("data-collapsed") == "true"
    assert page.evaluate("() => document.querySelector('[data-testid=stMain]').scrollTop") == 0
    assert _within_the_screen(page, page.locator("h1").first)  # the step's title
    assert _within_the_screen(page, page.locator(CHART).first)  # its picture, whole
    if page.get_by_role("button", name="Check my guess").count():
        assert _within_the_screen(page, page.get_by_role("textbox").first)
        assert _within_the_screen(page, page.get_by_role("button", name="Check my guess"))
    assert _within_the_screen(page, page.get_by_role("button", name="Next →"))
    qr = page.locator(".lora-viz-qr img")
    assert _within_the_screen(page, qr) and qr.get_attribute("src").startswith("data:image/svg+xml;base64,")
    # The code is the student link to this step: phones open it in the student view, without presentation mode.
    assert qr.get_attribute("src") == qr_data_uri(f"{app_url}/lesson?v=3{f'&lesson={step}' if step else ''}&student=1")
    if step == 0:
        page.screenshot(path=str(SCREENSHOTS / "lesson-projector.png"))
    page.close()


@pytest.mark.parametrize("path", ["matrices?d=4096&k=4096&r=8", "merge?trained=1"])
def test_presentation_mode_shows_a_pages_main_figure_whole_on_a_projector(app_url, browser, path):
    page = browser.new_page(viewport=PROJECTOR)
    page.goto(f"{app_url}/{path}&present=1")
    wait_for_idle(page)
    assert page.locator('[data-testid="stSidebar"]').get_attribute("data-collapsed") == "true"
    assert _within_the_screen(page, page.locator(CHART).first)
    # Its labels stay apart ('Magnified corner' ran into W's label, squeezed into the height left).
    boxes = page.locator(CHART).first.evaluate("""chart => [...chart.querySelectorAll('.annotation-text, .gtitle')].map(e => {
        const r = e.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; })""")
    overlap = lambda a, b: a[0] < b[2] - 1 and b[0] < a[2] - 1 and a[1] < b[3] - 1 and b[1] < a[3] - 1
    assert not any(overlap(a, b) for i, a in enumerate(boxes) for b in boxes[i + 1:]), boxes
    page.close()


def test_a_pasted_config_json_opens_its_model_as_a_custom_model(app_url, browser):
    """Paste Qwen3-4B's config.json, read it, open it: the custom model's counts are the preset's, and the address
    carries its sizes."""
    config = ('{"model_type": "qwen3", "hidden_size": 2560, "intermediate_size": 9728, "num_hidden_layers": 36, '
              '"num_attention_heads": 32, "num_key_value_heads": 8, "head_dim": 128, "tie_word_embeddings": true, '
              '"vocab_size": 151936, "rope_theta": 1000000}')
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(f"{app_url}/whole_model?targets=all-linear&r=8")
    wait_for_idle(page)
    page.get_by_text("Paste a model's config.json").click()
    page.get_by_role("textbox", name="config.json", exact=True).fill(config)
    page.get_by_role("button", name="Read it").click()
    wait_for_idle(page)
    expect(page.get_by_text("Read as “qwen3”", exact=False)).to_be_visible()
    page.get_by_role("button", name=re.compile("Open these sizes as a custom model")).click()
    wait_for_idle(page)
    expect(page.get_by_text("all params: 4,038,983,168", exact=False)).to_be_visible()
    assert "model=custom" in page.url and "head_dim=128" in page.url and "qk_norm=1" in page.url
    assert page.locator('[data-testid="stException"]').count() == 0
    page.close()


def test_the_qlora_papers_one_click_example_puts_its_view_in_the_address(app_url, browser):
    """A link to the page it is on once reran the page with the example but left the address as it was."""
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(f"{app_url}/whole_model")
    wait_for_idle(page)
    page.get_by_role("button", name=re.compile("QLoRA paper's headline")).click()
    wait_for_idle(page)
    assert "model=llama-65b" in page.url and "qlora_recipe=paper" in page.url
    expect(page.get_by_text("Fits an L40S 48 GB", exact=False)).to_be_visible()
    page.close()
