"""Signals other apps listen to, so that this app does not import them (the verification app
builds on applications, not the other way round)."""

from django.dispatch import Signal

# Sent inside the transaction that passes applications on to the departments, with
# ``application_ids`` (a list): jifen.review opens their verification items.
passed_to_departments = Signal()
