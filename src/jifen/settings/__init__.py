"""Django settings, split by purpose.

- ``base``: shared defaults, safe for local development (``manage.py`` uses it).
- ``test``: the pytest suite (fast password hasher, fixed secret key).
- ``production``: secrets from the environment, fails fast when they are missing.

Later apps are added to ``LOCAL_APPS`` / ``THIRD_PARTY_APPS`` in ``base``.
"""
