"""A deliberately naive, month-by-month scoring oracle, written from the spec text alone."""
