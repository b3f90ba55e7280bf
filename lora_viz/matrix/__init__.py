"""The matrices page: field, values, layout, budget (arithmetic), then figures, text, alt."""
