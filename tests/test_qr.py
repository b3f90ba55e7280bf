import base64

import segno

from lora_viz.qr import qr_data_uri


def test_the_student_links_code_is_black_on_white_with_its_quiet_zone_whatever_the_theme():
    link = "https://school.example/lora/lesson?v=3&lesson=2&student=1"
    svg = base64.b64decode(qr_data_uri(link).removeprefix("data:image/svg+xml;base64,")).decode()
    assert svg.startswith("<svg") and 'fill="#fff"' in svg and 'stroke="#000"' in svg
    size = segno.make(link, error="m").symbol_size(scale=3, border=4)  # modules plus four on each side
    assert f'width="{size[0]}"' in svg and f'height="{size[1]}"' in svg
    assert qr_data_uri(link) is qr_data_uri(link)  # cached: drawn on every run of a presentation
