"""Backups (数据备份) and their restore and recovery drills (恢复演练).

- :mod:`.sqlite`   the embedded database: online snapshots and page-level increments
- :mod:`.postgres` PostgreSQL through pgBackRest (full / incr, WAL archiving, PITR)
- :mod:`.archive`  one encrypted file per backup (tar.gz sealed with jifen.core.filecrypt)
- :mod:`.services` take, list, prune, restore and drill (the management commands call these)
"""
