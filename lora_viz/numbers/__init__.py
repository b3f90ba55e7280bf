"""Arithmetic only: parameter counts, bytes, rounding to a dtype, rank steps. Nothing here reads settings."""
