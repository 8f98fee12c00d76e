"""``wartemarke cert``: a small local certificate authority and a server certificate for HTTPS
on the venue's LAN.

Why a CA and not one self-signed certificate: the devices trust the CA once (``ca.crt``); when
the laptop gets another address at the next venue, ``wartemarke cert`` issues a new server
certificate from the same CA and no device needs touching again. Firefox also refuses a CA
certificate used as the server's own, and iOS offers "full trust" only for a CA. The CA carries
name constraints: it can vouch for private (RFC 1918, link-local, loopback) addresses and names
under ``.local`` only, plus the names given when it was made, so a device that trusts it trusts
it for nothing on the internet.

Made with the ``openssl`` command (Debian's package openssl, present wherever ca-certificates
is): one subcommand used once per installation does not justify the ``cryptography`` package
as a dependency.
"""

from __future__ import annotations

import ipaddress
import os
import secrets
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from .config import ConfigError

CA_DAYS = 3650
# Apple's platforms refuse TLS server certificates valid for longer than 825 days.
SERVER_DAYS = 825
# The multicast DNS name the laptop may announce itself by, always in the certificate.
MDNS_NAME = "wartemarke.local"
# Where the CA may vouch for addresses: private, link-local, shared (CGNAT) and loopback ranges.
PRIVATE_NETWORKS = (
    "10.0.0.0/8",
    "172.16.0.0/12",
    "192.168.0.0/16",
    "169.254.0.0/16",
    "100.64.0.0/10",
    "127.0.0.0/8",
    "fc00::/7",
    "fe80::/10",
    "::1/128",
)


@dataclass
class Issued:
    ca_cert: Path
    ca_key: Path
    cert: Path
    key: Path
    ca_created: bool
    fingerprint: str  # SHA-256 of ca.crt, to compare on a device before trusting it
    not_after: str
    dns: list[str] = field(default_factory=list)
    ips: list[str] = field(default_factory=list)


def split_names(hosts: list[str]) -> tuple[list[str], list[str]]:
    """(DNS names, IP addresses) of ``--host`` values; anything else is a ConfigError."""
    dns: list[str] = []
    ips: list[str] = []
    for host in hosts:
        host = host.strip().strip("[]").rstrip(".").lower()
        try:
            ips.append(str(ipaddress.ip_address(host)))
            continue
        except ValueError:
            pass
        labels = host.split(".")
        if not host or len(host) > 253 or not all(_is_label(label) for label in labels):
            raise ConfigError(f"--host {host!r} is neither an IP address nor a host name")
        dns.append(host)
    return dns, ips


def _is_label(label: str) -> bool:
    return (
        0 < len(label) <= 63
        and label[0] != "-"
        and label[-1] != "-"
        and all(c.isascii() and (c.isalnum() or c == "-") for c in label)
    )


def default_names() -> tuple[list[str], list[str]]:
    """What devices may open: wartemarke.local, this machine's name (and name.local),
    localhost, and every LAN address of this machine."""
    from .app import lan_address
    from .doctor import ip_addr_json, lan_addresses

    hostname = socket.gethostname().lower()
    dns = [MDNS_NAME, "localhost"]
    try:
        dns += split_names([hostname])[0]
        if "." not in hostname:
            dns.append(f"{hostname}.local")
    except ConfigError:
        pass  # a host name not fit for a certificate: the others do
    # A venue network on public addresses: those cannot be in the certificate (see the CA).
    lan = [ip for ip in lan_addresses(ip_addr_json(), lan_address()) if is_private(ip)]
    return dns, [*lan, "127.0.0.1", "::1"]


def is_private(ip: str) -> bool:
    address = ipaddress.ip_address(ip)
    return any(address in ipaddress.ip_network(net) for net in PRIVATE_NETWORKS)


def _openssl(*args: str, cwd: Path) -> str:
    binary = shutil.which("openssl")
    if binary is None:
        raise ConfigError("the openssl command is missing (Debian: apt-get install openssl)")
    # umask 077: the private keys are never readable by others, not even for a moment.
    done = subprocess.run(
        [binary, *args], cwd=cwd, capture_output=True, text=True, timeout=60, umask=0o077
    )
    if done.returncode != 0:
        raise ConfigError(f"openssl {args[0]} failed: {done.stderr.strip() or done.stdout}")
    return done.stdout


def _constraints(dns: list[str]) -> str:
    permitted = [f"permitted;DNS:{name}" for name in ("local", "localhost", *dns)]
    for net in PRIVATE_NETWORKS:
        network = ipaddress.ip_network(net)
        permitted.append(f"permitted;IP:{network.network_address}/{network.netmask}")
    return ",".join(dict.fromkeys(permitted))


