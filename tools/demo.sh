#!/usr/bin/env bash
# Sets everything up and runs the main job: loyalty-core (SQLite under var/) and two pos-agents on
# loopback, driven by a simulated store day of real TaFeng shoppers, with a short outage of the
# core in the middle of the day so that the tills' offline mode and the outbox drain show up.
# Prints the day's summary, then keeps the services running until Ctrl-C.
#
# Usage: tools/demo.sh [--exit] [--shoppers N] [--lanes N] [--no-outage]
#   --exit        stop the services after the summary instead of waiting for Ctrl-C
#   --shoppers N  shoppers visiting today (default 2000)
#   --lanes N     checkout lanes (default 8, spread over the two agents)
#   --pace R      visits per second over all lanes (default 400; 0 = as fast as they go)
#   --no-outage   do not stop the core during the day
# Data: ../shared/data/tafeng beside the repository, or LOYALTY_TAFENG_DIR.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
# shellcheck source=tools/dev/deps.sh
source tools/dev/deps.sh

exit_after=0
shoppers=2000
lanes=8
pace=400
outage=1
while [ $# -gt 0 ]; do
  case "$1" in
    --exit) exit_after=1 ;;
    --shoppers) shoppers="$2"; shift ;;
    --lanes) lanes="$2"; shift ;;
    --pace) pace="$2"; shift ;;
    --no-outage) outage=0 ;;
    -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
    *) echo "demo.sh: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
tafeng="${LOYALTY_TAFENG_DIR:-$root/../shared/data/tafeng}"
if [ ! -f "$tafeng/tafeng_history.json" ]; then
  echo "demo.sh: TaFeng data not found in $tafeng (set LOYALTY_TAFENG_DIR)" >&2
  exit 1
fi

loyalty_install_deps
echo "==> build (release)"
cmake --preset release >/dev/null
cmake --build --preset release -j "$(nproc)" --target loyalty-core pos-agent loyalty-sim loyaltyctl \
  loyalty-keys
bin="$root/build/bin"

var="$root/var"
mkdir -p "$var"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
  wait 2>/dev/null || true
}
trap cleanup EXIT
trap 'echo; echo "==> stopping"; exit 0' INT TERM

wait_port() {  # wait_port FILE: prints the port once the daemon has written it
  local i
  for i in $(seq 1 200); do
    if [ -s "$1" ]; then cat "$1"; return 0; fi
    sleep 0.05
  done
  echo "demo.sh: $1 did not appear; see the logs in var/" >&2
  return 1
}

