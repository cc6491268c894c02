#!/bin/sh
# Detection speed on a generated store: a first run over every hour, three
# runs after a one-hour batch, and a run with nothing new. See
# docs/detections.md ("Speed") for the numbers this gave.
#
#   tools/bench-detect.sh WORKDIR [GUMSHOE]
#
# WORKDIR is made if needed and holds the logs and databases (about 3 GB for
# the default volumes). FLOWS, CLOUDTRAIL and DNS set the volumes (default:
# 30 M, 3 M, 1 M over 45 days).
set -eu
W=${1:?usage: tools/bench-detect.sh WORKDIR [GUMSHOE]}
G=${2:-bin/gumshoe}
FLOWS=${FLOWS:-30000000} CLOUDTRAIL=${CLOUDTRAIL:-3000000} DNS=${DNS:-1000000}
mkdir -p "$W"
if [ ! -f "$W/base.duckdb" ]; then
	"$G" generate --out "$W/logs" --flows "$FLOWS" --cloudtrail "$CLOUDTRAIL" --dns "$DNS"
	"$G" ingest --no-detect --db "$W/base.duckdb" "$W/logs/AWSLogs" \
		--geoip-city "$W/logs/synthetic-GeoIP2-City.mmdb" --geoip-asn "$W/logs/synthetic-GeoLite2-ASN.mmdb"
	# The batch: the first hour after the period, as its objects arrive.
	"$G" generate --out "$W/day" --days 1 --end 2026-11-21 --no-attacks --seed 99 \
		--flows $((FLOWS / 45)) --cloudtrail $((CLOUDTRAIL / 45)) --dns $((DNS / 45))
	mkdir -p "$W/batch"
	(cd "$W/day/AWSLogs" && find . -type f \( -name '*20261120T0100Z*' -o -name '*20261120T0105Z*' \) -exec cp --parents {} "$W/batch/" \;)
fi
rm -rf "$W/run.duckdb" "$W/run.lake" "$W/snap.duckdb"
cp "$W/base.duckdb" "$W/run.duckdb"
cp -r "$W/base.lake" "$W/run.lake"
echo "== first run, load $(cut -d' ' -f1-3 /proc/loadavg)"
/usr/bin/time -f "wall %e s, CPU %U + %S s, peak %M KB" "$G" detect --db "$W/run.duckdb" -v 2>&1 >/dev/null | grep -E "wall|family|finished"
"$G" ingest --no-detect --db "$W/run.duckdb" "$W/batch" >/dev/null
cp "$W/run.duckdb" "$W/snap.duckdb"
for i in 1 2 3; do
	cp "$W/snap.duckdb" "$W/run.duckdb"
	echo "== after a one-hour batch ($i), load $(cut -d' ' -f1-3 /proc/loadavg)"
	/usr/bin/time -f "wall %e s, CPU %U + %S s" "$G" detect --db "$W/run.duckdb" -v 2>&1 >/dev/null | grep -E "wall|family|finished"
done
echo "== nothing new"
/usr/bin/time -f "wall %e s, CPU %U + %S s" "$G" detect --db "$W/run.duckdb" -v 2>&1 >/dev/null | grep -E "wall|finished"
