// The chart component's own script, sent with every chart: it loads plotly.js and static/chart.js once per
// browser tab (the page keeps them across page switches) and hands the chart to them. Its data is one line of
// JSON (the chart's settings and the scripts' addresses), a newline, then the figure's JSON, all as bytes.
const NEWLINE = 10;

function load(src) {
  return new Promise((resolve, reject) => {
    const script = document.createElement("script");
    script.src = src;
    script.onload = resolve;
    script.onerror = () => reject(new Error(`lora-viz: could not load ${src}`));
    document.head.appendChild(script);
  });
}

export default function (component) {
  const bytes = component.data;
  const split = bytes.indexOf(NEWLINE);
  const args = JSON.parse(new TextDecoder().decode(bytes.subarray(0, split)));
  window.loraVizLoading ??= load(args.plotly).then(() => load(args.chart));
  window.loraVizLoading.then(() => window.loraVizChart.render(component, args, bytes.subarray(split + 1)));
  return () => window.loraVizChart && window.loraVizChart.remove(component.parentElement);
}