def _make_ca(work: Path, dns: list[str]) -> None:
    host = socket.gethostname()[:40] or "wartemarke"
    _openssl(
        "req",
        "-x509",
        "-new",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-keyout",
        "ca.key",
        "-out",
        "ca.crt",
        "-days",
        str(CA_DAYS),
        "-subj",
        f"/O=Wartemarke/CN=Wartemarke local CA ({host})",
        "-addext",
        "basicConstraints=critical,CA:TRUE,pathlen:0",
        "-addext",
        "keyUsage=critical,keyCertSign,cRLSign",
        "-addext",
        f"nameConstraints=critical,{_constraints(dns)}",
        cwd=work,
    )


def _issue(work: Path, ca_dir: Path, dns: list[str], ips: list[str], days: int) -> None:
    names = [f"DNS:{name}" for name in dns] + [f"IP:{ip}" for ip in ips]
    (work / "server.ext").write_text(
        "basicConstraints = critical, CA:FALSE\n"
        "keyUsage = critical, digitalSignature\n"
        "extendedKeyUsage = serverAuth\n"
        "subjectKeyIdentifier = hash\n"
        "authorityKeyIdentifier = keyid\n"
        f"subjectAltName = {', '.join(names)}\n",
        encoding="ascii",
    )
    _openssl(
        "req",
        "-new",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-keyout",
        "server.key",
        "-out",
        "server.csr",
        "-subj",
        f"/O=Wartemarke/CN={dns[0] if dns else MDNS_NAME}",
        cwd=work,
    )
    _openssl(
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        str(ca_dir / "ca.crt"),
        "-CAkey",
        str(ca_dir / "ca.key"),
        "-set_serial",
        f"0x{secrets.token_hex(16)}",
        "-days",
        str(days),
        "-extfile",
        "server.ext",
        "-out",
        "server.crt",
        cwd=work,
    )


def issue(out: Path, hosts: list[str], days: int = SERVER_DAYS, new_ca: bool = False) -> Issued:
    """Write (or keep) ``ca.crt``/``ca.key`` and write a new ``server.crt``/``server.key`` in
    ``out`` for the default names plus ``hosts``. Nothing is replaced unless all went well."""
    if not 1 <= days <= SERVER_DAYS:
        raise ConfigError(f"--days must be from 1 to {SERVER_DAYS}")
    extra_dns, extra_ips = split_names(hosts)
    public = [ip for ip in extra_ips if not is_private(ip)]
    if public:
        raise ConfigError(
            f"--host {', '.join(public)}: not a private address; for a public address or "
            "domain use a certificate from the city's CA instead (see README: HTTPS)"
        )
    dns, ips = default_names()
    dns = list(dict.fromkeys([*extra_dns, *dns]))
    ips = list(dict.fromkeys([*extra_ips, *ips]))
    try:
        out.mkdir(parents=True, exist_ok=True, mode=0o755)
        work = Path(tempfile.mkdtemp(prefix=".cert-", dir=out))
    except OSError as exc:
        raise ConfigError(f"cannot write to {out}: {exc.strerror}") from None
    try:
        ca_created = new_ca or not ((out / "ca.crt").is_file() and (out / "ca.key").is_file())
        if ca_created:
            _make_ca(work, [d for d in dns if d != "localhost" and not d.endswith(".local")])
        ca_dir = work if ca_created else out
        _issue(work, ca_dir, dns, ips, days)
        try:
            _openssl("verify", "-CAfile", str(ca_dir / "ca.crt"), "server.crt", cwd=work)
        except ConfigError:
            raise ConfigError(
                f"the local CA in {out} may not vouch for all of {', '.join(dns)} "
                "(it covers private addresses, .local names and the names it was made "
                "for); make a new one with --new-ca, then every device must trust the new "
                "ca.crt"
            ) from None
        for name, mode in (("ca.key", 0o600), ("ca.crt", 0o644)):
            if ca_created:
                (work / name).chmod(mode)
                os.replace(work / name, out / name)
        (work / "server.key").chmod(0o600)
        (work / "server.crt").chmod(0o644)
        os.replace(work / "server.key", out / "server.key")
        os.replace(work / "server.crt", out / "server.crt")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    fingerprint = _openssl(
        "x509", "-in", "ca.crt", "-noout", "-fingerprint", "-sha256", cwd=out
    ).split("=", 1)[-1]
    not_after = _openssl("x509", "-in", "server.crt", "-noout", "-enddate", cwd=out)
    return Issued(
        ca_cert=out / "ca.crt",
        ca_key=out / "ca.key",
        cert=out / "server.crt",
        key=out / "server.key",
        ca_created=ca_created,
        fingerprint=fingerprint.strip(),
        not_after=not_after.split("=", 1)[-1].strip(),
        dns=dns,
        ips=ips,
    )


def describe(result: Issued) -> list[str]:
    made = "new" if result.ca_created else "kept"
    return [
        f"local CA ({made}): {result.ca_cert}",
        f"  SHA-256 {result.fingerprint}",
        "  install it on every device that opens Wartemarke over HTTPS (README: HTTPS)",
        f"server certificate: {result.cert} (key {result.key}), valid until {result.not_after}",
        f"  for {', '.join(result.dns + result.ips)}",
        f"start with: wartemarke serve --certfile {result.cert} --keyfile {result.key}",
    ]
