#!/usr/bin/env bash
# Two MultiMail instances on one PostgreSQL database (docs/deployment.md, "A worked example"):
# starts both, prints their addresses, sends a message through instance 1, reads it back through
# instance 2, and stops them.
#
#   examples/two-instances.sh postgres://user@host:5432/mm   an empty database of yours
#   DATABASE_URL=postgres://… examples/two-instances.sh       the same, from the environment
#   examples/two-instances.sh --throwaway                      a throwaway cluster (initdb, pg_ctl;
#                                                              PG_BIN names their directory)
#
# The database must be empty: the first instance creates the tenant and prints its API keys once,
# and this script needs them. Needs node (20.19+), curl, and a built checkout (npm run build).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
MAIN="$ROOT/packages/server/dist/main.js"
READY_TIMEOUT_SEC=${READY_TIMEOUT_SEC:-60}
# the example mails only its own domain: no DNS needed (a real deployment keeps it on)
export MULTIMAIL_DNS=${MULTIMAIL_DNS:-off}
# sends go out at once; the default first mode, gated_send, would hold them for a human
export MULTIMAIL_FIRST_MODE=${MULTIMAIL_FIRST_MODE:-autonomous}
DOMAIN=${MULTIMAIL_DOMAIN:-agents.localhost}

die() { echo "two-instances: $*" >&2; exit 1; }

case "${1:-}" in
  -h|--help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
  --throwaway) THROWAWAY=1 ;;
  "") THROWAWAY=0; [ -n "${DATABASE_URL:-}" ] || die "give a postgres:// URL (or DATABASE_URL, or --throwaway); see --help" ;;
  postgres://*|postgresql://*) THROWAWAY=0; DATABASE_URL=$1 ;;
  *) die "unknown argument: $1 (see --help)" ;;
esac
[ -f "$MAIN" ] || die "$MAIN is missing: run npm run build first"
command -v curl >/dev/null || die "curl is needed"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/mm-two-instances-XXXXXX")
PIDS=()
PG_DIR=""

# initdb and postgres refuse to run as root
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

cleanup() {
  local pid
  # ${A[@]+…}: an empty array under set -u is an error before bash 4.4
  for pid in ${PIDS[@]+"${PIDS[@]}"}; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in ${PIDS[@]+"${PIDS[@]}"}; do wait "$pid" 2>/dev/null || true; done
  if [ -n "$PG_DIR" ]; then (cd "$PG_DIR" && as_pg "$PG_BIN/pg_ctl" stop -D "$PG_DIR/data" -m fast -w >/dev/null 2>&1) || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# one field of the JSON on stdin, by a dotted path ("items.0.id"); empty when absent
json() { node -e 'let s="";process.stdin.on("data",(c)=>(s+=c)).on("end",()=>{let v=JSON.parse(s);for(const k of process.argv[1].split("."))v=v==null?v:v[k];process.stdout.write(v==null?"":typeof v==="object"?JSON.stringify(v):String(v))})' "$1"; }

free_port() { node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }

start_throwaway_cluster() {
  PG_BIN=${PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)}
  [ -x "${PG_BIN:-}/initdb" ] || die "no PostgreSQL binaries found: set PG_BIN to the directory holding initdb and pg_ctl"
  PG_DIR="$WORK/postgres"
  mkdir "$PG_DIR"
  if [ "$(id -u)" = 0 ]; then chmod 755 "$WORK"; chown postgres: "$PG_DIR"; fi
  local port
  port=$(free_port)
  # cd: as the postgres user the caller's directory may be unreadable
  (cd "$PG_DIR" \
    && as_pg "$PG_BIN/initdb" -D "$PG_DIR/data" -U multimail --auth=trust -E UTF8 --no-locale >/dev/null \
    && as_pg "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/log" -o "-p $port -k '$PG_DIR' -c listen_addresses=127.0.0.1" -w start >/dev/null \
    && as_pg "$PG_BIN/createdb" -h 127.0.0.1 -p "$port" -U multimail multimail) \
    || die "could not start a throwaway cluster (log: $(cat "$PG_DIR/log" 2>/dev/null))"
  DATABASE_URL="postgres://multimail@127.0.0.1:$port/multimail"
}

