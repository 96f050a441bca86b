"""The opening-day rush against ``make serve`` (deploy/serve.sh) on loopback.

    .venv/bin/locust -f bench/load/locustfile.py --host http://127.0.0.1:8221 \
        [ApplicantUser EmployerUser PublicListUser]      # the mix (default: all three)
    .venv/bin/locust -f bench/load/locustfile.py PublicListUser ...   # the public list alone

The accounts come from bench/load/seed.py (LOAD_ACCOUNTS, a JSON file). Each simulated person
signs in once when it starts and keeps its session, as people do (the password hash is Argon2,
tens of milliseconds of CPU by design: a login per request would measure the hasher, not the
system). Weights follow the opening day: status checks, draft saves and the public list carry
most of the traffic; self-assessments, submissions and the employers' reviews are rarer.
Requests are named by route (``/my/applications/[id]/…``) so locust's table is per endpoint.
"""

from __future__ import annotations

import json
import os
import random
import re
from itertools import count
from pathlib import Path

from locust import between, events, task
from locust.contrib.fasthttp import FastHttpUser

ACCOUNTS = Path(os.environ.get("LOAD_ACCOUNTS", "bench/out/load/accounts.json"))
# The declaration's version in a form (the section page puts an id between name and value).
VERSION = re.compile(r'name="version"[^>]*?\svalue="(\d+)"')
EMPLOYER_APP = re.compile(r"/my/employer/applications/(\d+)/")
TAX_AMOUNTS = ("80000", "120000", "150000.50", "96000", "210000")

_data: dict = {}
_next = {"applicant": count(), "employer": count()}
_slot = {"index": 0, "of": 1}


@events.init.add_listener
def _load_accounts(environment, **_kwargs) -> None:
    """Each locust process hands out its own slice of the accounts (index, index + n, …), so
    no two simulated people share one, whatever ``--processes`` is."""
    runner = environment.runner
    _slot["index"] = getattr(runner, "worker_index", 0) or 0
    _slot["of"] = max(1, int(os.environ.get("LOAD_PROCESSES", "1")))
    if ACCOUNTS.exists():
        _data.update(json.loads(ACCOUNTS.read_text(encoding="utf-8")))


def _account(kind: str) -> dict:
    pool = _data[f"{kind}s"]
    n = next(_next[kind]) * _slot["of"] + _slot["index"]
    if n >= len(pool):
        raise RuntimeError(f"bench/load: more simulated {kind}s than seeded ({len(pool)})")
    return pool[n]


class SignedIn(FastHttpUser):
    abstract = True
    # Keep-alive connections, as a browser keeps them.
    concurrency = 1
    insecure = True

    def csrf(self) -> str:
        for cookie in self.client.cookiejar:
            if cookie.name == "csrftoken":
                return cookie.value
        return ""

    def post(self, path: str, data: dict, *, name: str, ok: tuple[int, ...] = (200, 302),
             headers: dict | None = None):
        with self.client.post(
            path, data={**data, "csrfmiddlewaretoken": self.csrf()}, name=name,
            headers={"Referer": self.host + path, **(headers or {})},
            allow_redirects=False, catch_response=True,
        ) as response:
            if response.status_code not in ok:
                response.failure(f"{response.status_code}: {response.text[:200]!r}")
            else:
                response.success()
            return response

    def sign_in(self, username: str) -> None:
        self.client.get("/accounts/login/", name="/accounts/login/ [GET]")
        response = self.post("/accounts/login/", {
            "username": username, "password": _data["password"],
        }, name="/accounts/login/ [POST]", ok=(302,))
        if response.status_code != 302:
            raise RuntimeError(f"bench/load: {username} could not sign in")


