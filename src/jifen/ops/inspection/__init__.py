"""Inspections (巡检): the daily inspection, the weekly system-software check and the monthly
summary made from the dailies.

Each ``checks_*`` module has two halves: ``measure_*`` reads the machine, the database, the
log files or the records, and ``check_*`` grades given measurements against the thresholds
(system parameters ``inspect_*``) into findings. Tests feed measurements to the second half;
:mod:`.service` runs both and stores an :class:`~jifen.ops.models.Inspection`.
"""
