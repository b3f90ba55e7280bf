"""Helpers shared by the tests and the benchmarks: the app in a browser, Streamlit's protocol, pages in AppTest."""
