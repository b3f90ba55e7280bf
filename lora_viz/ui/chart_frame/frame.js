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

async function draw(args, theme) {
  fontsBorrowed ??= borrowFonts(theme.font);
  await fontsBorrowed;
  const spec = utf8.decode(args.spec); // the figure's JSON, sent as bytes
  const themeKey = JSON.stringify(theme);
  if (spec !== drawnSpec || themeKey !== drawnTheme) {
    const figure = JSON.parse(spec);
    figure.layout.template = template(theme);
    // An explicit width: left to autosize, Plotly draws every update twice (once more to size it).
    figure.layout.width = chart.clientWidth;
    const config = JSON.parse(args.config);
    await Plotly.react(chart, { data: figure.data, layout: figure.layout, frames: figure.frames || [], config });
    drawnSpec = spec;
    drawnTheme = themeKey;
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
let drawing = false;
async function drawNewest() {
  drawing = true;
  while (waiting && mayDraw()) {
    const { args, theme } = waiting;
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
  if (chart.data && chart.layout.width !== chart.clientWidth) Plotly.relayout(chart, { width: chart.clientWidth });
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

send("streamlit:componentReady", { apiVersion: 1 });
