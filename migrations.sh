#!/usr/bin/env bash
# Regenerates or adds a migration for both providers: ./migrations.sh NAME
# (every model change adds both migration sets, same name, same commit).
set -euo pipefail
cd "$(dirname "$0")"
name=${1:?usage: ./migrations.sh MigrationName}
dotnet tool restore >/dev/null
dotnet ef migrations add "$name" --project src/LeadRouter.Data.Sqlite --startup-project src/LeadRouter.Web -- --provider Sqlite
dotnet ef migrations add "$name" --project src/LeadRouter.Data.Postgres --startup-project src/LeadRouter.Web -- --provider Postgres
