#!/usr/bin/env bash
# End-to-end check of `ncc import-osm` and `ncc route`: import a real extract, route pairs with both
# algorithms (same answers), reject a truncated or corrupt graph file (`ncc graph verify`). Exit 77 (skip) without the data folder.
set -euo pipefail
tool="$1"
osm="${NCC_DATA_DIR:-}/osm/helsinki-centre.osm.pbf"
[[ -d "${NCC_DATA_DIR:-/nonexistent}/osm" ]] || exit 77
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
"$tool" import-osm "$osm" --out "$dir/h.graph" 2>"$dir/import.log"
grep -q "nodes" "$dir/import.log"
cat >"$dir/pairs" <<'PAIRS'
60.1680,24.9410 60.1700,24.9450
60.1690,24.9400 60.1660,24.9480
95,24.94 60.17,24.94
60.0,25.5 60.17,24.94
PAIRS
"$tool" route --graph "$dir/h.graph" --pairs "$dir/pairs" >"$dir/ch" 2>/dev/null
"$tool" route --graph "$dir/h.graph" --pairs "$dir/pairs" --algorithm dijkstra >"$dir/dij" 2>/dev/null
diff "$dir/ch" "$dir/dij"
[[ $(wc -l <"$dir/ch") -eq 4 ]]
sed -n 1p "$dir/ch" | grep -Eq '^[0-9]+\.[0-9] [0-9]+\.[0-9]$'
sed -n 3p "$dir/ch" | grep -q '^error: .*from.lat'
sed -n 4p "$dir/ch" | grep -q 'nearest road is'
"$tool" route --graph "$dir/h.graph" 60.1680,24.9410 60.1700,24.9450 | grep -q '"LineString"'
head -c 1000 "$dir/h.graph" >"$dir/cut.graph"
if "$tool" route --graph "$dir/cut.graph" 60.168,24.941 60.17,24.945 2>"$dir/err"; then exit 1; fi
grep -q "truncated" "$dir/err"
# Full verification: a good file passes, a payload overwritten in the middle does not.
"$tool" graph verify "$dir/h.graph" 2>"$dir/verify"
grep -q "^ok: " "$dir/verify"
cp "$dir/h.graph" "$dir/bad.graph"
size=$(stat -c %s "$dir/bad.graph")
printf 'CORRUPT!' | dd of="$dir/bad.graph" bs=1 seek=$((size / 2)) conv=notrunc status=none
if "$tool" graph verify "$dir/bad.graph" 2>"$dir/err"; then exit 1; fi
grep -q "checksum mismatch in section" "$dir/err"
if "$tool" route --graph "$dir/bad.graph" 60.168,24.941 60.17,24.945 2>"$dir/err"; then exit 1; fi
grep -q "checksum mismatch" "$dir/err"
# Compressed XML goes through the same reader.
gzip -c "$NCC_DATA_DIR/osm/sf-north-2020.osm" >"$dir/sf.osm.gz"
"$tool" import-osm "$dir/sf.osm.gz" --out "$dir/sf.graph" --quiet
"$tool" route --graph "$dir/sf.graph" 37.7955,-122.4005 37.8005,-122.4400 | grep -q '"seconds"'
echo "cli smoke test passed"
