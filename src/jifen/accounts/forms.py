"""Registration and login forms (the checks themselves live in services)."""

from __future__ import annotations

from django import forms
from django.contrib.auth.forms import AuthenticationForm

from jifen.core.text import FOREIGN_DIGIT_MESSAGE, foreign_digit, halfwidth
from jifen.rules.ruleset import newest_rule_set

CODE_FORMAT = "请输入6位数字验证码"


class LoginForm(AuthenticationForm):
    username = forms.CharField(label="用户名", max_length=40)
    password = forms.CharField(label="密码", strip=False, widget=forms.PasswordInput)

    error_messages = {
        "invalid_login": "用户名或密码不正确。",
        "inactive": "该账户已停用。",
    }

    def clean_username(self) -> str:
        # A user name typed in full width (a Chinese input method) is the ASCII one.
        return halfwidth(self.cleaned_data["username"]).strip()


def _password_field(label: str = "密码") -> forms.CharField:
    # A refused form never sends a password back into the page: it is typed again.
    return forms.CharField(
        label=label,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text="至少12位，不能全为数字、全为空格或同一字符重复，不能与用户名相近",
    )


def _password2_field() -> forms.CharField:
    return forms.CharField(
        label="确认密码",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
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
    # Lengths and formats are the service's checks (its messages are the specific ones).
    id_number = forms.CharField(
        label="公民身份号码",
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "text"}),
    )
    phone = forms.CharField(label="手机号码", widget=forms.TextInput(attrs={"inputmode": "tel"}))
    username = forms.CharField(
        label="用户名", max_length=40, help_text="4到40位字母、数字或符号，用于登录"
    )
    password = _password_field()
    password2 = _password2_field()


def _district_choices() -> list[tuple[str, str]]:
    # In the official order the rule set keeps (东城区 first), not by code point.
    return [("", "请选择"), *[(d, d) for d in newest_rule_set().districts]]


class EmployerRegistrationForm(_PasswordsMatch):
    employer_name = forms.CharField(label="单位名称", max_length=200)
    credit_code = forms.CharField(label="统一社会信用代码")
    district = forms.ChoiceField(label="单位所在区", choices=_district_choices)
    agent_name = forms.CharField(label="经办人姓名", max_length=30)
    phone = forms.CharField(
        label="经办人手机号码", widget=forms.TextInput(attrs={"inputmode": "tel"})
    )
    username = forms.CharField(label="用户名", max_length=40, help_text="经办人登录用")
    password = _password_field()
    password2 = _password2_field()


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
        return clean_six_digits(self.cleaned_data["code"])


def clean_six_digits(value: str) -> str:
    """A 6-digit code as typed: full-width digits and spaces allowed, other scripts' digits
    refused with a message that says why."""
    code = "".join(halfwidth(value).split())
    if foreign_digit(code):
        raise forms.ValidationError(FOREIGN_DIGIT_MESSAGE)
    if len(code) != 6 or not code.isascii() or not code.isdigit():
        raise forms.ValidationError(CODE_FORMAT)
    return code


# --- passwords: change and reset (jifen.accounts.recovery) -------------------------------------


class _NewPasswordsMatch(forms.Form):
    def clean(self) -> dict:
        data = super().clean()
        if data.get("new_password") and data.get("new_password") != data.get("new_password2"):
            self.add_error("new_password2", "两次输入的新密码不一致")
        return data


class PasswordChangeForm(_NewPasswordsMatch):
    old_password = forms.CharField(
        label="原密码", strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    new_password = _password_field("新密码")
    new_password2 = forms.CharField(
        label="确认新密码", strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )


class ResetRequestForm(forms.Form):
    identifier = forms.CharField(
        label="用户名或公民身份号码", max_length=150,
        help_text="申请人可填写公民身份号码；单位经办人请填写用户名",
        widget=forms.TextInput(attrs={"autocomplete": "username"}),
    )
    phone = forms.CharField(
        label="注册时填写的手机号码", max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
    )


class ResetConfirmForm(_NewPasswordsMatch):
    code = forms.CharField(
        label="短信验证码", max_length=12,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )
    new_password = _password_field("新密码")
    new_password2 = forms.CharField(
        label="确认新密码", strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
