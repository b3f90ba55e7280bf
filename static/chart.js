// lora-viz charts, drawn in the app's own page (loaded once per browser tab by lora_viz/ui/static_loader.js).
//
// Streamlit's own chart element replaces its Plotly chart whenever the figure changes, so every rank move
// rebuilt every figure from scratch; a chart here stays, and Plotly.react redraws only what changed. Every chart
// of the tab shares one plotly.js, loaded once and kept across page switches (one document).
//
// window.loraVizChart.render(component, args, figureBytes) draws one chart; Streamlit calls the loader again
// with the same element whenever the chart's data or the theme changes.
(() => {
  const utf8 = new TextDecoder();
  const REQUEST_AFTER_MS = 250;
  const NARROW_PX = 600; // lora_viz.render.plotly.PHONE_PX: narrower than this is a phone
  const charts = new Map(); // element → its chart's state

  // The app's theme, from the CSS variables Streamlit sets on every component: font, colours, light or dark.
  function theme(element) {
    const style = getComputedStyle(element);
    const read = (name, fallback) => style.getPropertyValue(name).trim() || fallback;
    const background = read("--st-background-color", "#ffffff");
    const rgb = (background.match(/[\da-f]{2}/gi) || ["ff", "ff", "ff"]).slice(0, 3).map((h) => parseInt(h, 16));
    const dark = 0.299 * rgb[0] + 0.587 * rgb[1] + 0.114 * rgb[2] < 128;
    return {
      base: dark ? "dark" : "light",
      background,
      textColor: read("--st-text-color", "#31333F"),
      secondaryBackgroundColor: read("--st-secondary-background-color", "#F0F2F6"),
      primaryColor: read("--st-primary-color", "#FF4B4B"),
      font: read("--st-font", "sans-serif"),
      colorway: read("--st-chart-categorical-colors", "").split(",").filter(Boolean),
    };
  }

  // The app's theme as a Plotly template: its font and text colour, transparent paper, faint grid lines.
  function template(t) {
    const faint = t.base === "dark" ? "rgba(250, 250, 250, 0.16)" : "rgba(49, 51, 63, 0.14)";
    const axis = { gridcolor: faint, linecolor: faint, zerolinecolor: faint, tickcolor: faint, automargin: true, title: { standoff: 8 } };
    const control = { bgcolor: t.secondaryBackgroundColor, bordercolor: faint, font: { color: t.textColor } };
    return {
      layout: {
        font: { family: t.font, color: t.textColor, size: 13 },
        paper_bgcolor: "rgba(0, 0, 0, 0)",
        plot_bgcolor: "rgba(0, 0, 0, 0)",
        ...(t.colorway.length ? { colorway: t.colorway } : {}),
        xaxis: axis,
        yaxis: axis,
        legend: { bgcolor: "rgba(0, 0, 0, 0)" },
        hoverlabel: { font: { family: t.font } },
        updatemenudefaults: control,
        sliderdefaults: { ...control, activebgcolor: t.primaryColor, tickcolor: faint },
      },
    };
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
  // chart sets its height from the width it has, so a wide figure leaves no empty band above and below. Narrower
  // than fit.narrowWidth, fit.narrow's settings apply (the merge animation drops its colour bar on a phone); in
  // presentation mode, fit.present's. Each setting is a dotted path: "updatemenus.0.pad.t".
  function override(layout, settings) {
    for (const [path, value] of Object.entries(settings || {})) {
      const keys = path.split(".");
      const parent = keys.slice(0, -1).reduce((node, key) => (node[key] ??= {}), layout);
      parent[keys[keys.length - 1]] = value;
    }
  }

  // A page's main figure in presentation mode is no taller than the screen leaves below its top (and its caption):
  // a projector shows it whole. Figures drawn at one scale keep it, and grow narrower instead.
  // `top`: the chart's top on the page, where the caller has read it already (reading it lays the page out).
  function fitToScreen(layout, div, top = div.getBoundingClientRect().top + window.scrollY) {
    const caption = layout.meta && layout.meta.caption ? 90 : 0;
    const margin = layout.margin || {};
    const least = (margin.t || 0) + (margin.b || 0) + 200; // a plot area of 200 px at the least, whatever is above it
    const room = Math.max(least, window.innerHeight - top - caption - 12);
    if ((layout.height || 450) > room) layout.height = Math.round(room);
  }

  function fitToWidth(layout, width, textScale) {
    const narrow = layout.meta && layout.meta.narrow; // any figure's own settings for a phone
    if (narrow && width < NARROW_PX) override(layout, narrow);
    const fit = layout.meta && layout.meta.fit;
    if (!fit) return;
    if (width < fit.narrowWidth) override(layout, fit.narrow);
    if (textScale > 1) override(layout, fit.present);
    const margin = layout.margin || {};
    const plot = Math.min(fit.maxPlotHeight || Infinity, (width - (margin.l || 0) - (margin.r || 0)) * fit.aspect);
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

  // One chart: its Plotly div, the figure it was last sent and drew, and whether it is near the view.
  function create(element) {
    const div = document.createElement("div");
    div.className = "lora-viz-chart";
    div.style.touchAction = "manipulation"; // a tap is a tap: no double-tap zoom of the page
    element.appendChild(div);
    // inView is null until the observer's first report (the next frame): only then does the chart draw at all.
    const state = { div, waiting: null, last: null, drawnKey: null, drawing: false, inView: null, requested: null, timer: null };
    // A chart out of view is drawn when it comes near the view, not on every move nor on a page's first run: a rank
    // move or a page switch costs the browser the charts one can see. Until then it takes its figure's height.
    state.observer = new IntersectionObserver((entries) => {
      state.inView = entries[entries.length - 1].isIntersecting;
      div.dataset.inView = String(state.inView);
      if (state.inView) drawNewest(state);
    }, { rootMargin: "300px 0px" });
    state.observer.observe(div);
    charts.set(element, state);
    return state;
  }

  const mayDraw = (state) => state.inView === true;

  async function draw(state, job) {
    const { args, spec, theme: t } = job;
    const width = state.div.clientWidth;
    const key = spec + JSON.stringify(t) + args.textScale + width;
    if (key !== state.drawnKey) {
      const figure = JSON.parse(spec);
      figure.layout.template = template(t);
      // Presentation mode is for a projector: on a phone the figure keeps its own sizes, which fit there.
      const textScale = window.innerWidth >= NARROW_PX ? args.textScale || 1 : 1;
      if (textScale !== 1) scaleText(figure.layout, textScale);
      if (t.base === "dark") darkMiddle(figure.layout);
      // An explicit width: left to autosize, Plotly draws every update twice (once more to size it).
      figure.layout.width = width;
      fitToWidth(figure.layout, width, textScale);
      if (args.fitScreen) fitToScreen(figure.layout, state.div);
      const config = JSON.parse(args.config);
      config.modeBarButtons = (config.modeBarButtons || []).map((group) => group.map((b) => (b === "toImage" ? saveButton(state) : b)));
      await Plotly.react(state.div, { data: figure.data, layout: figure.layout, frames: figure.frames || [], config });
      state.drawnKey = key;
      // What the rank slider's preview needs to draw over this chart as the chart would (static/rank_preview.js),
      // and the end of any preview drawn over it: this is the figure for the rank.
      state.div.loraViz = { theme: t, textScale, fitScreen: args.fitScreen };
      for (const sketch of state.div.parentElement.querySelectorAll(".lora-viz-preview")) sketch.remove();
      showCaption(state, figure.layout.meta);
      listenForHover(state);
      // A figure, not an image: the merge animation's buttons and slider inside it stay reachable.
      state.div.setAttribute("role", "figure");
      state.div.setAttribute("aria-label", args.alt);
    }
    state.div.style.minHeight = "";
    // Tests and benchmarks wait for this: the settings whose figure is now on screen.
    state.div.dataset.drawn = args.settings;
  }

  // Draw one figure at a time, always the newest: a slider dragged quickly sends several in a row.
  async function drawNewest(state) {
    if (state.drawing) return;
    state.drawing = true;
    while (state.waiting && mayDraw(state)) {
      const job = state.waiting;
      state.waiting = null;
      state.last = job;
      try {
        await draw(state, job);
      } catch (error) {
        console.error("lora-viz chart:", error); // and go on: the next figure is still drawn
      }
    }
    state.drawing = false;
  }

  // The chart is as wide as the page's column: draw again from its figure when the window changes width (its
  // height, meta.fit, and its phone settings follow the width).
  window.addEventListener("resize", () => {
    for (const state of charts.values()) {
      if (!state.last || !state.div.layout || state.div.layout.width === state.div.clientWidth) continue;
      state.waiting ??= state.last;
      drawNewest(state);
    }
  });

  // The camera button: the figure as a file (PNG or SVG, the `image` setting read when clicked, so a change of
  // format takes at once), on the page's own background (a transparent PNG lost its dark theme's white labels on
  // a white slide), without the animation's buttons (a picture cannot be played).
  function saveButton(state) {
    return {
      name: "lora-viz-save",
      title: "Download this figure",
      icon: Plotly.Icons.camera,
      click: async (gd) => {
        const options = JSON.parse(state.last.args.config).toImageButtonOptions || {};
        const background = state.last.theme.background;
        const layout = { ...gd.layout, paper_bgcolor: background, plot_bgcolor: background, updatemenus: [], sliders: [] };
        const format = options.format || "png";
        const url = await Plotly.toImage({ data: gd.data, layout }, { format, width: gd.layout.width, height: gd.layout.height, scale: options.scale || 2 });
        const link = document.createElement("a");
        link.href = url;
        link.download = `${options.filename || "lora-viz"}.${format}`;
        link.click();
      },
    };
  }

  // A figure whose layout.meta.caption is set says what the pointed cell holds in a caption beneath it, from its
  // trace's meta.caption (a template of %{customdata[i]:.nf} and %{z:.nf}), instead of a tooltip over it: the
  // tooltip covered the very cells it was about, and on a phone a tap showed none.
  function showCaption(state, meta) {
    const wanted = meta && meta.caption;
    if (!wanted) {
      if (state.caption) state.caption.remove();
      state.caption = null;
      return;
    }
    if (!state.caption) {
      state.caption = document.createElement("div");
      state.caption.className = "lora-viz-caption";
      state.caption.setAttribute("aria-live", "polite");
      state.caption.style.cssText =
        "min-height: 5.2em; padding: 0.25rem 0.5rem; white-space: pre-wrap; font-variant-numeric: tabular-nums; font-size: 0.9rem;";
      state.div.after(state.caption);
      state.captioned = false;
    }
    if (!state.captioned) state.caption.textContent = wanted;
  }

  function fill(template, point) {
    return template
      .replace(/%\{([^}:]+)(?::\.(\d+)([fg]))?\}/g, (_, path, digits, kind) => {
        const index = /^customdata\[(\d+)\]$/.exec(path);
        const value = path === "z" ? point.z : index && point.customdata ? point.customdata[Number(index[1])] : undefined;
        if (typeof value !== "number") return "";
        if (!digits) return String(value);
        return kind === "f" ? value.toFixed(Number(digits)) : String(Number(value.toPrecision(Number(digits))));
      })
      .replace(/<br>/g, "\n");
  }

  function render(component, args, figureBytes) {
    const element = component.parentElement;
    const state = charts.get(element) || create(element);
    const keyed = element.closest('[class*="st-key-chart-"]');
    if (keyed) keyed.style.opacity = ""; // dimmed while the rank slider was dragged: this is the figure for its rank
    state.waiting = { args, spec: utf8.decode(figureBytes), theme: theme(element) };
    // Tests and benchmarks read this with data-in-view: the settings of the newest figure this chart was sent.
    state.div.dataset.received = args.settings;
    // A stand-in asks for the figure it stands for: its request, set as this chart's state, starts the run that
    // computes it. Once the slider has settled: a newer figure cancels the wait, so a drag across ranks asks only
    // for the rank it stops at. Once per request: a value Streamlit already holds would not start a run again.
    clearTimeout(state.timer);
    if (args.request && args.request !== state.requested) {
      state.timer = setTimeout(() => {
        state.requested = args.request;
        component.setStateValue("request", args.request);
      }, REQUEST_AFTER_MS);
    }
    if (mayDraw(state)) {
      drawNewest(state);
    } else if (args.settings !== state.div.dataset.drawn) {
      // Held back until in view (or until the observer first reports); the chart takes the figure's height now,
      // so the page does not jump later.
      state.div.style.minHeight = `${JSON.parse(state.waiting.spec).layout.height || 450}px`;
    }
  }

  function remove(element) {
    const state = charts.get(element);
    if (!state) return;
    state.observer.disconnect();
    clearTimeout(state.timer);
    if (state.caption) state.caption.remove();
    if (window.Plotly) Plotly.purge(state.div);
    // Out of the page too: Streamlit may mount a chart again in the same place (quick reruns do), and a purged div
    // left behind kept its last figure's settings beside the new chart's.
    state.div.remove();
    charts.delete(element);
  }

  // Linked highlighting (the figure's layout.meta.link, written by lora_viz.render.plotly.linked). Hovering a cell
  // of a source heatmap tells every chart of the page which rows and columns of the product it stands for; each
  // chart of the same group outlines what those rows and columns come from. One event on this tab's window.
  const LINK = "lora-viz:link";

  function listenForHover(state) {
    const div = state.div;
    if (state.listening || !div.on) return;
    state.listening = true;
    // A pointer hovers; a finger taps (a click, to Plotly): either lights the cell up and fills the caption.
    const pointed = (event) => {
      const point = event.points && event.points[0];
      const template = point && point.data.meta && point.data.meta.caption;
      if (state.caption && template) {
        state.caption.textContent = fill(template, point);
        state.captioned = true;
      }
      const link = div.layout.meta && div.layout.meta.link;
      const source = link && point && link.sources.find((s) => s.trace === point.curveNumber);
      if (!source || !Array.isArray(point.pointNumber)) return;
      const [row, col] = point.pointNumber; // a heatmap's cell: [row, column]
      broadcast({ group: link.group, rows: [source.rows[row], source.rows[row + 1]], cols: [source.cols[col], source.cols[col + 1]] });
    };
    div.on("plotly_hover", pointed);
    div.on("plotly_click", pointed);
    div.on("plotly_unhover", () => {
      const link = div.layout.meta && div.layout.meta.link;
      if (link && link.sources.length) broadcast({ group: link.group, rows: null, cols: null });
    });
  }

  function broadcast(detail) {
    window.dispatchEvent(new CustomEvent(LINK, { detail }));
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

  window.addEventListener(LINK, (event) => {
    const { group, rows, cols } = event.detail;
    for (const state of charts.values()) {
      const div = state.div;
      const link = div.layout && div.layout.meta && div.layout.meta.link;
      if (!link || link.group !== group || !link.targets.length) continue;
      const kept = (div.layout.shapes || []).filter((shape) => shape.name !== "link");
      Plotly.relayout(div, { shapes: rows ? kept.concat(linkShapes(link, rows, cols)) : kept });
      div.dataset.linked = rows ? `${rows}|${cols}` : ""; // tests read what is lit
    }
  });

  window.loraVizChart = { render, remove, darkMiddle, fitToScreen };
})();
