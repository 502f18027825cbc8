"""Java benchmarks: a Maven project (``pom.xml`` + ``src/main/java/function/Function.java``).

Staged context (the Dockerfile templates in ``dockerfiles/{platform}/java/`` read these names)::

    function/pom.xml          the benchmark's pom with ``<!-- PLATFORM_DEPENDENCIES -->`` filled
                              from systems.json ``deployment.packages`` (and, when Maven resolves
                              from Debian's repository, versions mapped onto what it holds)
    function/src/...          the benchmark's sources with the platform wrapper's ``src/`` merged in
    function/...              the benchmark's other files (templates/, resources)
    maven/settings.xml        Maven settings: the local repository, and Debian's repository as the
                              mirror of everything in ``debian`` mode
    maven/TrustStore.java     adds the build's CA bundle to the JDK's trust store (Maven Central
                              behind a TLS-inspecting proxy; the dependency stage only)

``FAASFORGE_MAVEN`` picks where Maven resolves: ``central`` (Maven Central, as SeBS), ``debian``
(``file:///usr/share/maven-repo`` in the build image: no network), or ``auto`` (default):
``debian`` when the builder image is faasforge's own Debian Java build image, else ``central``.
The user's pom is never edited; only the staged copy is.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from faasforge import resources
from faasforge.errors import ConfigError, InvalidValue, UsageError
from faasforge.languages import StageInput
from faasforge.model import ContextEntry

__all__ = [
    "DEBIAN_BUILD_IMAGE_PREFIX",
    "MAVEN_MODES",
    "PLACEHOLDER",
    "MavenPlan",
    "context_entries",
    "debian_artifacts",
    "fill_platform_dependencies",
    "map_to_debian",
    "maven_mode",
    "settings_xml",
]

PLACEHOLDER = "<!-- PLATFORM_DEPENDENCIES -->"
MAVEN_MODES = ("auto", "central", "debian")
DEBIAN_BUILD_IMAGE_PREFIX = "faasforge/build-java:"
DEBIAN_REPOSITORY = "file:///usr/share/maven-repo"
LOCAL_REPOSITORY = "/opt/faasforge/m2"
DEFAULT_PLUGIN_GROUP = "org.apache.maven.plugins"


@dataclass(frozen=True)
class MavenPlan:
    pom: bytes
    settings: bytes
    mode: str
    mapped: tuple[str, ...]  # "group:artifact a -> b" lines (debian mode)
    missing: tuple[str, ...]  # "group:artifact:version" Debian's repository does not hold


def maven_mode(builder_image: str) -> str:
    """``central`` or ``debian`` from ``FAASFORGE_MAVEN`` (``auto`` decides by the builder)."""
    configured = os.environ.get("FAASFORGE_MAVEN", "auto").strip().lower() or "auto"
    if configured not in MAVEN_MODES:
        raise InvalidValue("FAASFORGE_MAVEN", configured, MAVEN_MODES)
    if configured != "auto":
        return configured
    return "debian" if builder_image.startswith(DEBIAN_BUILD_IMAGE_PREFIX) else "central"


def settings_xml(mode: str) -> bytes:
    mirror = ""
    if mode == "debian":
        mirror = f"""
  <mirrors>
    <mirror>
      <id>debian</id>
      <name>Debian's Maven repository (Debian's Java packages), no network</name>
      <url>{DEBIAN_REPOSITORY}</url>
      <mirrorOf>*</mirrorOf>
    </mirror>
  </mirrors>"""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<!-- written by faasforge: Maven mode {mode} -->
<settings xmlns="http://maven.apache.org/SETTINGS/1.0.0">
  <localRepository>{LOCAL_REPOSITORY}</localRepository>
  <interactiveMode>false</interactiveMode>{mirror}
</settings>
""".encode()


