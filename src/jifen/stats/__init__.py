"""Statistics (统计), ad-hoc statistics (应急统计) and what-if questions (模拟测算): read-only
views over the other apps' data (their selectors and tables), never writing to them."""
