"""The app's pages: file, label and URL path, shared by the navigation and the home page's links."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit


@dataclass(frozen=True)
class PageInfo:
    script: str  # path from the repository root, as st.page_link wants it
    label: str
    url_path: str  # stable: teachers' links use it
    blurb: str


PAGES = (
    PageInfo("app.py", "Home", "", "What LoRA is and the four numbers that answer the seed question."),
    PageInfo("pages/lesson.py", "Lesson", "lesson", "The seed question step by step: guess each number, then see it."),
    PageInfo(
        "pages/matrices.py",
        "Matrices to scale",
        "matrices",
        "W, A and B drawn at one scale, with live parameter counts and memory.",
    ),
    PageInfo(
        "pages/merge.py",
        "Merge",
        "merge",
        "Watch W′ = W + A×B being built, and check that merged and separate give the same answer.",
    ),
    PageInfo(
        "pages/whole_model.py",
        "Whole model",
        "whole_model",
        "Llama, Mistral, GPT-2 and BERT: counts equal to PEFT's, and memory for full fine-tuning, LoRA and QLoRA.",
    ),
    PageInfo(
        "pages/low_rank.py",
        "Why low rank works",
        "low_rank",
        "Train a LoRA live and see when a rank-r update is enough, and when it is not.",
    ),
)


def page_by_label(label: str) -> PageInfo:
    """The page with this label (each page script names itself by its label)."""
    return next(page for page in PAGES if page.label == label)


def page_address(browser_url: str, base_path: str, page: PageInfo) -> str:
    """The page's address on the server the browser reached: its scheme and host, the app's base path, the page's
    own path. Never the browser's path, which may be mistyped (Streamlit shows Home for an unknown page)."""
    parts = urlsplit(browser_url)
    base = "/".join(part for part in (base_path.strip("/"), page.url_path) if part)
    return f"{parts.scheme}://{parts.netloc}/{base}"
