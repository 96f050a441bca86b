"""The Chinese name of every action the system records, for the auditor's page.

Actions are literal strings at their ``record_event`` calls (``"application.submit"``) or
module constants named ``*_ACTION``; views of personal data are ``"<app>.<model>.view"``
(:func:`jifen.audit.services.record_access`). tests/audit/test_actions.py finds every one in
``src/`` and fails when one has no name here: a new action gets its name in the same change.
"""

from __future__ import annotations

from django.apps import apps

ACTION_LABELS: dict[str, str] = {
    # accounts
    "account.register_applicant": "申请人注册",
    "account.register_employer": "用人单位注册",
    "account.create_staff": "创建工作人员账户",
    "account.login": "登录",
    "account.logout": "退出登录",
    "account.login_failed": "登录失败",
    "account.locked_out": "账户锁定",
    "account.second_factor_enrolled": "绑定身份验证器",
    "account.second_factor_verified": "通过双因素验证",
    "account.second_factor_failed": "双因素验证失败",
    "account.second_factor_reset": "重置身份验证器",
    "account.session_expired": "会话超过最长时限",
    "account.password_change": "修改密码",
    "account.password_reset_requested": "申请找回密码",
    "account.password_reset_failed": "找回密码验证码错误",
    "account.password_reset": "通过短信验证码重设密码",
    "account.password_reset_by_admin": "安全管理员重置密码",
    "account.unlock": "解除账户锁定",
    "account.disable": "停用账户",
    "account.enable": "启用账户",
    "api.token_issue": "签发接口访问令牌",
    "api.token_revoke": "注销接口访问令牌",
    # rounds
    "round.create": "创建积分落户年度",
    "rounds.scoring_start": "开始积分评定",
    "rounds.scoring_stop_request": "要求停止积分评定",
    "rounds.scoring_finish": "完成积分评定并更新评定结果",
    "rounds.scoring_stop": "积分评定已停止",
    "rounds.scoring_fail": "积分评定出错",
    "round.update": "变更年度参数",
    "applications.import": "批量导入申报",
    "round.import_published": "导入往年公布名单",
    # operations (运维)
    "ops.parameter_change": "修改系统参数",
    "ops.visit_record": "登记现场服务",
    "ops.visit_solve": "填写现场服务解决方法",
    "ops.visit_sign_off": "现场服务甲方确认",
    "ops.training_plan": "制定培训计划",
    "ops.training_held": "登记培训举办",
    "ops.training_cancel": "取消培训",
    "ops.training_material": "上传培训材料",
    "ops.cmdb_add": "新增配置项",
    "ops.cmdb_edit": "修改配置项",
    "ops.cmdb_retire": "停用配置项",
    "ops.cmdb_discover": "系统自动登记配置项",
    "ops.alert": "系统告警",
    "ops.incident_open": "登记故障",
    # operations: incidents and complaints (jifen.ops.incidents, jifen.ops.complaints)
    "ops.incident_respond": "响应故障",
    "ops.incident_analysis": "记录故障分析",
    "ops.incident_actions": "记录故障处理措施",
    "ops.incident_impact": "记录故障影响",
    "ops.incident_escalate": "升级为重大故障并启动应急预案",
    "ops.incident_resolve": "故障处理完成",
    "ops.incident_close": "关闭故障单",
    "ops.complaint_take": "受理投诉",
    "ops.complaint_answer": "答复投诉",
    "ops.complaint_escalate": "超期投诉升级",
    "ops.complaint.view": "查阅投诉人信息",
    "ops.inspection": "运维巡检",
    "ops.report_generate": "生成运维报告",
    "ops.report_download": "下载运维报告",
    "ops.backup": "数据备份",
    "ops.backup_prune": "按保留期清理备份",
    "ops.restore": "数据恢复",
    "ops.backup_drill": "恢复演练",
    # statistics (统计): ad-hoc questions and what-if
    "stats.adhoc_run": "应急统计查询",
    "stats.adhoc_export": "导出应急统计",
    "stats.adhoc_refused": "应急统计查询未完成（超时或被拒绝）",
    "stats.whatif": "模拟测算",
    "stats.whatif_export": "导出模拟测算",
    # links and applications
    "link.request": "申请关联用人单位",
    "link.cancel": "撤销单位关联",
    "link.confirm": "确认单位关联",
    "link.refuse": "拒绝单位关联",
    "application.start": "开始填报",
    "application.save": "保存填报项",
    "application.submit": "提交申报",
    "application.withdraw": "撤回申报",
    "application.return": "退回申请人修改",
    "application.employer_submit": "单位提交审核部门",
    "evidence.add": "上传证明材料",
    "evidence.delete": "删除证明材料",
    # verification (部门核验)
    "review.confirm": "核验确认",
    "review.correct": "核验更正",
    "review.reject": "核验不予认定",
    "review.bulk_confirm": "批量确认比对一致的核验事项",
    # verification: data comparisons
    "review.compare_start": "上传部门记录（数据比对）",
    "review.compare": "数据比对完成",
    "review.compare_refused": "部门记录文件被拒绝",
    "review.compare_failed": "数据比对出错",
    # re-checks (复查) and on-site checks (现场核验)
    "recheck.request": "申请复查",
    "recheck.evidence_add": "上传复查证明材料",
    "recheck.send_onsite": "转交现场核验",
    "recheck.onsite_record": "记录现场核验结果",
    "recheck.answer": "答复复查",
    # signals of duplicates and fraud (jifen.review.signals)
    "signal.detect": "检测异常信号",
    "signal.reopen": "异常信号成员变化，重新待处理",
    "signal.dismiss": "排除异常信号",
    "signal.confirm": "确认异常信号",
    # publication (公示), objections (异议) and settlement (落户): jifen.publication
    "publication.publish": "公示拟落户名单",
    "publication.republish": "重新公示拟落户名单",
    "objection.file": "提出公示异议",
    "objection.state": "异议转为核查中",
    "objection.answer": "答复公示异议",
    "objection.correct": "因异议更正核验结果",
    "settlement.record": "记录落户办理结果",
    # views of personal data (record_access: "<app>.<model>.view")
    "accounts.applicantprofile.view": "查阅申请人信息",
    "applications.application.view": "查阅申报内容",
    "audit.auditevent.view": "查阅审计日志",
    "data.view": "查阅个人信息",
    # the audit log itself
    "access.refused": "拒绝访问",
    "access.refused_summary": "拒绝访问（汇总）",
    "audit.checkpoint": "审计检查点",
    # personal data's life cycle (jifen.privacy, jifen.audit.exports)
    "personal_data.export": "导出个人信息",
    "privacy.expire_personal_data": "个人信息到期删除与匿名化",
    "privacy.correction_request": "申请更正个人信息",
    "privacy.correction_answer": "答复个人信息更正申请",
}

VIEW_SUFFIX = ".view"


def action_label(action: str) -> str:
    """The Chinese name of ``action``; a view of another model is named after the model; an
    unknown action (there should be none) is shown as it is."""
    if action in ACTION_LABELS:
        return ACTION_LABELS[action]
    if action.endswith(VIEW_SUFFIX):
        try:
            model = apps.get_model(action.removesuffix(VIEW_SUFFIX))
        except (LookupError, ValueError):
            return action
        return f"查阅{model._meta.verbose_name}"
    return action
