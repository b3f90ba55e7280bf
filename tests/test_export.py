import csv
import io

from lora_viz.export import lora_config_snippet, numbers_table, to_csv, to_markdown
from lora_viz.model.text import fit_headline, zero_gpu_bytes, zero_verdict
from lora_viz.model.view import model_view
from lora_viz.settings import Settings
from lora_viz.ui.sidebar import share_link


def test_csv_has_the_seed_numbers():
    rows = list(csv.DictReader(io.StringIO(to_csv(numbers_table(Settings(), "matrices")))))
    values = {row["quantity"]: row["value"] for row in rows}
    assert values["LoRA trains"] == "65536" and values["served, adapter separate"] == "16842752"
    assert "trainable (PEFT)" not in values  # the matrices page's numbers only


def test_markdown_tables_per_section():
    text = to_markdown(numbers_table(Settings(), "matrices"))
    assert text.count("| quantity | value | unit | formula |") == 1
    assert "| LoRA trains | 65,536 | parameters | r·(d + k) |" in text


def test_every_formula_is_a_formula_not_a_value_in_other_units():
    for page in ("matrices", "whole_model"):
        for row in numbers_table(Settings(), page):
            assert not any(unit in row.formula for unit in ("KiB", "MiB", "GiB")), row


def test_the_whole_model_export_holds_the_pages_own_numbers():
    s = Settings(model="llama-3-8b", method="qlora", r=16, targets=("all-linear",), card="rtx4090", zero=3, gpus=4)
    rows = {row.quantity: row for row in numbers_table(s, "whole_model")}
    assert not any("matrix" in row.section for row in rows.values())  # it began with an unrelated one-matrix section
    view = model_view(s)
    assert rows["training total"].value == view.training["qlora"].total
    peak = view.training["qlora"].peak
    assert rows[f"the step's peak, at {peak.at.where}"].value == peak.bytes != rows["training total"].value
    assert rows["one GPU"].value == fit_headline(s, view) and rows["one GPU"].unit == "verdict"
    assert rows["4 × RTX 4090 24 GB, ZeRO stage 3"].value == zero_verdict(s, view)
    assert [rows[f"ZeRO stage {stage}, per GPU (N = 4)"].value for stage in range(4)] == [zero_gpu_bytes(s, view, stage) for stage in range(4)]
    assert rows["served, merged"].value == view.serving.merged and rows["adapter file (fp32)"].value == view.serving.adapter_file
    markdown = to_markdown(numbers_table(s, "whole_model"))
    assert f"| one GPU | {fit_headline(s, view)} | verdict |" in markdown


def test_lora_config_snippet_is_valid_python_with_the_settings():
    snippet = lora_config_snippet(Settings(r=16, alpha=32, targets=("q_proj", "v_proj")))
    compile(snippet, "snippet", "exec")
    assert 'target_modules=["q_proj", "v_proj"]' in snippet and "r=16" in snippet and "lora_alpha=32" in snippet
    assert "BitsAndBytesConfig" not in snippet


def test_the_configuration_fits_the_method():
    qlora = lora_config_snippet(Settings(method="qlora", r=64, alpha=16, targets=("all-linear",)))
    compile(qlora, "snippet", "exec")
    for part in ("BitsAndBytesConfig(", "load_in_4bit=True", 'bnb_4bit_quant_type="nf4"', "bnb_4bit_use_double_quant=True",
                 "bnb_4bit_compute_dtype=torch.bfloat16", "prepare_model_for_kbit_training(model)", 'target_modules="all-linear"'):
        assert part in qlora, part
    assert "prepare_model_for_kbit_training(model)" not in lora_config_snippet(Settings(method="qlora", prepared=False))
    assert lora_config_snippet(Settings(method="full")) == ""  # full fine-tuning has no adapter


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
