"""Home page and the signed-in person's entry point (the dashboard redirect)."""

from typing import NamedTuple

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_safe

from jifen.core.roles import Role


class Phase(NamedTuple):
    name: str
    summary: str


# The yearly round, in order (spec: beijing-rules.md, "The yearly process").
PHASES: tuple[Phase, ...] = (
    Phase("注册", "用人单位注册取得单位编码；申请人注册并关联所在单位。"),
    Phase("申报", "申请人按积分指标逐项填报，并上传证明材料。"),
    Phase("单位审核", "用人单位确认劳动关系，审核申报信息后提交。"),
    Phase("部门比对", "人社、住建、教委、税务、公安等部门将各项指标与本部门数据比对核验。"),
    Phase("复查", "申请人查看初步积分，可对有异议的指标申请复查，到区服务窗口现场核验。"),
    Phase("公示", "确定最终积分，拟落户人员名单向社会公示，接受监督。"),
    Phase("落户", "公示无异议的人员办理落户手续。"),
)


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "web/home.html", {"phases": PHASES})


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
