// One lora-viz chart inside a Streamlit component frame (components v1 protocol, no build step).
//
// Streamlit's own chart element replaces its Plotly chart whenever the figure changes, so every rank move
// rebuilt every figure on the page from scratch. This frame stays, and Plotly.react redraws only what changed.
// It also sits in its own small document, so measuring text does not lay out the whole app again.

const chart = document.getElementById("chart");
let drawnSpec = null; // the figure and theme last drawn, to skip a redraw when neither changed
let drawnTheme = null;
const utf8 = new TextDecoder();
let sentHeight = 0;
let requested = null; // the last request this frame sent back, and the wait before it (see the message handler)
let requestTimer = null;
const REQUEST_AFTER_MS = 250;

function send(type, data) {
  window.parent.postMessage({ isStreamlitMessage: true, type, ...data }, "*");
}

// Streamlit's categorical colours, light and dark, so traces without a colour of their own match the app.
const COLORWAY = {
  light: ["#0068c9", "#83c9ff", "#ff2b2b", "#ffabab", "#29b09d", "#7defa1", "#ff8700", "#ffd16a", "#6d3fc0", "#d5dae5"],
  dark: ["#83c9ff", "#0068c9", "#ffabab", "#ff2b2b", "#7defa1", "#29b09d", "#ffd16a", "#ff8700", "#6d3fc0", "#d5dae5"],
};

// The app's theme as a Plotly template: its font and text colour, transparent paper, faint grid lines.
function template(theme) {
  const dark = theme.base === "dark";
  const text = theme.textColor;
  const faint = dark ? "rgba(250, 250, 250, 0.16)" : "rgba(49, 51, 63, 0.14)";
  const axis = { gridcolor: faint, linecolor: faint, zerolinecolor: faint, tickcolor: faint, automargin: true, title: { standoff: 8 } };
  const control = { bgcolor: theme.secondaryBackgroundColor, bordercolor: faint, font: { color: text } };
  return {
    layout: {
      font: { family: theme.font, color: text, size: 13 },
      paper_bgcolor: "rgba(0, 0, 0, 0)",
      plot_bgcolor: "rgba(0, 0, 0, 0)",
      colorway: COLORWAY[dark ? "dark" : "light"],
      xaxis: axis,
      yaxis: axis,
      legend: { bgcolor: "rgba(0, 0, 0, 0)" },
      hoverlabel: { font: { family: theme.font } },
      updatemenudefaults: control,
      sliderdefaults: { ...control, activebgcolor: theme.primaryColor, tickcolor: faint },
    },
  };
}