class ApplicantUser(SignedIn):
    """An applicant during the declaration window: the status page, the draft (open, save),
    the self-assessment, a submission when the declaration is complete, the message centre."""

    weight = 14
    wait_time = between(0.5, 2.0)

    def on_start(self) -> None:
        account = _account("applicant")
        self.app = account["application"]
        self.ready = account["ready"]
        self.submitted = account["submitted"]
        self.version: int | None = None
        self.sign_in(account["username"])
        self.open_section("tax")

    def open_section(self, key: str) -> None:
        response = self.client.get(f"/my/applications/{self.app}/sections/{key}/",
                                   name="/my/applications/[id]/sections/[key]/")
        found = VERSION.search(response.text or "")
        if found:
            self.version = int(found.group(1))

    @task(30)
    def status(self) -> None:
        self.client.get("/my/", name="/my/")

    @task(15)
    def open_draft(self) -> None:
        self.open_section(random.choice(("tax", "employment", "housing", "education")))

    @task(25)
    def save_draft(self) -> None:
        if self.submitted or self.version is None:
            self.open_section("tax")
            return
        year = int(_data["year"])
        if self.ready:  # the complete declaration stays as it is (its evidence fits it)
            amounts = ("120000", "80000", "150000.50")
        else:
            amounts = tuple(random.choice(TAX_AMOUNTS) for _ in range(3))
        fields = {f"tax-{year - 3 + i}": amount for i, amount in enumerate(amounts)}
        with self.client.post(
            f"/my/applications/{self.app}/sections/tax/autosave/",
            data={**fields, "version": str(self.version)},
            headers={"X-CSRFToken": self.csrf(), "Referer": self.host + "/my/"},
            name="/my/applications/[id]/sections/[key]/autosave/", catch_response=True,
        ) as response:
            if response.status_code == 200:
                self.version = response.json()["version"]
                response.success()
            else:
                response.failure(f"{response.status_code}: {response.text[:200]!r}")

    @task(6)
    def self_assess(self) -> None:
        self.client.get(f"/my/applications/{self.app}/assessment/",
                        name="/my/applications/[id]/assessment/")

    @task(2)
    def submit(self) -> None:
        if not self.ready or self.submitted or self.version is None:
            self.client.get("/my/", name="/my/")
            return
        self.client.get(f"/my/applications/{self.app}/submit/",
                        name="/my/applications/[id]/submit/ [GET]")
        response = self.post(f"/my/applications/{self.app}/submit/",
                             {"version": str(self.version)},
                             name="/my/applications/[id]/submit/ [POST]", ok=(302,))
        if response.status_code == 302:
            self.submitted = True

    @task(3)
    def messages(self) -> None:
        self.client.get("/messages/", name="/messages/")


class EmployerUser(SignedIn):
    """An employer's agent: the review queue, a declaration, and confirming it (passing it on
    to the departments)."""

    weight = 1
    wait_time = between(1.0, 3.0)

    def on_start(self) -> None:
        self.queue: list[str] = []
        self.sign_in(_account("employer")["username"])

    @task(4)
    def home(self) -> None:
        response = self.client.get("/my/employer/?status=submitted",
                                   name="/my/employer/?status=submitted")
        self.queue = EMPLOYER_APP.findall(response.text or "")

    @task(3)
    def review(self) -> None:
        if not self.queue:
            self.client.get("/my/employer/", name="/my/employer/")
            return
        app = self.queue.pop(random.randrange(len(self.queue)))
        response = self.client.get(f"/my/employer/applications/{app}/",
                                   name="/my/employer/applications/[id]/")
        found = VERSION.search(response.text or "")
        if found and random.random() < 0.5:
            self.post(f"/my/employer/applications/{app}/submit/", {"version": found.group(1)},
                      name="/my/employer/applications/[id]/submit/", ok=(302,))


class PublicListUser(FastHttpUser):
    """Anyone reading last year's published list (公示): its first pages most, a search by
    name or employer, a look-up by rank."""

    weight = 5
    wait_time = between(0.5, 2.0)

    def on_start(self) -> None:
        self.year = _data.get("published_year", 2025)
        self.pages = max(1, int(_data.get("listed", 6000)) // 50)

    @task(10)
    def first_page(self) -> None:
        self.client.get(f"/gongshi/{self.year}/", name="/gongshi/[year]/")

    @task(5)
    def page(self) -> None:
        page = min(self.pages, int(random.paretovariate(1.2)))
        self.client.get(f"/gongshi/{self.year}/?page={page}", name="/gongshi/[year]/?page=")

    @task(2)
    def search(self) -> None:
        q = random.choice(("王", "李", "张", "科技", "信息", "刘", "陈"))
        self.client.get(f"/gongshi/{self.year}/?q={q}", name="/gongshi/[year]/?q=")

    @task(2)
    def api(self) -> None:
        page = min(self.pages, int(random.paretovariate(1.2)))
        self.client.get(f"/api/gongshi/{self.year}?page={page}", name="/api/gongshi/[year]")

    @task(1)
    def rank(self) -> None:
        self.client.get(f"/gongshi/{self.year}/?rank={random.randint(1, self.pages * 50)}",
                        name="/gongshi/[year]/?rank=")


class PublicListOnly(PublicListUser):
    """The public-list run (``PublicListOnly`` on the command line): no think time, to find
    the page's throughput."""

    wait_time = between(0, 0)
