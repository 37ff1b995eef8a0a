#!/usr/bin/env bash
# PostgreSQL's first start (docker compose): one login role and one database per service,
# owned by that role, as the local stack provisions them. Nobody else may connect to a
# service's database: CONNECT is revoked from PUBLIC, so each service reaches only its own.
#
# The postgres image runs this once, on an empty data directory, as POSTGRES_USER.
# KASANE_SERVICES lists the services (default: the four); KASANE_<SERVICE>_DB_PASSWORD sets
# a role's password (default: the development password kasane-<service>-dev).
set -euo pipefail

services=${KASANE_SERVICES:-"intake coordination participation community"}
for service in $services; do
  password_var="KASANE_${service^^}_DB_PASSWORD"
  password=${!password_var:-"kasane-${service}-dev"}
  psql --no-psqlrc -v ON_ERROR_STOP=1 --username "${POSTGRES_USER}" --dbname "${POSTGRES_DB:-postgres}" \
    --set=name="kasane_${service}" --set=password="${password}" <<'SQL'
CREATE ROLE :"name" LOGIN PASSWORD :'password';
CREATE DATABASE :"name" OWNER :"name";
REVOKE ALL ON DATABASE :"name" FROM PUBLIC;
SQL
  echo "kasane: database and role kasane_${service} created"
done
