"""The `dam` command as people and scripts use it, run as a real subprocess."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from tests.conftest import make_settings
from tests.ingest.test_worker_kill import DAM, worker_env
from tests.media import make_photo


def dam(env: dict[str, str], *args: str, check: bool = True) -> subprocess.CompletedProcess:
    proc = subprocess.run([DAM, *args], env=env, capture_output=True, text=True, timeout=300)
    if check:
        assert proc.returncode == 0, f"dam {' '.join(args)}: {proc.stdout}{proc.stderr}"
    return proc


def test_commands_from_init_to_fixity(tmp_path: Path) -> None:
    env = worker_env(make_settings(tmp_path))
    before = dam(env, "status", check=False)
    assert before.returncode == 1
    assert "not initialised: run `dam init`" in before.stderr

    assert "migrated from empty" in dam(env, "init").stdout
    assert "catalog is current" in dam(env, "init").stdout

    card = tmp_path / "tarjeta de Peña"
    make_photo(card / "foto 1.jpg", seed=1, gps=(19.35, -99.06))
    make_photo(card / "foto 2.jpg", seed=2)
    (card / "vacía.jpg").write_bytes(b"")
    out = dam(
        env,
        "ingest",
        str(card),
        "--event",
        "Jornada de salud",
        "--date",
        "2025-03-14",
        "--area",
        "Salud",
        "--place",
        "San Miguel Teotongo",
        "--photographer",
        "Luis Peña",
        "--no-progress",
        "--process",
    ).stdout
    assert "2 new, 0 duplicate, 1 failed" in out
    assert "vacía.jpg: empty file" in out

    status = json.loads(dam(env, "status", "--json").stdout)
    assert status["by_state"] == {"ready": 2}
    assert status["failed_intake"][0]["error"].startswith("empty file")

    listed = json.loads(dam(env, "list", "--json").stdout)
    assert len(listed) == 2
    first = listed[0]
    assert first["original_filename"] == "foto 1.jpg" and len(first["sha256"]) == 64
    assert first["event"] == "Jornada de salud" and first["creator"] == "Luis Peña"
    assert first["gps_latitude"] is not None
    shown = json.loads(dam(env, "show", str(first["id"]), "--json").stdout)
    assert shown == first
    assert json.loads(dam(env, "list", "--json", "--state", "failed").stdout) == []
    missing = dam(env, "show", "999", check=False)
    assert missing.returncode == 1 and "no asset with id 999" in missing.stderr

    assert "checked 2: 2 intact" in dam(env, "fixity").stdout
    # Damage one stored original behind the archive's back: fixity must notice and say which.
    store_root = Path(env["DAM_DATA_DIR"]) / "store"
    damaged = store_root / first["original_key"]
    damaged.write_bytes(damaged.read_bytes()[:-10] + b"0123456789")
    report = dam(env, "fixity", check=False)
    assert report.returncode == 1
    assert f"#{first['id']} foto 1.jpg: content changed" in report.stdout
    sampled = dam(env, "fixity", "--sample", "1", check=False)
    assert "checked 1" in sampled.stdout

    assert "0 asset(s) queued" in dam(env, "reprocess").stdout
    assert "2 asset(s) queued" in dam(env, "reprocess", "--all").stdout


def test_invalid_setting_is_a_clear_error(tmp_path: Path) -> None:
    env = worker_env(make_settings(tmp_path))
    env["DAM_WORKERS"] = "dos"
    proc = dam(env, "status", check=False)
    assert proc.returncode == 1
    assert "'workers' from environment DAM_WORKERS must be int" in proc.stderr
