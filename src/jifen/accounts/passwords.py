"""Password rules (AUTH_PASSWORD_VALIDATORS), every message in Chinese.

Django's own validators are kept for what they check; their messages come out partly in English
(the minimum length has no zh-hans translation for its plural form) and partly awkward
("密码跟 用户名 太相似了。"), so each one is subclassed here with its Chinese wording. One rule is
added: a password of nothing but spaces, or one character repeated, is refused however long.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import password_validation as django_validators
from django.core.exceptions import ValidationError

TRIVIAL_MESSAGE = "密码不能全是空格，也不能由同一个字符重复组成"


class MinimumLengthValidator(django_validators.MinimumLengthValidator):
    def get_error_message(self) -> str:
        return f"密码太短，至少需要{self.min_length}个字符"

    def get_help_text(self) -> str:
        return f"至少{self.min_length}个字符"


class UserAttributeSimilarityValidator(django_validators.UserAttributeSimilarityValidator):
    """Not like the user name, the person's name or the phone number."""

    DEFAULT_USER_ATTRIBUTES = ("username", "full_name", "phone")

    def __init__(
        self, user_attributes: Any = DEFAULT_USER_ATTRIBUTES, max_similarity: float = 0.7
    ) -> None:
        super().__init__(user_attributes=user_attributes, max_similarity=max_similarity)

    def get_error_message(self) -> str:
        return "密码与%(verbose_name)s太相似"

    def get_help_text(self) -> str:
        return "不能与用户名、姓名或手机号码相近"


class CommonPasswordValidator(django_validators.CommonPasswordValidator):
    def get_error_message(self) -> str:
        return "这个密码太常见，容易被猜中，请换一个"

    def get_help_text(self) -> str:
        return "不能是常见密码"


class NumericPasswordValidator(django_validators.NumericPasswordValidator):
    def get_error_message(self) -> str:
        return "密码不能全是数字"

    def get_help_text(self) -> str:
        return "不能全是数字"


class NotTrivialValidator:
    """Refuses a password made only of white space, or of one character repeated
    (``"            "``, ``"aaaaaaaaaaaa"``): long enough for the length rule, guessed at once."""

    def validate(self, password: str, user: Any = None) -> None:
        if not password:
            return  # the length rule speaks for an empty password
        if not password.strip() or len(set(password)) == 1:
            raise ValidationError(TRIVIAL_MESSAGE, code="password_trivial")

    def get_help_text(self) -> str:
        return "不能全是空格或同一个字符"


def password_problems(password: str, user: Any = None) -> list[str]:
    """Every rule ``password`` breaks, in Chinese (empty when it is acceptable)."""
    try:
        django_validators.validate_password(password, user)
    except ValidationError as exc:
        return list(exc.messages)
    return []
