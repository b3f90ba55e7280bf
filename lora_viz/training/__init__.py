"""The training page: task and train (NumPy), then figures, text, alt."""
