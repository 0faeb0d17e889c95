"""The README's "may import" table holds: import-linter checks every contract in pyproject."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_every_package_imports_only_what_the_readme_allows() -> None:
    lint = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run([str(lint), "--no-cache"], cwd=ROOT, capture_output=True, text=True,
                            timeout=240)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "0 broken" in result.stdout


def test_job_kinds_of_other_packages_register_through_an_entry_point() -> None:
    """The worker runs the gallery's and the mail's jobs without ingest importing publish: it
    finds them in the ``dam.jobs`` entry point group (pyproject.toml)."""
    code = (
        "import sys\n"
        "from dam.enums import JobKind\n"
        "from ingest.worker import handler_for\n"
        "assert not [m for m in sys.modules if m.split('.')[0] == 'publish'], 'publish imported'\n"
        "for kind in JobKind:\n"
        "    handler = handler_for(kind)\n"
        "    print(kind.value, handler.__module__, handler.__name__)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    lines = set(result.stdout.splitlines())
    assert "publish_gallery publish.jobs run_publish_gallery_job" in lines
    assert "send_mail dam.mail run_send_mail_job" in lines
