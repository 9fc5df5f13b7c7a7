# shellcheck shell=bash
# Databases with their own clients and benchmarks (rows redis, postgres).

# redis: a 2 MB value stored with redis-cli and read back (sha256), then
# redis-benchmark's SET and GET over 10 connections; it must report both
# rates and no error.
case_redis() {
  local d=$T/redis sum
  mkdir -p "$d"
  sum=$(vm_file "$d/value" 2)
  ap_srv "$d/ws-srv.log" -- redis-server --bind "$SA" --port 6379 --protected-mode no \
    --save '' --appendonly no --daemonize no --dir "$d" --logfile "$d/redis.log"
  if ! ap_wait_listen 6379; then
    not_ok "redis-server" "nothing listened on $SA:6379 over $AP_T"; vm_tail "$d/redis.log" "$d/ws-srv.log"; return
  fi
  ap_cli "$d/ws-cli.log" -- timeout 30 redis-cli -h "$SA" -x set blob < "$d/value" > "$d/set.out" 2>&1
  # --raw prints the value and one newline.
  ap_cli "$d/ws-cli.log" -- timeout 30 redis-cli -h "$SA" --raw get blob 2>"$d/get.err" | head -c -1 > "$d/got"
  vm_same "redis-cli SET then GET of 2 MB" "$d/got" "$sum" || vm_tail "$d/set.out" "$d/get.err" "$d/redis.log"
  # Fewer requests in the emulated guest: its rate is a tenth of the host's.
  local n=20000
  [ "$AP_T" = sctp ] && n=2000
  ap_time ap_cli "$d/ws-cli.log" -- timeout 120 redis-benchmark -h "$SA" -q -c 10 -n $n -t set,get \
    > "$d/bench.out" 2>&1
  note "  redis-benchmark: $AP_MS ms"
  tr '\r' '\n' < "$d/bench.out" | grep -E '^(SET|GET):.*requests per second' > "$d/rates"
  if [ "$(wc -l < "$d/rates")" -eq 2 ] && ! grep -qi error "$d/bench.out"; then
    ok "redis-benchmark: $(tr '\n' ' ' < "$d/rates")"
  else
    not_ok "redis-benchmark SET and GET" "$(tr '\r\n' '  ' < "$d/bench.out" | tail -c 300)"
  fi
  ap_prove "redis" $((4 << 20)) 6379
}

# postgres: a table loaded with psql's \copy from a file and dumped back
# (sha256 of the dump equals the file), then pgbench initialises its tables
# and runs 4 clients; it must report every transaction done, none failed.
case_postgres() {
  local d=$T/postgres bin sum
  bin=$(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
  mkdir -p "$d/sock"
  chown postgres "$d" "$d/sock"
  python3 -c 'import os,sys
with open(sys.argv[1], "w") as f:
    for i in range(1, 40001): f.write("%d\t%s\n" % (i, os.urandom(24).hex()))' "$d/rows.tsv"
  sum=$(sha256sum < "$d/rows.tsv" | cut -d' ' -f1)
  setpriv --reuid postgres --regid postgres --clear-groups "$bin/initdb" -D "$d/data" -A trust \
    -U postgres --no-sync > "$d/initdb.log" 2>&1 || { not_ok "initdb" "$(tail -n 3 "$d/initdb.log")"; return; }
  echo "host all all $CA/32 trust" >> "$d/data/pg_hba.conf"
  ap_srv "$d/ws-srv.log" -- setpriv --reuid postgres --regid postgres --clear-groups \
    "$bin/postgres" -D "$d/data" -c listen_addresses="$SA" -c port=5432 \
    -c unix_socket_directories="$d/sock" -c fsync=off -c logging_collector=off > "$d/pg.log" 2>&1
  if ! ap_wait_listen 5432 60; then
    not_ok "postgres" "nothing listened on $SA:5432 over $AP_T"; vm_tail "$d/pg.log" "$d/ws-srv.log"; return
  fi
  psqlc() { ap_cli "$d/ws-cli.log" -- timeout 60 "$bin/psql" -X -q -v ON_ERROR_STOP=1 -h "$SA" -U postgres "$@"; }
  psqlc -c 'create table t (n int primary key, v text)' -c "\\copy t from '$d/rows.tsv'" \
    > "$d/psql1.out" 2>&1
  psqlc -c "\\copy (select n, v from t order by n) to '$d/back.tsv'" > "$d/psql2.out" 2>&1
  vm_same "psql \\copy of 40000 rows in and out" "$d/back.tsv" "$sum" || vm_tail "$d/psql1.out" "$d/psql2.out" "$d/pg.log"
  ap_cli "$d/ws-cli.log" -- timeout 120 "$bin/pgbench" -h "$SA" -U postgres -i -s 1 postgres > "$d/pgbi.out" 2>&1
  # 100 transactions per client, 25 in the emulated guest (16 tps there).
  local tx=100
  [ "$AP_T" = sctp ] && tx=25
  ap_cli "$d/ws-cli.log" -- timeout 120 "$bin/pgbench" -h "$SA" -U postgres -c 4 -j 2 -t "$tx" postgres \
    > "$d/pgb.out" 2>&1
  local want=$((4 * tx))
  if grep -q "number of transactions actually processed: $want/$want" "$d/pgb.out" &&
     grep -q "number of failed transactions: 0" "$d/pgb.out"; then
    ok "pgbench: $want/$want transactions, none failed, $(grep -o 'tps = [0-9.]*' "$d/pgb.out" | head -n 1)"
  else
    not_ok "pgbench" "$(tail -n 5 "$d/pgbi.out" "$d/pgb.out" | tr '\n' ' ')"
  fi
  ap_prove "postgres" $((4 << 20)) 5432
}
