"""Home page and the signed-in person's entry point (the dashboard redirect)."""

from typing import NamedTuple

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_safe

from jifen.core.roles import Role
from jifen.rounds import phases
from jifen.rounds.selectors import current_round


class Phase(NamedTuple):
    name: str
    summary: str
    phase: str  # the round's phase (jifen.rounds.phases.Phase) this step happens in


# The yearly round, in order (spec: beijing-rules.md, "The yearly process").
PHASES: tuple[Phase, ...] = (
    Phase("注册", "用人单位注册取得单位注册码；申请人注册，凭注册码申请关联所在单位，经单位确认。",
          "registration"),
    Phase("申报", "申请人逐项填报积分指标并上传证明材料，随时查看自评积分，提交单位审核。",
          "declaration"),
    Phase("单位审核", "用人单位审核职工的申报，退回修改或提交至审核部门。", "employer_review"),
    Phase("部门比对", "人社、住建、教委、税务、公安等部门将各项指标与本部门数据比对核验。",
          "verification"),
    Phase("复查", "申请人查看初核积分，可对有异议的核验事项申请复查，需要时到区服务窗口现场核验。",
          "recheck"),
    Phase("公示", "确定最终积分，拟落户人员名单向社会公示，接受监督；公示期内可实名提出异议。",
          "publication"),
    Phase("落户", "公示无异议的人员办理落户手续。", "settlement"),
)


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    """The process, each step with its window in the current round (open now, upcoming…)."""
    rnd = current_round()
    now = timezone.now()
    steps = [
        {"step": p, "state": phases.state_of(rnd, p.phase, now) if rnd else None} for p in PHASES
    ]
    return render(request, "web/home.html", {"phases": steps, "round": rnd})


@require_safe
@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    """Send the signed-in person to the start page of their role."""
    role = request.user.role
    if role == Role.APPLICANT:
        return redirect("applications:applicant_home")
    if role == Role.EMPLOYER_AGENT:
        return redirect("applications:employer_home")
    if request.user.is_staff_role:
        return redirect("staff:home")
    raise PermissionDenied("该账户没有可用的办理页面")
