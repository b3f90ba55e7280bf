import csv
import io

from lora_viz.export import lora_config_snippet, numbers_table, to_csv, to_markdown
from lora_viz.settings import Settings
from lora_viz.ui.sidebar import share_link


def test_csv_has_the_seed_numbers():
    rows = list(csv.DictReader(io.StringIO(to_csv(numbers_table(Settings())))))
    values = {row["quantity"]: row["value"] for row in rows}
    assert values["LoRA trains"] == "65536" and values["served, adapter separate"] == "16842752"
    assert values["trainable (PEFT)"] == "4194304"


def test_markdown_tables_per_section():
    text = to_markdown(numbers_table(Settings()))
    assert text.count("| quantity | value | unit | formula |") == 2
    assert "| LoRA trains | 65,536 | parameters | r·(d + k) |" in text


def test_lora_config_snippet_is_valid_python_with_the_settings():
    snippet = lora_config_snippet(Settings(r=16, alpha=32, targets=("q_proj", "v_proj")))
    compile(snippet, "snippet", "exec")
    assert 'target_modules=["q_proj", "v_proj"]' in snippet and "r=16" in snippet and "lora_alpha=32" in snippet


def test_share_link_reproduces_the_view_with_hide_flags():
    from urllib.parse import parse_qs, urlparse

    from lora_viz.settings import parse_settings

    s = Settings(r=16, lesson=3, hide=("seed",))
    link = share_link("http://class.example/lesson?old=1", s, ["d", "share"], present=True)
    assert link.startswith("http://class.example/lesson?")
    query = {k: v[0] for k, v in parse_qs(urlparse(link).query).items()}
    opened, notices = parse_settings(query)
    assert not notices and opened.r == 16 and opened.lesson == 3 and opened.present
    assert opened.hide == ("d", "share")  # the teacher's choice replaces the old flags