# Starts instance $1 in its own data directory and waits for its READY line.
start_instance() {
  local n=$1 dir="$WORK/instance-$1" waited=0 pid
  mkdir -m 700 "$dir"
  : >"$dir/out.log"
  MULTIMAIL_DATABASE_URL="$DATABASE_URL" MULTIMAIL_MASTER_KEY="$MASTER_KEY" MULTIMAIL_DATA_DIR="$dir" \
    MULTIMAIL_HTTP_PORT=0 MULTIMAIL_SMTP_PORT=0 MULTIMAIL_HOSTNAME="mm$n.$DOMAIN" MULTIMAIL_ACCESS_LOG=off \
    node --expose-gc "$MAIN" >"$dir/out.log" 2>&1 &
  pid=$!
  PIDS+=("$pid")
  until grep -q '^READY ' "$dir/out.log"; do
    kill -0 "$pid" 2>/dev/null || die "instance $n exited: $(cat "$dir/out.log")"
    [ "$waited" -lt $((READY_TIMEOUT_SEC * 10)) ] || die "instance $n not ready after ${READY_TIMEOUT_SEC}s: $(cat "$dir/out.log")"
    sleep 0.1; waited=$((waited + 1))
  done
}

ready_field() { grep -m1 '^READY ' "$WORK/instance-$1/out.log" | sed 's/^READY //' | json "$2"; }

if [ "$THROWAWAY" = 1 ]; then
  start_throwaway_cluster
  echo "PostgreSQL  $DATABASE_URL (throwaway cluster, removed at the end)"
else
  echo "PostgreSQL  $(node -e 'const u=new URL(process.argv[1]);if(u.password)u.password="***";console.log(u.href)' "$DATABASE_URL")"
fi

# one master key for every instance: each seals and unseals the same private keys in the database
MASTER_KEY=$(node -e 'console.log(require("crypto").randomBytes(32).toString("hex"))')

# the first start against an empty database creates the tenant: it goes alone
start_instance 1
SEND=$(sed -n 's/^ *export SEND=\([^ ]*\).*/\1/p' "$WORK/instance-1/out.log")
[ -n "$SEND" ] || die "instance 1 printed no API keys: the database is not empty (this example needs an empty one)"
start_instance 2

HTTP1=$(ready_field 1 http); SMTP1=$(ready_field 1 smtp)
HTTP2=$(ready_field 2 http); SMTP2=$(ready_field 2 smtp)
echo "instance 1  HTTP $HTTP1  SMTP smtp://127.0.0.1:$SMTP1  data dir $WORK/instance-1"
echo "instance 2  HTTP $HTTP2  SMTP smtp://127.0.0.1:$SMTP2  data dir $WORK/instance-2"
for url in "$HTTP1" "$HTTP2"; do curl -fsS "$url/healthz" >/dev/null || die "$url/healthz did not answer"; done

MAILBOX="agent@$DOMAIN"
SENT=$(curl -fsS -X POST "$HTTP1/v1/messages" -H "Authorization: Bearer $SEND" -H 'Content-Type: application/json' \
  -d "{\"to\":[\"$MAILBOX\"],\"subject\":\"hello from instance 1\",\"text\":\"Sent through instance 1, read back through instance 2.\"}")
ID=$(echo "$SENT" | json id)
MESSAGE_ID=$(echo "$SENT" | json message_id)
echo "sent        through instance 1: $ID $MESSAGE_ID status $(echo "$SENT" | json status)"

# the same message, asked of the other instance: one database behind both
READ=$(curl -fsS "$HTTP2/v1/messages/$ID" -H "Authorization: Bearer $SEND")
echo "read        through instance 2: $(echo "$READ" | json id) status $(echo "$READ" | json status) dkim $(echo "$READ" | json dkim_result)"

# and the copy the mailbox received, with its verification
for _ in $(seq 50); do
  INBOX=$(curl -fsS "$HTTP2/v1/inbox?include_read=true" -H "Authorization: Bearer $SEND")
  GOT=$(echo "$INBOX" | node -e 'let s="";process.stdin.on("data",(c)=>(s+=c)).on("end",()=>{const m=JSON.parse(s).items.find((x)=>x.message_id===process.argv[1]);if(m)console.log(`${m.id} ${m.message_id} from ${m.from.address} dkim ${m.dkim_result} identity ${m.identity_result} verdict ${m.verdict}`)})' "$MESSAGE_ID")
  [ -z "$GOT" ] || break
  sleep 0.1
done
[ -n "$GOT" ] || die "the message did not reach the inbox"
echo "inbox       through instance 2: $GOT"

for pid in "${PIDS[@]}"; do kill -TERM "$pid"; done
for pid in "${PIDS[@]}"; do wait "$pid" || true; done
PIDS=()
echo "stopped     both instances"
