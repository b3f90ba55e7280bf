// The rank slider's preview while it is dragged (loaded once per browser tab by lora_viz/ui/static_loader.js;
// lora_viz/preview.py makes what it shows, lora_viz/ui/rank_preview.py sends it).
//
// Streamlit's slider sends its value only when the thumb is released, but it shows the rank under the thumb as it
// moves: this script watches that and, for the rank shown, writes the headline numbers the server made for that rank,
// draws the server's sketch of each previewed chart over the chart (a canvas; render.sketch), and dims the charts
// that follow only on release. It computes nothing about LoRA: every text, shape and colour level is looked up. On
// release the slider commits the rank as ever; the run it starts redraws the page, and each chart, once it has drawn
// the committed rank's figure, takes its sketch away (static/chart.js).
(() => {
  const SLIDER = ".st-key-r";
  const THUMB = '.st-key-r input[type="range"]';
  const DIM = "0.35";
  const LINE_HEIGHT = 1.3; // plotly.js's line spacing in a multi-line note
  const NOTE_PAD = 3; // px between a note's anchor and its text: plotly.js's border and padding around a note
  const NOTE_DROP = 1; // px: plotly.js sets a note's lines a little below the middle of their line height
  const [ARROW_LENGTH, ARROW_HALF_WIDTH] = [0.65, 0.3]; // an arrowhead marker's length and half width, per unit of its size

  const state = { preview: null, tables: [], slider: null, observer: null, shown: null, committed: -1, nodes: [], startRank: null,
                  listening: false, sent: null, dimmed: null, geometry: new WeakMap(), images: new Map(), palettes: new Map() };

  function rankOf(thumb) {
    const text = (thumb.getAttribute("aria-valuetext") || "").replace(/[^\d]/g, "");
    return text ? Number(text) : null;
  }

  // The text node showing each slot's text at the committed rank, in its place: the index-th headline metric (its
  // value, or its formula in the delta line), or the index-th row of the page's first table (the number in the
  // second cell, the formula in the first). Texts are matched only there: the same number can stand elsewhere.
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
    if (state.dimmed === on) return;
    state.dimmed = on;
    for (const name of names) {
      const element = document.querySelector(`.st-key-chart-${name}`);
      if (element) element.style.opacity = on ? DIM : "";
    }
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Drawing a sketch (lora_viz/render/sketch.py): [height, margin, subplots, grids, rects, lines, notes], placed as
  // plotly.js places an equal-scale figure: each subplot's y domain of the plot area, shrunk on one axis to keep
  // one scale on both and centred there (constrain: "domain").

  function placement(sketch, width) {
    const [height, [left, right, top, bottom], subplots] = sketch;
    const plotWidth = width - left - right;
    const plotHeight = height - top - bottom;
    const maps = subplots.map(([x0, x1, yTop, yBottom, domainBottom, domainTop]) => {
      const boxHeight = (domainTop - domainBottom) * plotHeight;
      const scale = Math.min(plotWidth / (x1 - x0), boxHeight / (yBottom - yTop));
      const x = left + (plotWidth - scale * (x1 - x0)) / 2;
      const y = top + (1 - domainTop) * plotHeight + (boxHeight - scale * (yBottom - yTop)) / 2;
      return { x: (v) => x + (v - x0) * scale, y: (v) => y + (v - yTop) * scale };
    });
    const paper = { x: (v) => left + v * plotWidth, y: (v) => top + (1 - v) * plotHeight };
    return (subplot) => (subplot < 0 ? paper : maps[subplot]);
  }

  // 256 colours along a colour scale ([[at, "rgb(r, g, b)"], …]), in the chart's theme (its dark middle).
  function palette(scaleIndex, dark) {
    const key = `${scaleIndex}:${dark}`;
    if (!state.palettes.has(key)) {
      const axis = { coloraxis: { colorscale: state.tables[scaleIndex] } };
      if (dark) window.loraVizChart.darkMiddle(axis);
      const stops = axis.coloraxis.colorscale.map(([at, color]) => [at, color.match(/\d+/g).slice(0, 3).map(Number)]);
      const colours = new Uint8ClampedArray(256 * 4);
      for (let level = 0; level < 256; level++) {
        const t = level / 255;
        const upper = Math.max(1, stops.findIndex(([at]) => at >= t));
        const [[a, low], [b, high]] = [stops[upper - 1], stops[upper]];
        const f = b > a ? (t - a) / (b - a) : 0;
        for (let c = 0; c < 3; c++) colours[level * 4 + c] = Math.round(low[c] + (high[c] - low[c]) * f);
        colours[level * 4 + 3] = 255;
      }
      state.palettes.set(key, colours);
    }
    return state.palettes.get(key);
  }

  // A grid's cells as an image, one pixel a cell (kept: W's grid is the same at every rank).
  function gridImage(levelsIndex, columns, rows, scaleIndex, dark) {
    const key = `${levelsIndex}:${columns}:${scaleIndex}:${dark}`;
    if (!state.images.has(key)) {
      const levels = Uint8Array.from(atob(state.tables[levelsIndex]), (c) => c.charCodeAt(0));
      const colours = palette(scaleIndex, dark);
      const pixels = new ImageData(columns, rows);
      levels.forEach((level, i) => pixels.data.set(colours.subarray(level * 4, level * 4 + 4), i * 4));
      const image = document.createElement("canvas");
      image.width = columns;
      image.height = rows;
      image.getContext("2d").putImageData(pixels, 0, 0);
      state.images.set(key, image);
    }
    return state.images.get(key);
  }

  // Every block of a grid is the same size but the last (render.sketch checks): the image is drawn in at most four
  // pieces, each a run of equal cells, so the cells land on their edges exactly.
  function drawGrid(context, place, [subplot, xIndex, yIndex, levelsIndex, opacity, scaleIndex], dark) {
    const xs = state.tables[xIndex];
    const ys = state.tables[yIndex];
    const map = place(subplot);
    const columns = xs.length - 1;
    const rows = ys.length - 1;
    const image = gridImage(levelsIndex, columns, rows, scaleIndex, dark);
    const cuts = (n) => (n > 1 ? [0, n - 1, n] : [0, n]);
    const [xCuts, yCuts] = [cuts(columns), cuts(rows)];
    context.globalAlpha = opacity;
    for (let a = 0; a + 1 < xCuts.length; a++) {
      for (let b = 0; b + 1 < yCuts.length; b++) {
        const [c0, c1, r0, r1] = [xCuts[a], xCuts[a + 1], yCuts[b], yCuts[b + 1]];
        const [left, top] = [map.x(xs[c0]), map.y(ys[r0])];
        context.drawImage(image, c0, r0, c1 - c0, r1 - r0, left, top, map.x(xs[c1]) - left, map.y(ys[r1]) - top);
      }
    }
    context.globalAlpha = 1;
  }

  function drawLines(context, place, [subplot, colour, width, xs, ys, heads]) {
    const map = place(subplot);
    context.strokeStyle = colour;
    context.fillStyle = colour;
    context.lineWidth = width;
    context.beginPath();
    xs.forEach((x, i) => {
      if (x === null || ys[i] === null) return;
      const joined = i > 0 && xs[i - 1] !== null && ys[i - 1] !== null;
      if (joined) context.lineTo(map.x(x), map.y(ys[i]));
      else context.moveTo(map.x(x), map.y(ys[i]));
    });
    context.stroke();
    xs.forEach((x, i) => {
      if (!heads[i] || i === 0 || xs[i - 1] === null || x === null) return;
      const [tipX, tipY] = [map.x(x), map.y(ys[i])];
      const angle = Math.atan2(tipY - map.y(ys[i - 1]), tipX - map.x(xs[i - 1]));
      const size = heads[i];
      context.save();
      context.translate(tipX, tipY);
      context.rotate(angle);
      context.beginPath();
      context.moveTo(0, 0);
      context.lineTo(-ARROW_LENGTH * size, -ARROW_HALF_WIDTH * size);
      context.lineTo(-ARROW_LENGTH * size, ARROW_HALF_WIDTH * size);
      context.closePath();
      context.fill();
      context.restore();
    });
  }

  function drawNote(context, place, [subplot, x, y, text, xAnchor, yAnchor, align, size, backing], look) {
    const map = place(subplot);
    const lines = text.split("<br>");
    const fontSize = size * look.textScale;
    const fonts = lines.map((line) => `${/<b>/.test(line) ? "bold " : ""}${fontSize}px ${look.theme.font}`);
    const plain = lines.map((line) => line.replace(/<[^>]+>/g, ""));
    const widths = plain.map((line, i) => {
      context.font = fonts[i];
      return context.measureText(line).width;
    });
    const boxWidth = Math.max(...widths) + 2 * NOTE_PAD;
    const boxHeight = lines.length * fontSize * LINE_HEIGHT + 2 * NOTE_PAD;
    const left = map.x(x) - { left: 0, center: boxWidth / 2, right: boxWidth }[xAnchor];
    const top = map.y(y) - { top: 0, middle: boxHeight / 2, bottom: boxHeight }[yAnchor];
    if (backing) {
      context.fillStyle = backing;
      context.fillRect(left, top, boxWidth, boxHeight);
    }
    context.fillStyle = look.theme.textColor;
    context.textBaseline = "middle";
    plain.forEach((line, i) => {
      context.font = fonts[i];
      const room = boxWidth - 2 * NOTE_PAD - widths[i];
      const indent = { left: 0, center: room / 2, right: room }[align];
      context.fillText(line, left + NOTE_PAD + indent, top + NOTE_PAD + NOTE_DROP + (i + 0.5) * fontSize * LINE_HEIGHT);
    });
  }

  // The sketch on the canvas, as wide as the chart and as tall as the figure would be (or the chart, if taller).
  // Where a chart stands, read once per drag: the thumb moves the sidebar alone, and reading the page's layout at each
  // new rank made the browser lay the page out twice a frame.
  function geometry(chart) {
    let at = state.geometry.get(chart);
    if (!at) {
      const box = chart.getBoundingClientRect();
      at = { width: chart.clientWidth, height: chart.clientHeight, top: box.top + window.scrollY, left: chart.offsetLeft, offsetTop: chart.offsetTop };
      state.geometry.set(chart, at);
    }
    return at;
  }

  function drawSketch(canvas, sketch, chart) {
    const look = chart.loraViz;
    const at = geometry(chart);
    const fitted = { height: sketch[0], margin: { t: sketch[1][2], b: sketch[1][3] } };
    if (look.fitScreen) window.loraVizChart.fitToScreen(fitted, chart, at.top);
    const width = at.width;
    const height = Math.max(fitted.height, at.height);
    const ratio = window.devicePixelRatio || 1;
    // A canvas given a size, even its own, is made anew: only when the size changes.
    if (canvas.width !== Math.round(width * ratio) || canvas.height !== Math.round(height * ratio)) {
      canvas.width = Math.round(width * ratio);
      canvas.height = Math.round(height * ratio);
      canvas.style.width = `${width}px`;
      canvas.style.height = `${height}px`;
    }
    const least = `${fitted.height}px`; // the page flows around the figure the rank will have
    if (chart.style.minHeight !== least) chart.style.minHeight = least;
    const context = canvas.getContext("2d");
    context.setTransform(ratio, 0, 0, ratio, 0, 0);
    context.imageSmoothingEnabled = false;
    context.fillStyle = look.theme.background;
    context.fillRect(0, 0, width, height);
    const place = placement([fitted.height, ...sketch.slice(1)], width);
    const dark = look.theme.base === "dark";
    const [, , , grids, rects, lines, notes] = sketch;
    for (const grid of grids) drawGrid(context, place, grid, dark);
    for (const [subplot, x0, x1, y0, y1, colour, lineWidth] of rects) {
      const map = place(subplot);
      context.strokeStyle = colour;
      context.lineWidth = lineWidth;
      context.strokeRect(map.x(x0), map.y(y0), map.x(x1) - map.x(x0), map.y(y1) - map.y(y0));
    }
    for (const line of lines) drawLines(context, place, line);
    for (const note of notes) drawNote(context, place, note, look);
  }

  // Each previewed chart's canvas, over its chart: made at the first move, gone at the committed rank (or once the
  // chart draws the committed figure, static/chart.js).
  function sketchCharts(position) {
    for (const [name, sketches] of Object.entries(state.preview.sketches || {})) {
      const element = document.querySelector(`.st-key-chart-${name}`);
      const chart = element && element.querySelector(".lora-viz-chart");
      if (!chart || !chart.loraViz) continue; // not drawn yet: nothing to draw over
      let canvas = chart.parentElement.querySelector(".lora-viz-preview");
      if (position === state.committed) {
        if (canvas) canvas.remove();
        chart.style.minHeight = "";
        continue;
      }
      if (!canvas) {
        canvas = document.createElement("canvas");
        canvas.className = "lora-viz-preview";
        canvas.setAttribute("aria-hidden", "true"); // a moment's picture: the chart keeps its text alternative
        chart.parentElement.style.position = "relative";
        const at = geometry(chart);
        canvas.style.cssText = `position: absolute; left: ${at.left}px; top: ${at.offsetTop}px; z-index: 2; pointer-events: none;`;
        chart.parentElement.appendChild(canvas);
      }
      drawSketch(canvas, sketches[position], chart);
      canvas.dataset.rank = String(state.preview.ranks[position]); // tests read which rank the canvas shows
    }
  }

  function show(position) {
    const preview = state.preview;
    if (position === state.shown) return;
    state.shown = position;
    state.nodes.forEach((node, i) => {
      const text = preview.slots[i].texts[position];
      if (node && node.isConnected && node.nodeValue !== text) node.nodeValue = text;
    });
    dim(preview.dimmed, position !== state.committed);
    sketchCharts(position);
    // Tests and benchmarks read which rank the page shows while the thumb moves.
    document.documentElement.dataset.loraVizPreview = String(preview.ranks[position]);
  }

  // Streamlit's slider (react-aria) keeps an <input type="range"> under its thumb whose aria-valuetext is the rank
  // shown; the thumb's place and its label change with it.
  function watch() {
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
      show(position);
    });
    state.observer.observe(slider, { attributes: true, subtree: true, childList: true, characterData: true });
  }

  // A hand on the slider (a press, a key) starts a drag: what the page shows is the server's, at the committed rank.
  function listen() {
    if (state.listening) return;
    state.listening = true;
    const start = (event) => {
      if (event.target && event.target.closest && event.target.closest(SLIDER)) {
        const thumb = document.querySelector(THUMB);
        state.shown = null;
        state.dimmed = null;
        state.geometry = new WeakMap(); // the page may have moved since the last drag
        state.startRank = thumb ? rankOf(thumb) : null; // before the slider moves: the rank the page shows
        watch();
      }
    };
    document.addEventListener("pointerdown", start, true);
    document.addEventListener("keydown", start, true);
  }

  // The server sends the preview deflated (zlib): a quarter of its size or less, so each run hashes and holds less.
  async function inflate(bytes) {
    const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("deflate"));
    return JSON.parse(await new Response(stream).text());
  }

  async function render(component, args, bytes) {
    const sent = (state.sent = bytes);
    state.preview = null; // until it is read, the slider moves alone
    const preview = await inflate(bytes);
    if (state.sent !== sent) return; // a newer preview came while this one was read
    state.preview = preview;
    state.tables = state.preview.tables || [];
    state.images.clear();
    state.palettes.clear();
    state.shown = null;
    dim(state.preview.dimmed, false);
    listen();
    watch();
    // The sidebar may draw the slider after this element: look again once it has.
    requestAnimationFrame(watch);
  }

  window.loraVizRankPreview = { render, remove: () => {} };
})();
