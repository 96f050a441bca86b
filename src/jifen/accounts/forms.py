"""Registration and login forms (the checks themselves live in services)."""

from __future__ import annotations

from django import forms
from django.contrib.auth.forms import AuthenticationForm

from jifen.rules.ruleset import newest_rule_set

CODE_FORMAT = "请输入6位数字验证码"


class LoginForm(AuthenticationForm):
    username = forms.CharField(label="用户名", max_length=40)
    password = forms.CharField(label="密码", strip=False, widget=forms.PasswordInput)

    error_messages = {
        "invalid_login": "用户名或密码不正确。",
        "inactive": "该账户已停用。",
    }


def _password_field() -> forms.CharField:
    # render_value: a form rejected for another field keeps the password typed.
    return forms.CharField(
        label="密码",
        strip=False,
        widget=forms.PasswordInput(render_value=True),
        help_text="至少12位，不能全为数字，不能与用户名相近",
    )


class _PasswordsMatch(forms.Form):
    """Registration forms: "password" and "password2" must agree (no fields of its own, so
    the subclass keeps its field order)."""

    def clean(self) -> dict:
        data = super().clean()
        if data.get("password") and data.get("password") != data.get("password2"):
            self.add_error("password2", "两次输入的密码不一致")
        return data


class ApplicantRegistrationForm(_PasswordsMatch):
    name = forms.CharField(label="姓名", max_length=30)
    id_number = forms.CharField(
        label="公民身份号码",
        max_length=18,
        min_length=18,
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "text"}),
    )
    phone = forms.CharField(
        label="手机号码", max_length=11, widget=forms.TextInput(attrs={"inputmode": "tel"})
    )
    username = forms.CharField(
        label="用户名", max_length=40, help_text="4到40位字母、数字或符号，用于登录"
    )
    password = _password_field()
    password2 = forms.CharField(
        label="确认密码", strip=False, widget=forms.PasswordInput(render_value=True)
    )


def _district_choices() -> list[tuple[str, str]]:
    # In the official order the rule set keeps (东城区 first), not by code point.
    return [("", "请选择"), *[(d, d) for d in newest_rule_set().districts]]


class EmployerRegistrationForm(_PasswordsMatch):
    employer_name = forms.CharField(label="单位名称", max_length=200)
    credit_code = forms.CharField(label="统一社会信用代码", max_length=18, min_length=18)
    district = forms.ChoiceField(label="单位所在区", choices=_district_choices)
    agent_name = forms.CharField(label="经办人姓名", max_length=30)
    phone = forms.CharField(
        label="经办人手机号码", max_length=11, widget=forms.TextInput(attrs={"inputmode": "tel"})
    )
    username = forms.CharField(label="用户名", max_length=40, help_text="经办人登录用")
    password = _password_field()
    password2 = forms.CharField(
        label="确认密码", strip=False, widget=forms.PasswordInput(render_value=True)
    )


class OTPCodeForm(forms.Form):
    """The 6-digit code of the staff's authenticator app (spaces are ignored)."""

    code = forms.CharField(
        label="动态验证码",
        max_length=12,
        error_messages={"required": CODE_FORMAT},
        help_text="身份验证器应用中显示的6位数字，每30秒更新一次",
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )

    def clean_code(self) -> str:
        code = "".join(self.cleaned_data["code"].split())
        if len(code) != 6 or not code.isascii() or not code.isdigit():
            raise forms.ValidationError(CODE_FORMAT)
        return code