// The app's fonts live in the app's page, not in this frame: copy their @font-face rules (with absolute URLs,
// so the browser's cache serves them) and wait for them, so text is measured in the font it is drawn in.
let fontsBorrowed = null;
function borrowFonts(family) {
  const rules = [];
  try {
    for (const sheet of window.parent.document.styleSheets) {
      for (const rule of sheet.cssRules) {
        if (rule.type !== CSSRule.FONT_FACE_RULE) continue;
        const name = rule.style.getPropertyValue("font-family").replace(/["']/g, "").trim();
        if (!family.includes(name)) continue;
        const base = sheet.href || window.parent.location.href;
        rules.push(rule.cssText.replace(/url\(["']?([^"')]+)["']?\)/g, (_, url) => `url("${new URL(url, base)}")`));
      }
    }
  } catch (error) {
    return Promise.resolve(); // the app's page cannot be read: Plotly falls back to a system font
  }
  const style = document.createElement("style");
  style.textContent = rules.join("\n");
  document.head.appendChild(style);
  return document.fonts.load(`13px ${family}`).catch(() => {});
}

const LIGHT = { base: "light", textColor: "#31333F", secondaryBackgroundColor: "#F0F2F6", primaryColor: "#FF4B4B", font: "sans-serif" };

const NARROW_PX = 600; // lora_viz.render.plotly.PHONE_PX: narrower than this is a phone

// The app's page width (a chart in a column is narrower than the page it is on).
function pageWidth() {
  try {
    return window.parent.innerWidth;
  } catch (error) {
    return chart.clientWidth;
  }
}

// Presentation mode: every size of text in the figure times `scale` (a projector's back row reads 13 px badly).
function scaleText(layout, scale) {
  const walk = (node) => {
    if (Array.isArray(node)) return node.forEach(walk);
    if (!node || typeof node !== "object") return;
    for (const [key, value] of Object.entries(node)) {
      if ((key === "font" || key === "tickfont") && value && typeof value.size === "number") value.size *= scale;
      walk(value);
    }
  };
  walk(layout);
  layout.template.layout.font.size *= scale;
}

// A figure drawn at one scale on both axes says in layout.meta.fit how tall its plot is per pixel of width: the
// frame sets its height from the width it has, so a wide figure leaves no empty band above and below (a phone
// gets a short figure, a projector a tall one). Narrower than fit.narrowWidth, fit.narrow's settings apply (the
// merge animation drops its colour bar on a phone: the cells need the width); in presentation mode, fit.present's
// (larger text needs more room around the plot). Each setting is a dotted path: "updatemenus.0.pad.t".
function override(layout, settings) {
  for (const [path, value] of Object.entries(settings || {})) {
    const keys = path.split(".");
    const parent = keys.slice(0, -1).reduce((node, key) => (node[key] ??= {}), layout);
    parent[keys[keys.length - 1]] = value;
  }
}

function fitToWidth(layout, width, textScale) {
  const fit = layout.meta && layout.meta.fit;
  if (!fit) return;
  if (width < fit.narrowWidth) override(layout, fit.narrow);
  if (textScale > 1) override(layout, fit.present);
  const margin = layout.margin || {};
  const plotWidth = width - (margin.l || 0) - (margin.r || 0);
  const plot = Math.min(fit.maxPlotHeight || Infinity, plotWidth * fit.aspect);
  layout.height = Math.round(plot + (margin.t || 0) + (margin.b || 0));
}

// In a dark theme a diverging scale's white middle makes zeros glare: the middle becomes the dark page's grey
// and its two neighbours move halfway towards it, so zero reads as "nothing here" in either theme.
const DARK_MIDDLE = [38, 39, 48];
function darkMiddle(layout) {
  for (const [key, axis] of Object.entries(layout)) {
    const scale = /^coloraxis\d*$/.test(key) && axis && axis.colorscale;
    if (!Array.isArray(scale) || scale.length % 2 === 0) continue;
    const middle = (scale.length - 1) / 2;
    axis.colorscale = scale.map(([at, color], index) => {
      const towards = index === middle ? 1 : Math.abs(index - middle) === 1 ? 0.5 : 0;
      const rgb = (color.match(/\d+/g) || []).map(Number);
      if (!towards || rgb.length < 3) return [at, color];
      const mixed = rgb.slice(0, 3).map((c, i) => Math.round(c + (DARK_MIDDLE[i] - c) * towards));
      return [at, `rgb(${mixed.join(", ")})`];
    });
  }
}

async function draw(args, theme) {
  fontsBorrowed ??= borrowFonts(theme.font);
  await fontsBorrowed;
  const spec = utf8.decode(args.spec); // the figure's JSON, sent as bytes
  const themeKey = JSON.stringify(theme) + args.textScale;
  if (spec !== drawnSpec || themeKey !== drawnTheme) {
    const figure = JSON.parse(spec);
    figure.layout.template = template(theme);
    // Presentation mode is for a projector: on a phone the figure keeps its own sizes, which fit there.
    const textScale = pageWidth() >= NARROW_PX ? args.textScale || 1 : 1;
    if (textScale !== 1) scaleText(figure.layout, textScale);
    if (theme.base === "dark") darkMiddle(figure.layout);
    // An explicit width: left to autosize, Plotly draws every update twice (once more to size it).
    figure.layout.width = chart.clientWidth;
    fitToWidth(figure.layout, figure.layout.width, textScale);
    const config = JSON.parse(args.config);
    await Plotly.react(chart, { data: figure.data, layout: figure.layout, frames: figure.frames || [], config });
    drawnSpec = spec;
    drawnTheme = themeKey;
    listenForHover();
    // A figure, not an image: the merge animation's buttons and slider inside it stay reachable.
    chart.setAttribute("role", "figure");
    chart.setAttribute("aria-label", args.alt);
    document.title = args.alt;
  }
  // Tests and benchmarks wait for this: the settings whose figure is now on screen.
  document.body.dataset.drawn = args.settings;
  setHeight(chart._fullLayout.height);  // Plotly's own number: no layout pass to measure it
}

function setHeight(pixels) {
  const height = Math.ceil(pixels);
  if (height !== sentHeight) {
    sentHeight = height;
    send("streamlit:setFrameHeight", { height });
  }
}

// Draw one figure at a time, always the newest: a slider dragged quickly sends several in a row.
let waiting = null;
let lastDrawn = null; // the figure and theme last drawn, to draw again when the width changes
let drawing = false;
async function drawNewest() {
  drawing = true;
  while (waiting && mayDraw()) {
    const { args, theme } = waiting;
    lastDrawn = waiting;
    waiting = null;
    try {
      await draw(args, theme);
    } catch (error) {
      console.error("lora-viz chart frame:", error); // and go on: the next figure is still drawn
    }
  }
  drawing = false;
}

// The frame is as wide as the page's column: follow it when the window (a phone turned, say) changes width.
window.addEventListener("resize", () => {
  if (!chart.data || !lastDrawn || chart.layout.width === chart.clientWidth) return;
  // Drawn again from its figure: its height (meta.fit) and its phone settings follow the width.
  drawnSpec = null;
  waiting ??= lastDrawn;
  if (!drawing) drawNewest();
});

// A chart out of view is redrawn when it comes near the view, not on every move: a rank move costs the
// browser the charts one can see. (Its first figure is drawn at once, wherever it is, so the page has its height.)
let inView = true;
const mayDraw = () => inView || drawnSpec === null;
new IntersectionObserver((entries) => {
  inView = entries[entries.length - 1].isIntersecting;
  document.body.dataset.inView = String(inView);
  if (inView && waiting && !drawing) drawNewest();
}, { rootMargin: "300px 0px" }).observe(document.documentElement);

window.addEventListener("message", (event) => {
  if (event.source !== window.parent || !event.data || event.data.type !== "streamlit:render") return;
  waiting = { args: event.data.args, theme: { ...LIGHT, ...(event.data.theme || {}) } };
  // Tests and benchmarks read this with data-in-view: the settings of the newest figure this frame was sent.
  document.body.dataset.received = waiting.args.settings;
  // A stand-in asks for the figure it stands for: sending its request back as this frame's value starts the
  // run that computes it. Once the slider has settled: a newer figure cancels the wait, so a drag across ranks
  // asks only for the rank it stops at, and the run that answered the move has long finished. Once per request:
  // a value Streamlit already holds would not start a run again.
  clearTimeout(requestTimer);
  const request = waiting.args.request;
  if (request && request !== requested) {
    requestTimer = setTimeout(() => {
      requested = request;
      send("streamlit:setComponentValue", { value: request, dataType: "json" });
    }, REQUEST_AFTER_MS);
  }
  if (mayDraw()) {
    if (!drawing) drawNewest();
  } else if (waiting.args.settings !== document.body.dataset.drawn) {
    // Held back until in view; the frame takes the new figure's height now, so the page does not jump later.
    setHeight(JSON.parse(utf8.decode(waiting.args.spec)).layout.height || 450);
  }
});

// Linked highlighting (the figure's layout.meta.link, written by lora_viz.render.plotly.linked). Hovering a cell of
// a source heatmap tells every chart on the page which rows and columns of the product it stands for; each chart
// of the same group outlines what those rows and columns come from. Frames of one page are siblings in one
// document: the message goes to each of them (this one too), never to other tabs.
const LINK = "lora-viz:link";
let listening = false;

function listenForHover() {
  if (listening || !chart.on) return;
  listening = true;
  chart.on("plotly_hover", (event) => {
    const link = chart.layout.meta && chart.layout.meta.link;
    const point = event.points && event.points[0];
    const source = link && point && link.sources.find((s) => s.trace === point.curveNumber);
    if (!source || !Array.isArray(point.pointNumber)) return;
    const [row, col] = point.pointNumber; // a heatmap's cell: [row, column]
    broadcast({ group: link.group, rows: [source.rows[row], source.rows[row + 1]], cols: [source.cols[col], source.cols[col + 1]] });
  });
  chart.on("plotly_unhover", () => {
    const link = chart.layout.meta && chart.layout.meta.link;
    if (link && link.sources.length) broadcast({ group: link.group, rows: null, cols: null });
  });
}

function broadcast(message) {
  const frames = window.parent.frames;
  for (let i = 0; i < frames.length; i += 1) frames[i].postMessage({ type: LINK, ...message }, window.location.origin);
}

function linkShapes(link, rows, cols) {
  const lit = { type: "rect", name: "link", line: { color: link.color, width: 3 }, fillcolor: link.fill };
  return link.targets.map((t) => {
    const refs = { xref: t.xref, yref: t.yref };
    if (t.kind === "rows") return { ...lit, ...refs, x0: t.x0, x1: t.x1, y0: t.y0 + rows[0], y1: t.y0 + rows[1] };
    if (t.kind === "cols") return { ...lit, ...refs, x0: t.x0 + cols[0], x1: t.x0 + cols[1], y0: t.y0, y1: t.y1 };
    return { ...lit, ...refs, x0: t.x0 + cols[0], x1: t.x0 + cols[1], y0: t.y0 + rows[0], y1: t.y0 + rows[1] };
  });
}

window.addEventListener("message", (event) => {
  if (event.origin !== window.location.origin || !event.data || event.data.type !== LINK) return;
  const link = chart.layout && chart.layout.meta && chart.layout.meta.link;
  if (!link || link.group !== event.data.group || !link.targets.length) return;
  const kept = (chart.layout.shapes || []).filter((shape) => shape.name !== "link");
  const { rows, cols } = event.data;
  Plotly.relayout(chart, { shapes: rows ? kept.concat(linkShapes(link, rows, cols)) : kept });
  document.body.dataset.linked = rows ? `${rows}|${cols}` : "";  // tests read what is lit
});

send("streamlit:componentReady", { apiVersion: 1 });
