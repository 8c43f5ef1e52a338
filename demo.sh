#!/usr/bin/env bash
# The demo: two embedded PostgreSQL servers, the orders app with the plugin on an embedded Jakarta EE runtime,
# a small order-writing load and a live dashboard. Options: ./demo.sh --help  (e.g. ./demo.sh --drill)
set -euo pipefail
cd "$(dirname "$0")"
echo "Building the demo (./mvnw -q -DskipTests -pl demo-jakarta-app -am package)..."
./mvnw -q -DskipTests -pl demo-jakarta-app -am package
app=demo-jakarta-app/target
exec java ${DEMO_JAVA_OPTS:-} \
  -Djava.util.logging.manager=io.dbredundancy.demo.launcher.ShutdownSafeLogManager \
  -cp "$app/classes:$app/demo-lib/*" io.dbredundancy.demo.launcher.DemoLauncher "$@"
