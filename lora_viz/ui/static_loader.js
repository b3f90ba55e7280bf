// The own script of the app's components whose code lives in static/ (the charts, the rank slider's preview): it loads
// those scripts once per browser tab (the page keeps them across page switches) and hands the component to the one
// named. Its data is one line of JSON (`scripts`, the addresses to load in order; `entry`, the window property the
// last one defines; and the component's own arguments), a newline, then the component's payload, all as bytes.
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

// Each script once per tab, in order, whichever component asks first.
function loaded(scripts) {
  const loading = (window.loraVizScripts ??= {});
  return scripts.reduce((previous, src) => previous.then(() => (loading[src] ??= load(src))), Promise.resolve());
}

export default function (component) {
  const bytes = component.data;
  const split = bytes.indexOf(NEWLINE);
  const args = JSON.parse(new TextDecoder().decode(bytes.subarray(0, split)));
  loaded(args.scripts).then(() => window[args.entry].render(component, args, bytes.subarray(split + 1)));
  return () => window[args.entry] && window[args.entry].remove(component.parentElement);
}
