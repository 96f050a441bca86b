"""deploy/nginx/jifen.conf made into a front for `make serve` on this machine (SERVE_FRONT=nginx).

    python deploy/nginx/local_front.py --listen 127.0.0.1:8000 --app 127.0.0.1:8001 \
        --static var/serve/staticfiles --dir var/serve/nginx-8000

Writes ``<dir>/nginx.conf`` and prints its path. The example's HTTPS server is used as it is —
its locations, upload limits, static files, error pages and the public list's cache — on plain
HTTP (loopback, like jifen.settings.serve), with the one application node given by ``--app``;
the plain-HTTP server of the example (health probes and the redirect to HTTPS) is left out, as
there is no HTTPS to send anyone to. Everything nginx writes (pid, logs, temporary files, the
cache) goes under ``--dir``. tests/serving/test_serve_front.py runs it.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
from pathlib import Path

NGINX_DIR = Path(__file__).resolve().parent


def local_site(conf: str, *, listen: str, app: str, root: Path, folder: Path) -> str:
    """The example's http-level blocks and its HTTPS server, on plain HTTP at ``listen``."""
    head, rest = conf.split("# --- plain HTTP", 1)
    secure = "# --- HTTPS" + rest.split("# --- HTTPS", 1)[1]
    head = re.sub(
        r"(    server 10\.0\.1\.\d+:8000 [^;]*;\n)+", f"    server {app};\n", head
    )
    if f"server {app};" not in head:
        raise SystemExit("local_front: the example's upstream servers were not found")
    head = head.replace("/var/cache/nginx/jifen-public", str(folder / "cache"))
    secure = secure.replace("listen 443 ssl http2;", f"listen {listen};")
    secure = re.sub(r"\n    listen \[::\]:443[^;]*;", "", secure)
    secure = re.sub(r"\n    ssl_[a-z_]+ [^;]*;", "", secure)
    site = head + secure
    site = site.replace("/etc/nginx/jifen-", f"{folder}/jifen-").replace("/srv/jifen", str(root))
    return site


def write(listen: str, app: str, static: Path, folder: Path, workers: int = 1) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    root = folder / "srv"
    root.mkdir(exist_ok=True)
    link = root / "static"
    if link.is_symlink() or link.exists():
        link.unlink()
    link.symlink_to(static.resolve(), target_is_directory=True)
    shutil.rmtree(root / "errors", ignore_errors=True)
    shutil.copytree(NGINX_DIR / "errors", root / "errors")
    for include in NGINX_DIR.glob("jifen-*.conf"):
        shutil.copyfile(include, folder / include.name)
    site = local_site((NGINX_DIR / "jifen.conf").read_text(), listen=listen, app=app,
                      root=root, folder=folder)
    (folder / "jifen.conf").write_text(site)
    main = folder / "nginx.conf"
    # Started by root (CI, a container), nginx's workers would run as "nobody" and could read
    # neither the files under SERVE_VAR nor write the cache there: this loopback front runs
    # them as the user who started it, as it does for anyone else.
    user = "user root;\n" if os.geteuid() == 0 else ""
    main.write_text(
        # In the foreground under serve.sh, which stops it with the rest.
        f"daemon off;\n{user}worker_processes {workers};\npid {folder}/nginx.pid;\n"
        f"error_log {folder}/error.log warn;\n"
        "events { worker_connections 2048; }\n"
        "http {\n"
        "  include /etc/nginx/mime.types;\n"
        "  default_type application/octet-stream;\n"
        "  sendfile on;\n"
        "  tcp_nopush on;\n"
        "  keepalive_timeout 65s;\n"
        "  keepalive_requests 100000;\n"
        f"  access_log {folder}/access.log combined buffer=64k flush=1s;\n"
        f"  client_body_temp_path {folder}/body;\n"
        f"  proxy_temp_path {folder}/proxy;\n"
        f"  fastcgi_temp_path {folder}/fastcgi;\n"
        f"  uwsgi_temp_path {folder}/uwsgi;\n"
        f"  scgi_temp_path {folder}/scgi;\n"
        f"  include {folder}/jifen.conf;\n"
        "}\n"
    )
    return main


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--listen", required=True, help="address:port nginx listens on")
    parser.add_argument("--app", required=True, help="address:port of gunicorn")
    parser.add_argument("--static", required=True, type=Path, help="STATIC_ROOT")
    parser.add_argument("--dir", required=True, type=Path, help="nginx's own files")
    parser.add_argument("--workers", type=int, default=1, help="nginx worker processes")
    args = parser.parse_args()
    print(write(args.listen, args.app, args.static, args.dir.resolve(), args.workers))


if __name__ == "__main__":
    main()
