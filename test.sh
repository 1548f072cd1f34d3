#!/usr/bin/env bash
# Runs every test project (Domain, Data, Web, CLI) and prints "N passed, N failed, N skipped".
# PostgreSQL tests run when LEADROUTER_TEST_POSTGRES is set (e.g. "Host=127.0.0.1;Username=app;Password=app"),
# otherwise they are reported as skipped. Extra arguments go to `dotnet test`.
set -uo pipefail
cd "$(dirname "$0")"
results="$PWD/TestResults"
rm -rf "$results"
dotnet test --solution LeadRouter.slnx --report-trx --results-directory "$results" "$@"
rc=$?
python3 - "$results" <<'PY'
import glob, sys, xml.etree.ElementTree as ET
ns = {"t": "http://microsoft.com/schemas/VisualStudio/TeamTest/2010"}
passed = failed = skipped = 0
pg_skipped = []
for path in glob.glob(f"{sys.argv[1]}/**/*.trx", recursive=True):
    root = ET.parse(path).getroot()
    for r in root.iterfind(".//t:UnitTestResult", ns):
        outcome = r.get("outcome")
        if outcome == "Passed": passed += 1
        elif outcome in ("Failed", "Error", "Timeout", "Aborted"): failed += 1
        else:
            skipped += 1
            if "Postgres" in r.get("testName", ""): pg_skipped.append(r.get("testName"))
with open(f"{sys.argv[1]}/postgres-skipped.txt", "w") as f:
    f.write("\n".join(pg_skipped))
print(f"{passed} passed, {failed} failed, {skipped} skipped")
PY
exit $rc