# The core's first HQ admin ("admin"), created at its first start from this password file. The
# password is random, made once and kept (mode 0600) so that it matches the stored user.
admin_password="$var/admin.password"
if [ ! -s "$admin_password" ]; then
  (umask 077 && head -c 18 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$admin_password")
fi
chmod 600 "$admin_password"

# The coupon signing key pair (made once): the core signs, the agents verify offline.
if [ ! -s "$var/keys/coupon-key-1.pem" ]; then
  mkdir -p "$var/keys"
  "$bin/loyalty-keys" generate --key-id 1 --out "$var/keys" >/dev/null
fi

core_port=""
start_core() {
  rm -f "$var/loyalty-core.port"
  cat > "$var/loyalty-core.properties" <<CONF
loyalty.core.http.host = 127.0.0.1
loyalty.core.http.port = ${core_port:-0}
loyalty.core.http.portFile = loyalty-core.port
loyalty.core.storage.path = loyalty-core.db
loyalty.core.admin.bootstrapUser = admin
loyalty.core.admin.bootstrapPasswordFile = admin.password
loyalty.core.coupons.keyDir = keys
loyalty.core.coupons.signingKeyId = 1
logging.loggers.root.channel = file
logging.channels.file.class = FileChannel
logging.channels.file.path = $var/loyalty-core.log
logging.channels.file.formatter.class = PatternFormatter
logging.channels.file.formatter.pattern = %Y-%m-%d %H:%M:%S.%i [%p] %s: %t
CONF
  "$bin/loyalty-core" --config="$var/loyalty-core.properties" >>"$var/loyalty-core.out" 2>&1 &
  core_pid=$!
  pids+=("$core_pid")
  core_port="$(wait_port "$var/loyalty-core.port")"
}

start_agent() {  # start_agent NAME
  local name="$1"
  rm -f "$var/$name.port"
  cat > "$var/$name.properties" <<CONF
loyalty.agent.http.host = 127.0.0.1
loyalty.agent.http.port = 0
loyalty.agent.http.portFile = $name.port
loyalty.agent.core.host = 127.0.0.1
loyalty.agent.core.port = $core_port
loyalty.agent.outbox.path = $name.db
loyalty.agent.coupons.keyDir = keys
logging.loggers.root.channel = file
logging.channels.file.class = FileChannel
logging.channels.file.path = $var/$name.log
logging.channels.file.formatter.class = PatternFormatter
logging.channels.file.formatter.pattern = %Y-%m-%d %H:%M:%S.%i [%p] %s: %t
CONF
  "$bin/pos-agent" --config="$var/$name.properties" >>"$var/$name.out" 2>&1 &
  pids+=("$!")
  agent_port="$(wait_port "$var/$name.port")"
}

echo "==> starting loyalty-core (database var/loyalty-core.db)"
start_core
echo "    listening on 127.0.0.1:$core_port"
echo "==> logging in to the admin API as admin (password in var/admin.password)"
if ! LOYALTY_TOKEN="$("$bin/loyaltyctl" --core "127.0.0.1:$core_port" login --user admin \
    --password-file "$admin_password")"; then
  echo "demo.sh: admin login failed; if var/admin.password was replaced after the first run," \
    "remove var/loyalty-core.db* to start over" >&2
  exit 1
fi
export LOYALTY_TOKEN
echo "==> importing the catalogue derived from the TaFeng items"
"$bin/loyalty-sim" --tafeng "$tafeng" --write-catalogue "$var/catalogue.csv"
"$bin/loyaltyctl" --core "127.0.0.1:$core_port" catalogue import "$var/catalogue.csv"
if [ ! -e "$var/campaigns.created" ]; then
  echo "==> creating two coupon campaigns (a checkout coupon and a personalized one)"
  cat > "$var/campaign-checkout.json" <<'JSON'
{"name": "2.00 off your next basket of 20.00 or more", "status": "active",
 "reward": {"kind": "amount_off", "target": "basket", "amount": 200, "min_spend": 2000},
 "issuance": "checkout_trigger",
 "trigger": {"target": "basket", "min_spend": 5000},
 "validity_days": 14, "cap_per_period": 1, "cap_period_days": 7, "budget_count": 5000}
JSON
  cat > "$var/campaign-personal.json" <<'JSON'
{"name": "10% off one of your favourites", "status": "active",
 "reward": {"kind": "percent_off", "target": "sku", "percent": 10},
 "issuance": "personalized", "personalized_count": 1, "discover_percent": 0,
 "control_percent": 10, "validity_days": 14, "cap_per_period": 1, "cap_period_days": 7}
JSON
  "$bin/loyaltyctl" --core "127.0.0.1:$core_port" campaigns create "$var/campaign-checkout.json" \
    >/dev/null
  "$bin/loyaltyctl" --core "127.0.0.1:$core_port" campaigns create "$var/campaign-personal.json" \
    >/dev/null
  touch "$var/campaigns.created"
fi
echo "==> starting two pos-agents"
start_agent pos-agent-1
agent1="$agent_port"
start_agent pos-agent-2
agent2="$agent_port"
echo "    pos-agent-1 on 127.0.0.1:$agent1, pos-agent-2 on 127.0.0.1:$agent2"

echo "==> simulating a store day: $shoppers shoppers, 2 visits each, $lanes lanes, $pace visits/s"
"$bin/loyalty-sim" --tafeng "$tafeng" --agents "127.0.0.1:$agent1,127.0.0.1:$agent2" \
  --lanes "$lanes" --shoppers "$shoppers" --visits-per-shopper 2 --pace "$pace" \
  >"$var/day-summary.txt" &
sim_pid=$!
if [ "$outage" = 1 ]; then
  sleep 3
  if kill -0 "$sim_pid" 2>/dev/null; then
    echo "==> outage: stopping loyalty-core for 3 s (the tills keep selling, sales queue)"
    kill -KILL "$core_pid"
    wait "$core_pid" 2>/dev/null || true
    sleep 3
    start_core
    echo "==> loyalty-core is back on 127.0.0.1:$core_port; the agents drain their outboxes"
  fi
fi
wait "$sim_pid"
cat "$var/day-summary.txt"

card="$(grep -o 'sample card.*' "$var/day-summary.txt" | grep -o '[0-9]\{13,19\}' | head -1 || true)"
if [ -n "$card" ]; then
  echo "==> one shopper, as the store manager sees them: loyaltyctl customer show $card"
  "$bin/loyaltyctl" --core "127.0.0.1:$core_port" customer show "$card" | head -20 || true
fi

echo "==> coupon campaigns after the day: loyaltyctl campaigns list"
"$bin/loyaltyctl" --core "127.0.0.1:$core_port" campaigns list || true

if [ "$exit_after" = 1 ]; then
  echo "==> done (--exit): stopping the services"
  exit 0
fi
echo "==> services running: loyalty-core 127.0.0.1:$core_port, agents $agent1 and $agent2."
echo "    Try: build/bin/loyaltyctl --core 127.0.0.1:$core_port customer show <card>. Ctrl-C stops."
echo "    Admin API: export LOYALTY_TOKEN=\$(build/bin/loyaltyctl --core 127.0.0.1:$core_port login" \
  "--user admin --password-file var/admin.password), then e.g. loyaltyctl campaigns list."
while true; do sleep 3600 & wait $!; done
