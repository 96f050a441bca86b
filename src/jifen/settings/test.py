"""Settings for the pytest suite (see [tool.pytest.ini_options] in pyproject.toml).

The database follows base: SQLite by default, PostgreSQL when DATABASE_URL is set
(pytest-django then creates and drops test_<name>)."""

import os
import tempfile
from pathlib import Path

from jifen.ops.logging_setup import logging_config

from .base import *  # noqa: F403

DEBUG = False
SECRET_KEY = "test-only-secret-key-not-used-anywhere-else-0123456789abcdef"

# Argon2 is deliberately slow; tests hash many passwords.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"

# pytest-django flushes the database between transactional tests; that includes the
# append-only audit table (see jifen.audit.management.commands.flush).
AUDIT_ALLOW_FLUSH = True

# The login lock-out stays on in tests (tests/accounts/test_lockout.py exercises it). Its
# backend needs the request, which Client.login() does not pass: tests sign in with
# client.force_login(user), or post to the login page.
AXES_ENABLED = True

# Checkpoints of the audit chain go to a folder of this test process (never var/) unless the
# environment names one; the audit tests point it at a folder of their own.
AUDIT_CHECKPOINT_DIR = Path(
    os.environ.get("AUDIT_CHECKPOINT_DIR")
    or Path(tempfile.gettempdir()) / f"jifen-test-checkpoints-{os.getpid()}"
)

# Text messages stay in jifen.accounts.sms.MemoryBackend.outbox.
SMS_BACKEND = "jifen.accounts.sms.MemoryBackend"

# The demo's verification scene at a test's size (make run loads 360 compared + 40 waiting).
DEMO_VERIFICATION_SIZE = (12, 4)
DEMO_PAST_ROUND_SIZE = 40
# Uploaded department record files (data comparison) go to a folder of this test process.
COMPARISON_UPLOAD_ROOT = Path(tempfile.gettempdir()) / f"jifen-test-comparisons-{os.getpid()}"

# Background tasks run where they are enqueued (at the commit of the transaction that queued
# them); tests/rounds/test_scoring_worker.py runs a real `manage.py db_worker` on the database
# backend instead.
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}

# Training material uploaded by tests goes to a folder of this test process.
TRAINING_ROOT = Path(tempfile.gettempdir()) / f"jifen-test-training-{os.getpid()}"
# The CMDB discovery after migrate (jifen.ops.cmdb) stays off: tests call discover() themselves.
CMDB_DISCOVER_ON_MIGRATE = False
# The JSON-line logs (access, error, login) go to a folder of this test process, never var/.
LOG_DIR = Path(tempfile.gettempdir()) / f"jifen-test-logs-{os.getpid()}"
LOGGING = logging_config(LOG_DIR, tz=TIME_ZONE)  # noqa: F405
