"""The demo's month of monitoring records (jifen.demo.ops_monitoring)."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from jifen.demo import ops_monitoring
from jifen.demo.loader import load_demo
from jifen.ops import selectors, verification
from jifen.ops.models import ChainVerification, HealthProbe, ScheduledRun

pytestmark = pytest.mark.django_db


def test_a_month_of_probes_with_one_night_outage_and_sound_verifications() -> None:
    load_demo()
    assert 8600 <= HealthProbe.objects.count() <= 8640
    failed = list(HealthProbe.objects.filter(ok=False).order_by("at"))
    assert len(failed) == 4  # 20 minutes
    assert timezone.localtime(failed[0].at).hour == 2
    month = selectors.availability(timezone.now() - timedelta(days=30), timezone.now())
    assert month["longest_outage_seconds"] == 20 * 60
    assert 99.9 < month["percent_up"] < 100
    assert ChainVerification.objects.count() > 4000
    assert not ChainVerification.objects.filter(ok=False).exists()
    assert ScheduledRun.objects.filter(ok=False).count() == 1
    # The next incremental verification continues from the demo's last one, soundly.
    latest = verification.verify_audit_chain()
    assert latest.ok and latest.from_seq > 1


def test_the_monitoring_part_loads_quickly() -> None:
    started = time.perf_counter()
    ops_monitoring.load(operator=None, now=timezone.now(), say=lambda text: None)
    assert time.perf_counter() - started < 5
