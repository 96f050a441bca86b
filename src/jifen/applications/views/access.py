"""Who may open the applicant's and the employer's pages, and reading what the forms post."""

from __future__ import annotations

from django.http import HttpRequest

from jifen.core.roles import Role
from jifen.web.access import role_required

applicant_page = role_required([Role.APPLICANT], "本页面仅供申请人本人使用")
employer_page = role_required(
    [Role.EMPLOYER_AGENT],
    "只有用人单位经办人可以访问此页面",
    check=lambda user: user.employer_id is not None,
)


def posted_version(request: HttpRequest, name: str = "version") -> int | None:
    """The declaration's version the form was rendered with (None when missing or garbled:
    the service then refuses the write as stale)."""
    try:
        return int(request.POST.get(name, ""))
    except ValueError:
        return None
