#!/usr/bin/env bash
# Regenerate config/maven-debian.json: the Maven artifacts (groupId:artifactId -> versions) that
# Debian's Java packages install into /usr/share/maven-repo of faasforge's Java build image.
# Staging maps a pom's plugin and dependency versions onto these when Maven resolves from
# Debian's repository (FAASFORGE_MAVEN=debian, the default for faasforge's own build image).
#
#   scripts/maven-debian-table.sh [IMAGE]    (default faasforge/build-java:17-x64)
set -euo pipefail
IMAGE=${1:-faasforge/build-java:17-x64}
OUT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/config/maven-debian.json
docker run --rm -i --network none "$IMAGE" python3 - >"$OUT.tmp" <<'PY'
import json, os
root = "/usr/share/maven-repo"
found = {}
for dirpath, _dirs, files in os.walk(root):
    parts = os.path.relpath(dirpath, root).split("/")
    if len(parts) < 3 or not any(f.endswith(".pom") for f in files):
        continue
    version, artifact, group = parts[-1], parts[-2], ".".join(parts[:-2])
    if version == "debian" or version.endswith(".x"):  # Debian's aliases, not versions
        continue
    found.setdefault(f"{group}:{artifact}", set()).add(version)
lines = ["{", '  "_comment": "Maven artifacts in Debian bookworm\'s Maven repository (/usr/share/maven-repo) '
         "of faasforge/build-java:17-*: groupId:artifactId -> versions. Staging maps a pom's versions "
         'onto these when Maven resolves from Debian (FAASFORGE_MAVEN). Regenerate with '
         'scripts/maven-debian-table.sh.",', '  "artifacts": {']
items = sorted(found.items())
for i, (key, versions) in enumerate(items):
    comma = "," if i < len(items) - 1 else ""
    lines.append(f"    {json.dumps(key)}: {json.dumps(sorted(versions))}{comma}")
lines += ["  }", "}"]
print("\n".join(lines))
PY
mv "$OUT.tmp" "$OUT"
echo "wrote $OUT"
