"""Operations reports (运维报告): the monthly inspection report and the quarterly and annual
reports, computed from the operations records (:mod:`.collect`), drawn (:mod:`.charts`) and
written as PDF (:mod:`.pdf`) and XLSX (:mod:`.xlsx`); :mod:`.services` generates one and keeps
its record (:class:`jifen.ops.models.OpsReport`)."""
