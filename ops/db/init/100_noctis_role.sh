#!/usr/bin/env bash
# Creates the application's database role when the database container initialises an empty data
# directory (/docker-entrypoint-initdb.d runs it once, after the TimescaleDB image's own scripts
# have created the extension). The role may log in and owns one schema of its own name, where the
# migrations (run as this role) create every table; it is not a superuser and cannot create
# databases, roles or other schemas. Its password comes from NOCTIS_DB_PASSWORD, never from a file.
set -euo pipefail
: "${NOCTIS_DB_PASSWORD:?set NOCTIS_DB_PASSWORD}"

psql -v ON_ERROR_STOP=1 --no-psqlrc --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  -v role="${NOCTIS_DB_USER:-noctis}" -v password="$NOCTIS_DB_PASSWORD" <<'SQL'
CREATE ROLE :"role" LOGIN PASSWORD :'password' NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS;
CREATE SCHEMA :"role" AUTHORIZATION :"role";
-- Tables land in the role's schema; the timescaledb functions stay reachable in public.
ALTER ROLE :"role" SET search_path = :"role", public;
-- Nobody creates objects in public (the default since PostgreSQL 15; explicit for older servers).
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
SQL