# Maven Central behind a TLS-inspecting proxy: the build's CA bundle joins the JDK's own trust
# store, in one JVM (keytool takes one certificate per run). Java 8 compatible.
TRUST_STORE_JAVA = b"""import java.io.*;
import java.nio.file.*;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.*;

public class TrustStore {
    public static void main(String[] args) throws Exception {
        KeyStore store = KeyStore.getInstance("PKCS12");
        Path jdk = Paths.get(System.getProperty("java.home"), "lib", "security", "cacerts");
        try (InputStream in = Files.newInputStream(jdk)) {
            store.load(in, "changeit".toCharArray());
        } catch (IOException | GeneralSecurityException e) {
            store.load(null, null);
        }
        int added = 0;
        try (InputStream in = new BufferedInputStream(new FileInputStream(args[0]))) {
            for (Certificate cert : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
                store.setCertificateEntry("faasforge-" + added++, cert);
            }
        }
        try (OutputStream out = new FileOutputStream(args[1])) {
            store.store(out, "faasforge".toCharArray());
        }
        System.out.println("faasforge: " + added + " certificates of the build's CA bundle trusted");
    }
}
"""


def _packages(deployment: dict[str, object], where: str) -> list[tuple[str, str, str]]:
    """``deployment.packages`` as (group, artifact, version): SeBS's {"g:a": "v"} map, or a list
    of "g:a:v" strings."""
    raw = deployment.get("packages", {})
    items: list[tuple[str, str]] = []
    if isinstance(raw, dict):
        items = [(str(k), str(v)) for k, v in raw.items()]
    elif isinstance(raw, list):
        for entry in raw:
            name, _, version = str(entry).rpartition(":")
            items.append((name, version))
    else:
        raise ConfigError(f"{where}: deployment.packages must map 'groupId:artifactId' to a version")
    out = []
    for name, version in items:
        group, sep, artifact = name.strip("\"' ").partition(":")
        version = version.strip("\"' ")
        if not sep or not group or not artifact or not version:
            raise ConfigError(
                f"{where}: deployment.packages entry {name!r}: {version!r} is not 'groupId:artifactId' "
                "with a version"
            )
        out.append((group, artifact, version))
    return out


def fill_platform_dependencies(pom: str, packages: list[tuple[str, str, str]], where: str) -> str:
    """Replace SeBS's placeholder with one ``<dependency>`` per platform package."""
    if PLACEHOLDER not in pom:
        if not packages:
            return pom
        raise UsageError(
            f"{where} has no {PLACEHOLDER} placeholder for the platform's packages "
            f"({', '.join(f'{g}:{a}' for g, a, _ in packages)}); allowed: a pom.xml whose "
            f"<dependencies> holds the line {PLACEHOLDER}"
        )
    blocks = "\n".join(
        f"<dependency><groupId>{g}</groupId><artifactId>{a}</artifactId><version>{v}</version></dependency>"
        for g, a, v in packages
    )
    return pom.replace(PLACEHOLDER, blocks, 1)


@lru_cache(maxsize=1)
def debian_artifacts() -> dict[str, tuple[str, ...]]:
    """groupId:artifactId -> versions in Debian's Maven repository (config/maven-debian.json)."""
    path = resources.config_dir() / "maven-debian.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    return {k: tuple(v) for k, v in data["artifacts"].items()}


def _version_key(version: str) -> tuple[tuple[int, str], ...]:
    return tuple((int(p), "") if p.isdigit() else (-1, p) for p in re.split(r"[.-]", version))


_BLOCK = re.compile(r"<(dependency|plugin)>(.*?)</\1>", re.DOTALL)
# A block's own coordinates come before any nested section (exclusions, executions, ...).
_NESTED = re.compile(r"<(exclusions|executions|configuration|dependencies)>")


def _tag(text: str, name: str) -> re.Match[str] | None:
    return re.search(rf"<{name}>\s*([^<]*?)\s*</{name}>", text)


