"""The guided lesson's outline: each step's title, the page that shows it and its picture (lesson/figures.py:
FIGURE_KINDS). The schema's lesson slider counts these steps; lesson/text.py writes their words."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class StepOutline:
    title: str
    page: str  # the page script that shows this step
    figure: str  # the picture the step draws
    variant: str = "lora"  # the LoRA variant its page link opens with


OUTLINE = (
    StepOutline("The question", "pages/matrices.py", "drawing"),
    StepOutline("Full fine-tuning", "pages/matrices.py", "full"),
    StepOutline("LoRA: what is trained", "pages/matrices.py", "lit"),
    StepOutline("LoRA: what share", "pages/matrices.py", "share"),
    StepOutline("Serving, option 1: keep the adapter separate", "pages/merge.py", "serving"),
    StepOutline("Serving, option 2: merge", "pages/merge.py", "merge"),
    StepOutline("How small is the adapter?", "pages/matrices.py", "adapter"),
    StepOutline("What to remember", "pages/whole_model.py", "memory"),
    StepOutline("An analogy", "pages/merge.py", "delta"),
    StepOutline("The answer", "pages/matrices.py", "answer"),
    # What a learner meets next, after the seed question's answer (appended, so that teachers' links to the steps
    # above still open the same step)
    StepOutline("Next: rsLoRA's scaling", "pages/matrices.py", "rslora", "rslora"),
    StepOutline("Next: DoRA's magnitude", "pages/merge.py", "dora", "dora"),
    StepOutline("Next: PiSSA's start", "pages/low_rank.py", "pissa", "pissa"),
)
