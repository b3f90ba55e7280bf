"""What every page's figures and text share: Plotly helpers and Markdown helpers."""