def map_to_debian(pom: str) -> tuple[str, list[str], list[str]]:
    """Map every plugin and dependency version onto one Debian's repository holds.

    A version Debian holds stays; otherwise the newest version Debian holds is used. Property
    references (``${...}``) stay as they are. Returns the pom, the mappings and the artifacts
    Debian does not hold (Maven will name them when it cannot resolve them).
    """
    table = debian_artifacts()
    mapped: list[str] = []
    missing: list[str] = []

    def rewrite(match: re.Match[str]) -> str:
        kind, body = match.group(1), match.group(2)
        nested = _NESTED.search(body)
        head_end = nested.start() if nested else len(body)
        head = body[:head_end]
        group_m, artifact_m, version_m = _tag(head, "groupId"), _tag(head, "artifactId"), _tag(head, "version")
        if artifact_m is None:
            return match.group(0)
        group = group_m.group(1) if group_m else (DEFAULT_PLUGIN_GROUP if kind == "plugin" else "")
        key = f"{group}:{artifact_m.group(1)}"
        version = version_m.group(1) if version_m else ""
        if version.startswith("${"):
            return match.group(0)
        available = table.get(key)
        if not available:
            missing.append(f"{key}:{version}" if version else key)
            return match.group(0)
        if version in available:
            return match.group(0)
        target = max(available, key=_version_key)
        if version_m is None:
            if kind == "plugin":  # Maven's default plugin version: Debian maps those already
                return match.group(0)
            new_head = head.replace(artifact_m.group(0), f"{artifact_m.group(0)}<version>{target}</version>", 1)
        else:
            new_head = head[: version_m.start()] + f"<version>{target}</version>" + head[version_m.end():]
        mapped.append(f"{key} {version or '(none)'} -> {target}")
        return f"<{kind}>{new_head}{body[head_end:]}</{kind}>"

    text = _BLOCK.sub(rewrite, pom)
    return text, mapped, missing


def plan_maven(inp: StageInput, pom_path: Path) -> MavenPlan:
    where = f"pom.xml of benchmark {inp.benchmark.name!r} ({str(pom_path)!r})"
    try:
        pom = pom_path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read {where}: {exc}") from None
    packages = _packages(inp.deployment, f"systems config {inp.request.platform}.languages.java")
    pom = fill_platform_dependencies(pom, packages, where)
    mode = maven_mode(inp.builder_image)
    mapped: list[str] = []
    missing: list[str] = []
    if mode == "debian":
        pom, mapped, missing = map_to_debian(pom)
        if mapped or missing:
            note = ["<!-- faasforge: Maven resolves from Debian's repository;"]
            note += [f"     mapped {line}" for line in mapped]
            note += [f"     not in Debian's repository: {line}" for line in missing]
            pom = pom.rstrip() + "\n" + "\n".join(note) + " -->\n"
    return MavenPlan(
        pom=pom.encode(), settings=settings_xml(mode), mode=mode, mapped=tuple(mapped), missing=tuple(missing)
    )


def context_entries(inp: StageInput) -> list[ContextEntry]:
    pom_path = inp.code_dir / "pom.xml"
    if not pom_path.is_file():
        raise UsageError(
            f"java benchmark {inp.benchmark.name!r} has no pom.xml in {str(inp.code_dir)!r}; allowed: "
            "a Maven project (pom.xml with <!-- PLATFORM_DEPENDENCIES -->, src/main/java/function/Function.java)"
        )
    entries: dict[str, ContextEntry] = {}
    for rel, real in inp.code_files():
        if rel.split("/", 1)[0] == "target":  # Maven's output of a local build
            continue
        entries[f"function/{rel}"] = ContextEntry(f"function/{rel}", source=real, executable=_executable(real))
    for rel, real in inp.wrappers.items():  # the wrapper's src/ merges into the benchmark's
        entries[f"function/{rel}"] = ContextEntry(f"function/{rel}", source=real, executable=_executable(real))
    maven = plan_maven(inp, pom_path)
    entries["function/pom.xml"] = ContextEntry("function/pom.xml", data=maven.pom)
    entries["maven/settings.xml"] = ContextEntry("maven/settings.xml", data=maven.settings)
    entries["maven/TrustStore.java"] = ContextEntry("maven/TrustStore.java", data=TRUST_STORE_JAVA)
    return list(entries.values())


def _executable(path: Path) -> bool:
    return bool(path.stat().st_mode & 0o111)
