"""The applicant's and the employer's pages, one module per concept: ``applicant`` (status
page and employment link), ``declaration`` (sections, self-assessment, submission),
``evidence`` (files), ``employer`` (links to decide, declarations to review)."""
