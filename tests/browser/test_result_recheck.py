"""The first result and a re-check in a real browser: the applicant finds the result from their
home page, reads what differs and why, disputes the housing item with a statement and a file;
the housing department's reviewer answers it from the dispute's page; the applicant reads the
answer and the new score. Every page is watched for console errors, CSP violations and
requests to other origins.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from jifen.core.roles import Department, Role
from jifen.review.models import Dispute
from tests.factories import make_staff
from tests.files import PDF
from tests.review.results_world import world

from .conftest import PageWatch

pytestmark = pytest.mark.browser


@pytest.fixture
def evidence_root(settings: Any, tmp_path: Path) -> Path:
    settings.EVIDENCE_ROOT = tmp_path / "evidence"
    return settings.EVIDENCE_ROOT


def test_the_applicant_disputes_and_reads_the_answer(
    evidence_root: Path, live_server: Any, new_page: Callable[..., Page],
    login_as: Callable[[Page, Any], None], watch: Callable[[Page, str], PageWatch],
    screenshot: Callable[[Page, str], Path], tmp_path: Path,
) -> None:
    w = world()
    base = live_server.url
    applicant = new_page()
    login_as(applicant, w.applicant)
    watches = [watch(applicant, base)]

    applicant.goto(base + "/my/")
    expect(applicant.locator("#home-result-total")).to_have_text("135.00")
    applicant.locator("#result-link").click()
    expect(applicant.locator("#result-total")).to_contain_text("135.00")
    expect(applicant.locator("tr.row-differs")).to_have_count(2)
    housing = applicant.locator("#kind-housing")
    expect(housing).to_contain_text("2008-07～2015-12 租赁住房 海淀区")
    expect(housing).to_contain_text("与部门数据比对不一致")
    screenshot(applicant, "result-first")

    contract = tmp_path / "租赁合同.pdf"
    contract.write_bytes(PDF)
    choice = applicant.locator("#choice-housing")
    choice.get_by_role("checkbox").check()
    choice.locator("textarea").fill("2008年至2015年我在海淀区租房，合同已备案")
    choice.locator("input[type=file]").set_input_files(str(contract))
    applicant.get_by_role("button", name="提交复查申请").click()
    expect(applicant.locator("#recheck-state")).to_contain_text("已申请复查")
    expect(applicant.locator("#kind-housing")).to_contain_text("租赁合同.pdf")

    dispute = Dispute.objects.get()
    reviewer = new_page()
    login_as(reviewer, make_staff(Role.REVIEWER, Department.HOUSING))
    watches.append(watch(reviewer, base))
    reviewer.goto(base + "/staff/")
    reviewer.locator("#recheck-link").click()
    reviewer.get_by_role("link", name=f"办理复查 {w.app.number}").click()
    expect(reviewer.locator("#statement")).to_contain_text("合同已备案")
    expect(reviewer.locator("#recheck-evidence")).to_contain_text("租赁合同.pdf")
    screenshot(reviewer, "recheck-dispute")
    form = reviewer.locator("#answer-form")
    form.get_by_label("变更核验结果").check()
    form.get_by_label("答复理由").fill("经核实租赁备案，2008—2015年租房属实")
    form.get_by_role("button", name="提交答复").click()
    expect(reviewer.locator("#outcome")).to_have_text("变更核验结果")
    assert Dispute.objects.get(pk=dispute.pk).outcome == "changed"

    applicant.reload()
    expect(applicant.locator("#result-total")).to_contain_text("138.75")
    expect(applicant.locator(f"#dispute-{dispute.pk}-answer")).to_contain_text(
        "经核实租赁备案，2008—2015年租房属实")
    expect(applicant.locator("tr.row-differs")).to_have_count(1)  # only tax now
    screenshot(applicant, "result-after-recheck")
    for record in watches:
        assert record.problems() == []
