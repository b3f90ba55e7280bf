// lora-viz's plotly.js: the core (scatter, layout, annotations, shapes, sliders, buttons, the mode bar) with the
// heatmap and bar traces, the only trace types the app draws.
var Plotly = require('plotly.js/lib/core');
Plotly.register([require('plotly.js/lib/heatmap'), require('plotly.js/lib/bar')]);
module.exports = Plotly;
