// The rank slider's preview while it is dragged (lora_viz/preview.py makes what it shows; lora_viz/ui/rank_preview.py
// sends it). Streamlit's slider sends its value only when the thumb is released, but the slider shows the rank under
// the thumb as it moves: this script watches that and writes the headline numbers the server made for that rank, and
// dims the charts, which follow on release. It computes nothing: every text is looked up. On release the slider
// commits the rank as ever, and the run it starts redraws the page.
const SLIDER = ".st-key-r";
const THUMB = '.st-key-r input[type="range"]';
const DIM = "0.35";

function rankOf(thumb) {
  const text = (thumb.getAttribute("aria-valuetext") || "").replace(/[^\d]/g, "");
  return text ? Number(text) : null;
}

// The text node showing each slot's text at the committed rank, in its place: the index-th headline metric (its
// value, or its formula in the delta line), or the index-th row of the page's first table (the number in the second
// cell, the formula in the first). Texts are matched only there: the same number can stand elsewhere on the page.
function findSlots(preview, at) {
  const main = document.querySelector('[data-testid="stMain"]');
  if (!main) return [];
  const metrics = main.querySelectorAll('[data-testid="stMetric"]');
  const table = main.querySelector("table");
  return preview.slots.map((slot) => {
    let place = null;
    if (slot.kind === "metric" && metrics[slot.index]) {
      place = metrics[slot.index].querySelector(slot.part === "value" ? '[data-testid="stMetricValue"]' : '[data-testid="stMetricDelta"]');
    } else if (slot.kind === "cell" && table && table.tBodies[0] && table.tBodies[0].rows[slot.index]) {
      place = table.tBodies[0].rows[slot.index].cells[slot.part === "value" ? 1 : 0];
    }
    if (!place) return null;
    const walker = document.createTreeWalker(place, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      if (node.nodeValue.trim() === slot.texts[at]) return node;
    }
    return null;
  });
}

function dim(names, on) {
  for (const name of names) {
    const element = document.querySelector(`.st-key-chart-${name}`);
    if (element) element.style.opacity = on ? DIM : "";
  }
}

function show(state, position) {
  const preview = state.preview;
  if (position === state.shown) return;
  state.shown = position;
  state.nodes.forEach((node, i) => {
    if (node && node.isConnected) node.nodeValue = preview.slots[i].texts[position];
  });
  dim(preview.dimmed, position !== state.committed);
  // Tests and benchmarks read which rank the page shows while the thumb moves.
  document.documentElement.dataset.loraVizPreview = String(preview.ranks[position]);
}

// Streamlit's slider (react-aria) keeps an <input type="range"> under its thumb whose aria-valuetext is the rank shown;
// the thumb's place and its label change with it.
function watch(state) {
  const slider = document.querySelector(SLIDER);
  if (!slider || slider === state.slider) return;
  if (state.observer) state.observer.disconnect();
  state.slider = slider;
  state.observer = new MutationObserver(() => {
    const thumb = slider.querySelector(THUMB);
    const rank = thumb && rankOf(thumb);
    const position = state.preview ? state.preview.ranks.indexOf(rank) : -1;
    if (position < 0) return;
    if (state.shown === null) {
      // The first move from the committed rank (read when the hand came down): find what shows it, once per drag.
      state.committed = state.preview.ranks.indexOf(state.startRank ?? rank);
      state.nodes = findSlots(state.preview, Math.max(0, state.committed));
      state.shown = state.committed;
    }
    show(state, position);
  });
  state.observer.observe(slider, { attributes: true, subtree: true, childList: true, characterData: true });
}

// A hand on the slider (a press, a key) starts a drag: what the page shows is the server's, at the committed rank.
function listen(state) {
  if (state.listening) return;
  state.listening = true;
  const start = (event) => {
    if (event.target && event.target.closest && event.target.closest(SLIDER)) {
      const thumb = document.querySelector(THUMB);
      state.shown = null;
      state.startRank = thumb ? rankOf(thumb) : null; // before the slider moves: the rank the page shows
      watch(state);
    }
  };
  document.addEventListener("pointerdown", start, true);
  document.addEventListener("keydown", start, true);
}

export default function (component) {
  const state = (window.loraVizRankPreview ??= { preview: null, slider: null, observer: null, shown: null, committed: -1, nodes: [],
                                                 startRank: null });
  state.preview = JSON.parse(new TextDecoder().decode(component.data));
  state.shown = null;
  dim(state.preview.dimmed, false);
  listen(state);
  watch(state);
  // The sidebar may draw the slider after this element: look again once it has.
  requestAnimationFrame(() => watch(state));
}
