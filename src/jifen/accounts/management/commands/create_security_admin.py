"""manage.py create_security_admin USERNAME --full-name NAME — a security administrator's account
(安全管理员), the first of a new installation or another one later."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from jifen.accounts.administration import temporary_password
from jifen.accounts.models import User
from jifen.accounts.services import create_staff_user, plain
from jifen.audit.context import audit_context
from jifen.core.errors import InvalidInput
from jifen.core.roles import Role


class Command(BaseCommand):
    help = (
        "Create a security administrator (安全管理员) with a temporary password, printed once; "
        "its owner sets their own password and binds an authenticator at the first sign-in. "
        "Security administrators create every other staff account on the web "
        "(/staff/accounts/new/), "
        "but never one of their own kind (三员分立): those are made here, on the server. "
        "Audited as account.create_staff on the cli channel. Last line: one JSON object "
        '{"username", "role", "password"}; exit status 1 when the name is taken or invalid.'
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username", help="the new account's user name")
        parser.add_argument("--full-name", required=True, help="the person's name")
        parser.add_argument("--phone", default="", help="the person's mobile number")

    def handle(self, *args: Any, **options: Any) -> None:
        username, full_name = plain(options["username"]), options["full_name"].strip()
        if not full_name:
            raise CommandError("--full-name: 请输入姓名")
        if User.objects.filter(username=username).exists():
            raise CommandError(f"username: 用户名“{username}”已被使用")
        phone = plain(options["phone"])
        password = temporary_password(User(username=username, full_name=full_name, phone=phone))
        try:
            with transaction.atomic(), audit_context(channel="cli"):
                user = create_staff_user(
                    actor=None, username=username, password=password,
                    role=Role.SECURITY_ADMIN, full_name=full_name, phone=phone,
                )
                user.must_change_password = True
                user.save(update_fields=["must_change_password"])
        except InvalidInput as exc:
            raise CommandError(
                "; ".join(f"{e.field}: {e.message}" for e in exc.errors) or exc.message
            ) from exc
        self.stdout.write(
            f"{username}: 安全管理员账户已创建。临时密码只显示这一次，"
            "首次登录须修改密码并绑定身份验证器。"
        )
        self.stdout.write(
            json.dumps({"username": username, "role": user.role, "password": password},
                       ensure_ascii=False)
        )
