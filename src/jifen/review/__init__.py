"""Department verification (部门核验): verification items, the decision ledger, data comparisons
(数据比对), first results (初核结果), re-checks (复查) and signals of duplicates and fraud.

See ../shared/spec/department-records.md and docs/verification.md.
"""
