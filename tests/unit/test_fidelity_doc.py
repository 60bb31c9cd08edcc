"""docs/fidelity.md names a test per row: every one named must exist, so the table cannot drift
from what the suite checks."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
REF = re.compile(r"`([a-z_/]+\.py)::([a-z_0-9]+)`")


def test_every_test_the_fidelity_table_names_exists() -> None:
    text = (ROOT / "docs" / "fidelity.md").read_text()
    refs = REF.findall(text)
    assert len(refs) >= 12
    for path, name in refs:
        source = (ROOT / "tests" / "integration" / path).read_text()
        assert re.search(rf"^(async )?def {name}\(", source, re.MULTILINE), f"{path}::{name}"
