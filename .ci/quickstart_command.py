"""Print the N-th fenced command of the README's Quick start (1-based)."""

import re
import sys
from pathlib import Path

text = Path(__file__).resolve().parents[1].joinpath("README.md").read_text()
section = re.search(r"^#+ *quick ?start.*?$(.*?)(?=^#+ |\Z)", text,
                    re.I | re.M | re.S).group(1)
blocks = [b.strip() for b in re.findall(r"```[a-z]*\n(.*?)```", section, re.S)
          if b.strip()]
if len(blocks) != 2:
    sys.exit(f"README Quick start must hold exactly 2 commands; found "
             f"{len(blocks)}")
print(blocks[int(sys.argv[1]) - 1])
