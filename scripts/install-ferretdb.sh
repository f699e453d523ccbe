#!/usr/bin/env bash
# Installs FerretDB (the MongoDB-compatible server the read store tests use in place of MongoDB)
# into $(go env GOPATH)/bin/ferretdb, built from source with the Go toolchain.
#
# Why not `go install github.com/FerretDB/FerretDB/cmd/ferretdb@v1.24.2`: it asks the module
# proxy for the module's version list (deprecation check), which some proxies refuse, and the
# binary it builds panics at start because the release's build/version/version.txt is not part
# of the module. So we fetch the exact version into a scratch module, copy its source, write
# version.txt, switch the telemetry default to "disable", apply the patch below, and build that
# copy.
#
# The patch makes FerretDB's SQLite backend use its _id index, as MongoDB does, without changing
# what any command answers. v1.24 looks documents up by `_ferretdb_sjson->'$._id'` while the _id_
# index is on `_ferretdb_sjson->"_id"`, so SQLite never uses the index and every find, update or
# delete by _id scans the table; and it pushes an _id equality down only
# when the filter holds nothing else, so `{ _id, position: { $lt } }` (the read store's guarded
# write) reads and decodes the whole collection. A rebuild is then quadratic in the log: 18
# events/s on a 1,000-event log. Patched, both use the index; the handler still applies the whole
# filter to what the backend returns, so only the plan changes.
#
# Usage: scripts/install-ferretdb.sh [--force]
set -euo pipefail

readonly VERSION="${FERRETDB_VERSION:-v1.24.2}"
readonly MODULE="github.com/FerretDB/FerretDB"
# Shown by `ferretdb --version` as "package:"; tells a patched build from a stock one.
readonly PACKAGE="source-patched-id-index"

force=0
[[ "${1:-}" == "--force" ]] && force=1

command -v go >/dev/null 2>&1 || { echo "install-ferretdb: Go toolchain not found on PATH" >&2; exit 1; }

gobin="$(go env GOBIN)"
[[ -n "$gobin" ]] || gobin="$(go env GOPATH)/bin"
target="$gobin/ferretdb"

installed_build() {
  # Prints e.g. "v1.24.2 source-patched-id-index"; a binary built without version.txt panics
  # here and prints nothing.
  "$1" --version 2>/dev/null |
    awk '$1 == "version:" { v = $2 } $1 == "package:" { p = $2 } END { if (v != "") print v, p }'
}

if [[ $force -eq 0 && -x "$target" ]]; then
  have="$(installed_build "$target" || true)"
  if [[ "$have" == "$VERSION $PACKAGE" ]]; then
    echo "install-ferretdb: $target is already FerretDB $VERSION ($PACKAGE)"
    exit 0
  fi
  echo "install-ferretdb: replacing $target (found '${have:-unknown}', want '$VERSION $PACKAGE')"
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
echo "$PACKAGE" >"$src/build/version/package.txt"

# Telemetry off by default for this build (the --telemetry flag and DO_NOT_TRACK still apply).
main_go="$src/cmd/ferretdb/main.go"
grep -q 'Telemetry telemetry.Flag `default:"undecided"' "$main_go" || {
  echo "install-ferretdb: telemetry flag not found in $main_go; refusing to build an unexpected source" >&2
  exit 1
}
sed -i 's/Telemetry telemetry.Flag `default:"undecided"/Telemetry telemetry.Flag `default:"disable"/' "$main_go"

# The patch (see the top of this file). `patch` refuses a source it does not fit.
patch --batch --forward --silent -p1 -d "$src" <<'PATCH' || {
--- a/internal/backends/sqlite/collection.go
+++ b/internal/backends/sqlite/collection.go
@@ -72,13 +72,9 @@
 
 	// that logic should exist in one place
 	// TODO https://github.com/FerretDB/FerretDB/issues/3235
-	if params.Filter.Len() == 1 {
-		v, _ := params.Filter.Get("_id")
-		switch v.(type) {
-		case string, types.ObjectID:
-			whereClause = fmt.Sprintf(` WHERE %s = ?`, metadata.IDColumn)
-			args = []any{string(must.NotFail(sjson.MarshalSingleValue(v)))}
-		}
+	if v, ok := idEquality(params.Filter); ok {
+		whereClause = fmt.Sprintf(` WHERE %s = ?`, metadata.IDColumn)
+		args = []any{string(must.NotFail(sjson.MarshalSingleValue(v)))}
 	}
 
 	q += whereClause
@@ -531,6 +527,31 @@
 	return new(backends.DropIndexesResult), nil
 }
 
+// idEquality returns the string or ObjectID that the filter requires _id to equal, whatever
+// else the filter holds. Only that document can match, and the handler applies the whole
+// filter to what Query returns, so pushing down this part alone is safe.
+func idEquality(filter *types.Document) (any, bool) {
+	count := 0
+
+	for _, k := range filter.Keys() {
+		if k == "_id" {
+			count++
+		}
+	}
+
+	if count != 1 {
+		return nil, false
+	}
+
+	v := must.NotFail(filter.Get("_id"))
+	switch v.(type) {
+	case string, types.ObjectID:
+		return v, true
+	default:
+		return nil, false
+	}
+}
+
 // check interfaces
 var (
 	_ backends.Collection = (*collection)(nil)
--- a/internal/backends/sqlite/metadata/metadata.go
+++ b/internal/backends/sqlite/metadata/metadata.go
@@ -27,7 +27,10 @@
 	DefaultColumn = backends.ReservedPrefix + "sjson"
 
 	// IDColumn is a SQLite path expression for _id field.
-	IDColumn = DefaultColumn + "->'$._id'"
+	//
+	// It is written exactly as the _id_ index expression (`->"_id"`, which SQLite reads as
+	// `->'_id'`), so that SQLite uses that index; `->'$._id'` means the same but matches no index.
+	IDColumn = DefaultColumn + "->'_id'"
 
 	// RecordIDColumn is a name for RecordID column to store capped collection record id.
 	RecordIDColumn = backends.ReservedPrefix + "record_id"
PATCH
  echo "install-ferretdb: the patch does not apply to $VERSION; refusing to build" >&2
  exit 1
}

echo "install-ferretdb: building (this takes a few minutes)"
mkdir -p "$gobin"
(
  cd "$src"
  GOFLAGS="-buildvcs=false -mod=mod" go build -trimpath -o "$target.tmp" ./cmd/ferretdb
)
mv -f "$target.tmp" "$target"

"$target" --version
echo "install-ferretdb: installed $target"
