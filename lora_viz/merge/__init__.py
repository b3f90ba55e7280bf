"""The merge page: example (sizes), core (the merge in NumPy), then figures, text, alt."""
