"""lora-viz core: counts, memory, matrices and figures for teaching LoRA (no Streamlit here)."""
