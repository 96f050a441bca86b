"""Who each operation of the JSON API is meant for: the schemathesis tests call every
operation as that caller (and as one other, who is refused), and fail on an operation this
table does not name — a new endpoint gets tested, or the suite says so."""

from __future__ import annotations

APPLICANT = "applicant"
EMPLOYER = "employer_agent"
REVIEWER = "reviewer"  # a tax reviewer
WINDOW = "service_window"  # a reviewer of a district service window
BUREAU = "bureau_admin"
ANYONE = "anyone"  # open, or for every signed-in account

# operationId -> caller
OPERATION_ROLES: dict[str, str] = {
    # sign-in, registration, the account (tests/api/test_schemathesis.py)
    "token_issue": ANYONE,
    "token_revoke": APPLICANT,
    "password_change": APPLICANT,
    "password_reset_request": ANYONE,
    "password_reset_confirm": ANYONE,
    "register_applicant": ANYONE,
    "register_employer": ANYONE,
    "me": APPLICANT,
    "round_current": ANYONE,
    "round_detail": ANYONE,
    "public_list": ANYONE,
    # the applicant
    "links_mine": APPLICANT,
    "link_request": APPLICANT,
    "link_cancel": APPLICANT,
    "applications_mine": APPLICANT,
    "application_start": APPLICANT,
    "application_detail": APPLICANT,
    "application_save_conditions": APPLICANT,
    "application_save_social_insurance": APPLICANT,
    "application_save_housing": APPLICANT,
    "application_save_education": APPLICANT,
    "application_save_employment": APPLICANT,
    "application_save_innovation": APPLICANT,
    "application_save_tax": APPLICANT,
    "application_save_honours": APPLICANT,
    "application_save_violations": APPLICANT,
    "application_assessment": APPLICANT,
    "application_submit": APPLICANT,
    "application_withdraw": APPLICANT,
    "evidence_upload": APPLICANT,
    "evidence_list": APPLICANT,
    "evidence_download": APPLICANT,
    "evidence_delete": APPLICANT,
    "assess_profile": APPLICANT,
    "messages_list": APPLICANT,
    "messages_read_all": APPLICANT,
    "message_read": APPLICANT,
    "result_mine": APPLICANT,
    "recheck_file": APPLICANT,
    "dispute_evidence_upload": APPLICANT,
    "final_result": APPLICANT,
    # the employer's agent
    "employer_links": EMPLOYER,
    "employer_link_confirm": EMPLOYER,
    "employer_link_refuse": EMPLOYER,
    "employer_applications": EMPLOYER,
    "employer_application": EMPLOYER,
    "employer_application_return": EMPLOYER,
    "employer_application_submit": EMPLOYER,
    # staff (tests/api/test_schemathesis_staff.py), with their signed-in session
    "review_queue": REVIEWER,
    "review_item": REVIEWER,
    "review_confirm": REVIEWER,
    "review_correct": REVIEWER,
    "review_reject": REVIEWER,
    "review_bulk_confirm": REVIEWER,
    "comparison_upload": REVIEWER,
    "comparison_list": REVIEWER,
    "comparison_status": REVIEWER,
    "comparison_differences": REVIEWER,
    "dispute_evidence_download": REVIEWER,
    "disputes_list": REVIEWER,
    "dispute_detail": REVIEWER,
    "dispute_onsite": REVIEWER,
    "dispute_answer": REVIEWER,
    "dispute_onsite_record": WINDOW,
    "signal_list": REVIEWER,
    "signal_detail": REVIEWER,
    "signal_dismiss": REVIEWER,
    "signal_confirm": REVIEWER,
    "review_overview": BUREAU,
    "scoring_start": BUREAU,
    "scoring_runs": BUREAU,
    "scoring_run": BUREAU,
    "scoring_stop": BUREAU,
    "scoring_results": BUREAU,
    "adhoc_fields": BUREAU,
    "adhoc_run": BUREAU,
    "adhoc_export": BUREAU,
    "whatif_parameters": BUREAU,
    "whatif_run": BUREAU,
    "whatif_export": BUREAU,
    "publication_status": BUREAU,
    "publication_publish": BUREAU,
    "objection_list": BUREAU,
    "objection_get": BUREAU,
    "objection_check": BUREAU,
    "objection_answer": BUREAU,
    "objection_correction": BUREAU,
    "settlement_list": BUREAU,
    "settlement_put": BUREAU,
    "round_create": BUREAU,
    "round_update": BUREAU,
    "round_changes": BUREAU,
}

STAFF_CALLERS = frozenset({REVIEWER, WINDOW, BUREAU})
