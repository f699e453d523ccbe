#!/usr/bin/env bash
# Installs FerretDB (the MongoDB-compatible server the read store tests use in place of MongoDB)
# into $(go env GOPATH)/bin/ferretdb, built from source with the Go toolchain.
#
# Why not `go install github.com/FerretDB/FerretDB/cmd/ferretdb@v1.24.2`: it asks the module
# proxy for the module's version list (deprecation check), which some proxies refuse, and the
# binary it builds panics at start because the release's build/version/version.txt is not part
# of the module. So we fetch the exact version into a scratch module, copy its source, write
# version.txt, switch the telemetry default to "disable", and build that copy.
#
# Usage: scripts/install-ferretdb.sh [--force]
set -euo pipefail

readonly VERSION="${FERRETDB_VERSION:-v1.24.2}"
readonly MODULE="github.com/FerretDB/FerretDB"

force=0
[[ "${1:-}" == "--force" ]] && force=1

command -v go >/dev/null 2>&1 || { echo "install-ferretdb: Go toolchain not found on PATH" >&2; exit 1; }

gobin="$(go env GOBIN)"
[[ -n "$gobin" ]] || gobin="$(go env GOPATH)/bin"
target="$gobin/ferretdb"

installed_version() {
  # Prints e.g. "v1.24.2"; a binary built without version.txt panics here and prints nothing.
  "$1" --version 2>/dev/null | awk '$1 == "version:" { print $2; exit }'
}

if [[ $force -eq 0 && -x "$target" ]]; then
  have="$(installed_version "$target" || true)"
  if [[ "$have" == "$VERSION" ]]; then
    echo "install-ferretdb: $target is already FerretDB $VERSION"
    exit 0
  fi
  echo "install-ferretdb: replacing $target (found '${have:-unknown}', want $VERSION)"
fi

work="$(mktemp -d)"
trap 'chmod -R u+w "$work" 2>/dev/null || true; rm -rf "$work"' EXIT

echo "install-ferretdb: fetching $MODULE@$VERSION"
(
  cd "$work"
  go mod init ferretdb-install >/dev/null 2>&1
  go get "$MODULE/cmd/ferretdb@$VERSION"
)
src_cache="$(cd "$work" && go list -m -f '{{.Dir}}' "$MODULE")"
[[ -d "$src_cache" ]] || { echo "install-ferretdb: module source not found after go get" >&2; exit 1; }

src="$work/src"
cp -R "$src_cache" "$src"
chmod -R u+w "$src"

# Release builds generate these files from git; a module copy has none, and FerretDB refuses to
# start without version.txt.
echo "$VERSION" >"$src/build/version/version.txt"
echo "source" >"$src/build/version/package.txt"

# Telemetry off by default for this build (the --telemetry flag and DO_NOT_TRACK still apply).
main_go="$src/cmd/ferretdb/main.go"
grep -q 'Telemetry telemetry.Flag `default:"undecided"' "$main_go" || {
  echo "install-ferretdb: telemetry flag not found in $main_go; refusing to build an unexpected source" >&2
  exit 1
}
sed -i 's/Telemetry telemetry.Flag `default:"undecided"/Telemetry telemetry.Flag `default:"disable"/' "$main_go"

echo "install-ferretdb: building (this takes a few minutes)"
mkdir -p "$gobin"
(
  cd "$src"
  GOFLAGS="-buildvcs=false -mod=mod" go build -trimpath -o "$target.tmp" ./cmd/ferretdb
)
mv -f "$target.tmp" "$target"

"$target" --version
echo "install-ferretdb: installed $target"
