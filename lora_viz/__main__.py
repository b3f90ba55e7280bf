"""python -m lora_viz: see lora_viz/cli.py."""

import sys

from .cli import main

sys.exit(main())
