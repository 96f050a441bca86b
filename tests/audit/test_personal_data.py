"""No personal data in the audit log: a whole journey (registration, link, declaration with a
criminal record, detentions and tax amounts, evidence, return, refusal, failed logins) leaves
no declared value, name, identity or phone number, file name or typed user name in any stored
event, while each event still says which fields changed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, override_settings
from django.urls import reverse

from jifen.accounts import services as account_services
from jifen.applications import services
from jifen.audit.models import AuditEvent
from jifen.audit.redact import changes, fingerprint
from tests.factories import (
    PASSWORD,
    attach_required_evidence,
    credit_code,
    id_number,
    make_round,
)
from tests.files import PDF

pytestmark = pytest.mark.django_db

NAME = "欧阳明月"
AGENT_NAME = "司马经办"
ID_NUMBER = id_number("19850612", "F", 771)
PHONE = "13987654321"
USERNAME = "oymy1985"
FILE_NAME = "欧阳明月-身份证.pdf"
RETURN_REASON = "欧阳明月的住房证明缺页"
REFUSE_REASON = "欧阳明月不是本单位职工"
TYPED_USERNAME = "欧阳明月的密码Abc!"

# Declared values that must never be in the log (chosen so they cannot occur by chance in a
# hex fingerprint or a number the log does keep).
TAX = {"2023": "123456.78", "2024": "98765.43", "2025": "150000.50"}
DETENTION_DATE = "2021-04-17"
HOUSING = [
    {"kind": "rented", "from": "2009-03", "to": "2016-11", "district": "门头沟区"},
    {"kind": "owned", "from": "2016-12", "to": "2025-12", "district": "延庆区"},
]
SECRETS = [
    NAME, AGENT_NAME, ID_NUMBER, ID_NUMBER[-4:] + '"', ID_NUMBER[:6] + "*", PHONE, FILE_NAME,
    "身份证", RETURN_REASON, "住房证明", REFUSE_REASON, "本单位职工", TYPED_USERNAME,
    *TAX.values(), DETENTION_DATE, "administrative_detention", "门头沟区", "延庆区",
    "2009-03", "2016-11", "2016-12",
]


def stored_text() -> str:
    """Everything the events keep besides their fixed columns, as one text."""
    rows = AuditEvent.objects.order_by("seq").values_list(
        "before", "after", "detail", "field", "target_id", "actor_name"
    )
    return json.dumps(list(rows), ensure_ascii=False)


def save(user: Any, app: Any, section: str, value: Any) -> Any:
    return services.application_save_section(
        actor=user, application_id=app.pk, section=section, value=value, version=app.version
    ).application


def last_save(section: str) -> dict[str, Any]:
    event = AuditEvent.objects.filter(action="application.save").order_by("-seq").first()
    assert event.after["section"] == section
    return event.after


def test_a_whole_journey_leaves_no_personal_data_in_the_log(tmp_path: Path) -> None:
    make_round(2026)
    applicant = account_services.register_applicant(
        username=USERNAME, password=PASSWORD, id_number=ID_NUMBER, name=NAME, phone=PHONE
    )
    agent = account_services.register_employer(
        employer_name="北京明月科技有限公司", credit_code=credit_code(772), district="通州区",
        username="mingyue-hr", password=PASSWORD, agent_name=AGENT_NAME, phone="13811112222",
    )
    refused = services.link_request(actor=applicant, employer_code=agent.employer.code)
    services.link_refuse(actor=agent, link_id=refused.pk, reason=REFUSE_REASON)
    link = services.link_request(actor=applicant, employer_code=agent.employer.code)
    services.link_confirm(actor=agent, link_id=link.pk)

    app = services.application_start(actor=applicant)
    app = save(applicant, app, "conditions",
               {"residence_permit": True, "criminal_record": True, "female_cadre": False})
    assert last_save("conditions")["changes"] == [
        {"path": "conditions.criminal_record", "change": "modified",
         "before": fingerprint(False, scope=f"applications.application:{app.pk}:conditions"
                                            ".criminal_record"),
         "after": fingerprint(True, scope=f"applications.application:{app.pk}:conditions"
                                          ".criminal_record")},
    ]
    app = save(applicant, app, "violations",
               [{"kind": "administrative_detention", "date": DETENTION_DATE}])
    assert [(c["path"], c["change"]) for c in last_save("violations")["changes"]] == [
        ("violations[0]", "added"),
    ]
    app = save(applicant, app, "tax", TAX)
    assert [(c["path"], c["change"]) for c in last_save("tax")["changes"]] == [
        ("tax.2023", "modified"), ("tax.2024", "modified"), ("tax.2025", "modified"),
    ]
    app = save(applicant, app, "housing", HOUSING)
    rows = app.data["housing"]
    moved = [{**rows[0], "district": "怀柔区"}, rows[1]]
    app = save(applicant, app, "housing", moved)
    assert [(c["path"], c["change"]) for c in last_save("housing")["changes"]] == [
        ("housing[0].district", "modified"),
    ]
    app = save(applicant, app, "housing", [app.data["housing"][1]])
    assert [(c["path"], c["change"]) for c in last_save("housing")["changes"]] == [
        ("housing[0]", "removed"),
    ]

    with override_settings(EVIDENCE_ROOT=tmp_path / "evidence"):
        ev = services.evidence_add(
            actor=applicant, application_id=app.pk, section="tax", item_id="",
            upload=SimpleUploadedFile(FILE_NAME, PDF, content_type="application/pdf"),
        )
        services.evidence_delete(actor=applicant, evidence_id=ev.pk)
    app.refresh_from_db()
    app = save(applicant, app, "social_insurance", [{"from": "2009-03", "to": "2025-12"}])
    app = save(applicant, app, "employment",
               [{"from": "2009-03", "to": "2025-12", "district": "通州区"}])
    app = save(applicant, app, "education", [
        {"level": "bachelor", "degree": "bachelor", "full_time": True,
         "from": "2005-09", "to": "2009-06"},
    ])
    app = save(applicant, app, "conditions",
               {"residence_permit": True, "criminal_record": False, "female_cadre": False})
    app = save(applicant, app, "violations", [])
    app = attach_required_evidence(applicant, app)
    app = services.application_submit(actor=applicant, application_id=app.pk,
                                      version=app.version)
    services.application_return(actor=agent, application_id=app.pk, reason=RETURN_REASON,
                                version=app.version)

    login = reverse("accounts:login")
    Client().post(login, {"username": TYPED_USERNAME, "password": "wrong-password-1"})
    Client().post(login, {"username": USERNAME, "password": "wrong-password-1"})

    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"account.register_applicant", "link.refuse", "application.save", "evidence.add",
            "evidence.delete", "application.return", "account.login_failed"} <= actions
    text = stored_text()
    found = [secret for secret in SECRETS if secret in text]
    assert found == []
    # ...and what is kept still tells an auditor what happened.
    [failed_unknown, failed_known] = AuditEvent.objects.filter(
        action="account.login_failed").order_by("seq")
    assert failed_unknown.after["typed_username"]["length"] == len(TYPED_USERNAME)
    assert failed_known.target_id == str(applicant.pk)
    evidence_add = AuditEvent.objects.filter(action="evidence.add").order_by("seq").first()
    assert evidence_add.after["file_name"]["length"] == len(FILE_NAME)


def test_changes_compare_objects_rows_and_values() -> None:
    before = {"a": "1", "b": True, "rows": [{"id": "r1", "x": "p"}, {"id": "r2", "x": "q"}]}
    after = {"a": "1", "b": False, "rows": [{"id": "r2", "x": "q2"}, {"id": "r3", "x": "s"}]}
    found = changes(before, after, path="s", scope="t")
    assert [(c["path"], c["change"]) for c in found] == [
        ("s.b", "modified"),
        ("s.rows[0].x", "modified"),
        ("s.rows[1]", "added"),
        ("s.rows[0]", "removed"),
    ]
    assert changes(before, before, path="s", scope="t") == []
    # The scope is hashed too: one value in two records gives unrelated fingerprints.
    assert fingerprint("海淀区", scope="a:1") != fingerprint("海淀区", scope="a:2")
    assert fingerprint("海淀区", scope="a:1") == fingerprint("海淀区", scope="a:1")


def test_fingerprints_depend_on_the_audit_key(settings) -> None:
    first = fingerprint("123456.78", scope="x")
    settings.AUDIT_CHAIN_KEY = "4b9e1d7a3c5f08b2" + "6ed04f7a2c91e85b" + "36a1f0c9e2d74b58" + "a3"*8
    assert fingerprint("123456.78", scope="x") != first
