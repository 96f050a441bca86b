"""deploy/prometheus: the alert rules are valid and behave (promtool, Debian's prometheus)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

DEPLOY = Path(__file__).resolve().parents[2] / "deploy" / "prometheus"
PROMTOOL = shutil.which("promtool")
needs_promtool = pytest.mark.skipif(
    PROMTOOL is None,
    reason="promtool is missing: `make ops-deps` installs Debian's prometheus package (as root)",
)
REQUIRED = {
    "JifenInstanceDown",
    "JifenDiskAlmostFull",
    "JifenMemoryHigh",
    "JifenHigh5xxRatio",
    "JifenSlowRequests",
    "JifenBackupTooOld",
    "JifenFailedLoginSurge",
    "JifenAuditChainBroken",
    "JifenTaskBacklog",
}


def rules() -> list[dict]:
    data = yaml.safe_load((DEPLOY / "alerts.yml").read_text(encoding="utf-8"))
    return [rule for group in data["groups"] for rule in group["rules"]]


def test_every_usual_alert_is_there_with_chinese_annotations() -> None:
    found = {rule["alert"]: rule for rule in rules()}
    assert set(found) >= REQUIRED
    for name, rule in found.items():
        notes = rule["annotations"]
        for key in ("summary", "description"):
            assert any("\u4e00" <= ch <= "\u9fff" for ch in notes[key]), (name, key)
        assert rule["labels"]["severity"] in {"warning", "critical"}


def test_rules_use_metrics_that_exist() -> None:
    from jifen.ops import metrics

    source = Path(metrics.__file__).read_text(encoding="utf-8")
    for rule in rules():
        for word in rule["expr"].replace("(", " ").replace(")", " ").split():
            name = word.split("{")[0].split("[")[0]
            if name.startswith("jifen_"):
                assert f'"{name}"' in source, (rule["alert"], name)


def _promtool(*args: str) -> subprocess.CompletedProcess[str]:
    assert PROMTOOL is not None
    return subprocess.run(
        [PROMTOOL, *args], cwd=DEPLOY, capture_output=True, text=True, timeout=120, check=False
    )


@needs_promtool
def test_promtool_check_rules() -> None:
    result = _promtool("check", "rules", "alerts.yml")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


@needs_promtool
def test_promtool_unit_tests_of_the_rules() -> None:
    result = _promtool("test", "rules", "alerts_test.yml")
    assert result.returncode == 0, result.stdout + result.stderr


@needs_promtool
def test_promtool_check_the_scrape_example() -> None:
    result = _promtool("check", "config", "prometheus.yml")
    assert result.returncode == 0, result.stdout + result.stderr
