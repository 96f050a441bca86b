"""Login, logout and registration pages."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from jifen.core.errors import ServiceError
from jifen.core.forms import apply_service_error

from . import services
from .forms import ApplicantRegistrationForm, EmployerRegistrationForm, LoginForm


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True


@require_http_methods(["GET", "POST"])
def register_applicant(request: HttpRequest) -> HttpResponse:
    form = ApplicantRegistrationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            user = services.register_applicant(
                username=d["username"],
                password=d["password"],
                id_number=d["id_number"],
                name=d["name"],
                phone=d["phone"],
            )
        except ServiceError as exc:
            apply_service_error(form, exc)
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, "注册成功。下一步：输入单位注册码，关联您的用人单位。")
            return redirect("web:dashboard")
    return render(request, "accounts/register_applicant.html", {"form": form})


@require_http_methods(["GET", "POST"])
def register_employer(request: HttpRequest) -> HttpResponse:
    form = EmployerRegistrationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            user = services.register_employer(
                employer_name=d["employer_name"],
                credit_code=d["credit_code"],
                district=d["district"],
                username=d["username"],
                password=d["password"],
                agent_name=d["agent_name"],
                phone=d["phone"],
            )
        except ServiceError as exc:
            apply_service_error(form, exc)
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(
                request,
                f"单位注册成功。单位注册码：{user.employer.code}，请告知本单位申请人用于关联。",
            )
            return redirect("web:dashboard")
    return render(request, "accounts/register_employer.html", {"form": form})
