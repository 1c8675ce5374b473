# Shared by scripts/run, scripts/test and the benchmarks: packages, build, a private
# PostgreSQL cluster, migrations and keys. Source it; every function is idempotent.

FC_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

# Debian packages the build, the tests and the server need.
FC_PACKAGES="build-essential cmake pkg-config libevent-dev libjson-c-dev libssl-dev
  libpq-dev libcmocka-dev postgresql-15 postgresql-client-15 openssl curl jq ca-certificates
  libpython3-dev libseccomp-dev python3 python3-cryptography belenios-tool"
# And what only the tests need: clang and libFuzzer's runtime (recommended by clang, not
# required, so named here) for the fuzz targets; llvm-14 symbolizes their reports; hledger
# checks the books' export; chromium (headless, driven by npm's puppeteer-core) is the real
# browser the web page is tested in, with a font to draw its text in the screenshots.
FC_TEST_PACKAGES="clang-14 libclang-rt-14-dev llvm-14 hledger chromium fonts-dejavu-core"

fc_log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
fc_die() { printf 'error: %s\n' "$*" >&2; exit 1; }

fc_as_root() {
	if [ "$(id -u)" = 0 ]; then "$@"
	elif command -v sudo >/dev/null; then sudo "$@"
	else fc_die "need root to run: $*"; fi
}

# fc_install_packages [extra packages...]: installs whatever is missing (apt-get update once).
fc_install_packages() {
	local missing=() p
	for p in $FC_PACKAGES "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
			missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	fc_log "installing Debian packages: ${missing[*]}"
	fc_as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
	fc_as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
		"${missing[@]}" >/dev/null
}

# Node.js for the OpenAPI lint and the integration tests: Debian's, unless one is present.
fc_install_node() {
	command -v node >/dev/null && command -v npm >/dev/null && return 0
	fc_install_packages nodejs npm
}

# fc_build PRESET: configures (once) and builds with a CMake preset.
fc_build() {
	local preset=$1
	fc_log "building ($preset)"
	[ -f "$FC_ROOT/build/$preset/CMakeCache.txt" ] ||
		(cd "$FC_ROOT" && cmake --preset "$preset" >/dev/null)
	cmake --build "$FC_ROOT/build/$preset" -j"$(nproc)" >/dev/null ||
		cmake --build "$FC_ROOT/build/$preset"   # show the errors
}

FC_PGBIN=$(pg_config --bindir 2>/dev/null || echo /usr/lib/postgresql/15/bin)

# The dedicated OS users, when we run as root: no process of ours runs as root. The
# api-server reads its keys as root, then becomes FC_SERVER_USER; the count-worker binds
# its socket (for FC_SERVER_USER's group), then becomes FC_WORKER_USER. Run as another
# user, everything runs as that user.
if [ "$(id -u)" = 0 ]; then
	FC_SERVER_USER=freecoop FC_WORKER_USER=freecoop-count FC_SOCKET_GROUP=freecoop
else
	FC_SERVER_USER= FC_WORKER_USER= FC_SOCKET_GROUP=
fi

# fc_users: creates the dedicated OS users (system users without a login or a home).
fc_users() {
	[ "$(id -u)" = 0 ] || return 0
	local u
	for u in "$FC_SERVER_USER" "$FC_WORKER_USER"; do
		getent passwd "$u" >/dev/null && continue
		fc_log "creating the OS user $u"
		useradd --system --user-group --no-create-home --home-dir /nonexistent \
			--shell /usr/sbin/nologin "$u"
	done
}

# fc_reachable DIR: dies unless the OS users that must work in DIR can reach it (the
# cluster's files, the sockets, the server's pass file): e.g. a checkout under /root is
# not, as /root is private; choose another directory with FREECOOP_VAR.
fc_reachable() {
	[ "$(id -u)" = 0 ] || return 0
	local u
	for u in postgres "$FC_SERVER_USER"; do
		runuser -u "$u" -- test -x "$1" ||
			fc_die "$1 is not reachable by the OS user $u (a parent directory is private); put it elsewhere, e.g. FREECOOP_VAR=/var/lib/freecoop"
	done
}

# Runs a command as the cluster's owner: postgres when we are root, else ourselves.
fc_pg_user() { if [ "$(id -u)" = 0 ]; then echo postgres; else id -un; fi; }
fc_as_pg() {
	if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# fc_pg_auth DATA: writes who may connect and how (every start, so an older cluster that
# trusted every local connection is mended): the superuser only by peer authentication as
# the cluster's OS owner, freecoop_server and freecoop_operator only with their SCRAM
# passwords (fc_db_passwords), nobody else at all. Who may reach the socket at all is
# settled by its directory (fc_pg_setup): the owner and FC_SOCKET_GROUP, the api-server's.
fc_pg_auth() {
	local data=$1
	fc_as_pg tee "$data/pg_hba.conf" >/dev/null <<HBA
# Written by scripts/lib/common.sh (fc_pg_auth): no trust authentication anywhere.
# TYPE  DATABASE  USER               METHOD
local   all       postgres           peer map=freecoop_super
local   freecoop  freecoop_server    scram-sha-256
local   freecoop  freecoop_operator  scram-sha-256
HBA
	fc_as_pg tee "$data/pg_ident.conf" >/dev/null <<IDENT
# Written by scripts/lib/common.sh: the one OS user who may be the superuser.
# MAP             OS USER       DATABASE USER
freecoop_super    $(fc_pg_user)    postgres
IDENT
	fc_as_pg tee "$data/freecoop.conf" >/dev/null <<CONF
# Written by scripts/lib/common.sh: private cluster, Unix socket only.
listen_addresses = ''
unix_socket_directories = '$FC_PGHOST'
unix_socket_permissions = 0777
port = $FC_PGPORT
max_connections = 200
password_encryption = 'scram-sha-256'
CONF
	grep -q "^include_if_exists 'freecoop.conf'" "$data/postgresql.conf" ||
		echo "include_if_exists 'freecoop.conf'" | fc_as_pg tee -a "$data/postgresql.conf" >/dev/null
}

# fc_pg_setup DIR [durable]: creates (once) and starts a private cluster in DIR, reachable
# only through the Unix socket in DIR/run, a directory only its owner and FC_SOCKET_GROUP
# may enter (0750). Sets FC_PGHOST. With durable=no, fsync is off
# (throwaway test clusters).
fc_pg_setup() {
	local dir=$1 durable=${2:-yes} user
	FC_PGDIR=$dir
	FC_PGHOST=$dir/run
	FC_PGPORT=${FREECOOP_PG_PORT:-5432}
	user=$(fc_pg_user)
	fc_users
	mkdir -p "$dir/run"
	fc_reachable "$dir"
	chown "$user${FC_SOCKET_GROUP:+:$FC_SOCKET_GROUP}" "$dir" "$dir/run"
	chmod 750 "$dir" "$dir/run"
	if [ ! -f "$dir/data/PG_VERSION" ]; then
		fc_log "creating a PostgreSQL cluster in $dir"
		fc_as_pg "$FC_PGBIN/initdb" -D "$dir/data" -U postgres --auth-local=peer \
			--auth-host=reject -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log"
		[ "$durable" = no ] && echo "fsync = off" | fc_as_pg tee -a "$dir/data/postgresql.conf" >/dev/null
	fi
	fc_pg_auth "$dir/data"
	if fc_as_pg "$FC_PGBIN/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
		fc_as_pg "$FC_PGBIN/pg_ctl" -D "$dir/data" reload >/dev/null
	else
		fc_as_pg "$FC_PGBIN/pg_ctl" -D "$dir/data" -l "$dir/postgresql.log" -w -t 60 start \
			>/dev/null || { tail -20 "$dir/postgresql.log" >&2; fc_die "PostgreSQL did not start"; }
		FC_PG_STARTED=1
	fi
	fc_psql postgres -tAc "SELECT 1 FROM pg_database WHERE datname = 'freecoop'" | grep -q 1 ||
		fc_psql postgres -qc "CREATE DATABASE freecoop"
}

fc_pg_stop() {
	fc_as_pg "$FC_PGBIN/pg_ctl" -D "$FC_PGDIR/data" -m fast -w stop >/dev/null 2>&1 || true
}

# fc_conninfo USER: a libpq connection string for the freecoop database; for the two
# password roles it names their pass file (fc_db_passwords).
fc_conninfo() {
	local c="host=$FC_PGHOST port=$FC_PGPORT dbname=freecoop user=$1"
	case $1 in freecoop_server | freecoop_operator) c="$c passfile=$FC_PASSDIR/$1.pgpass" ;; esac
	echo "$c"
}

# fc_psql DB args...: psql as the superuser (peer authentication as the cluster's owner).
fc_psql() {
	local db=$1; shift
	fc_as_pg psql -X -v ON_ERROR_STOP=1 "host=$FC_PGHOST port=$FC_PGPORT dbname=$db user=postgres" "$@"
}

# fc_db_passwords DIR: gives freecoop_server and freecoop_operator new random passwords
# (every run: they are rotated), kept in DIR/<role>.pgpass (0600; the server's owned by
# FC_SERVER_USER, who reads it after leaving root). The database gets only the SCRAM
# verifier (computed here), never the password. Sets FC_PASSDIR.
fc_db_passwords() {
	local dir=$1 role pw verifier
	FC_PASSDIR=$dir
	mkdir -p "$dir"
	for role in freecoop_server freecoop_operator; do
		pw=$(head -c 32 /dev/urandom | base64 -w0 | tr -d '/+=')
		verifier=$(printf %s "$pw" | /usr/bin/python3 -c '
import base64, hashlib, hmac, os, sys
pw, salt, n = sys.stdin.buffer.read(), os.urandom(16), 4096
salted = hashlib.pbkdf2_hmac("sha256", pw, salt, n)
client = hmac.new(salted, b"Client Key", "sha256").digest()
server = hmac.new(salted, b"Server Key", "sha256").digest()
b = lambda x: base64.b64encode(x).decode()
print(f"SCRAM-SHA-256${n}:{b(salt)}${b(hashlib.sha256(client).digest())}:{b(server)}")')
		fc_psql freecoop -q -v role="$role" -v verifier="$verifier" <<'SQL'
ALTER ROLE :"role" PASSWORD :'verifier';
SQL
		(umask 077 && printf '*:*:freecoop:%s:%s\n' "$role" "$pw" >"$dir/$role.pgpass.new")
		if [ "$role" = freecoop_server ] && [ -n "$FC_SERVER_USER" ]; then
			chown "$FC_SERVER_USER" "$dir/$role.pgpass.new"
		fi
		mv "$dir/$role.pgpass.new" "$dir/$role.pgpass"
	done
}

# fc_migrate BIN: applies the migrations as the superuser (so as the cluster's OS owner,
# from a copy of BIN that owner can run when the checkout is private to us).
fc_migrate() {
	local bin=$1 tmp=
	if [ "$(id -u)" = 0 ] && ! runuser -u postgres -- test -x "$bin"; then
		tmp=$(mktemp -d) && chmod 755 "$tmp" && cp "$bin" "$tmp/" && bin=$tmp/$(basename "$bin")
	fi
	(cd / && fc_as_pg "$bin" --migrate "$(fc_conninfo postgres)")
	local r=$?
	[ -z "$tmp" ] || rm -rf "$tmp"
	return $r
}

# fc_authority PEM LABEL ABILITY NAME: creates the Ed25519 key PEM unless it exists, and
# registers its public key as an authority with ABILITY (decision_authority or
# code_auditor), named NAME-<time>, unless an unrevoked one with that ability has it. Sets
# FC_AUTHORITY_ID to the authority's id (its kid). LABEL names it in the log.
fc_authority() {
	local pem=$1 label=$2 ability=$3 name=$4 pub
	if [ ! -s "$pem" ]; then
		fc_log "creating the $label key"
		(umask 077 && openssl genpkey -algorithm ed25519 -out "$pem")
	fi
	pub=$(openssl pkey -in "$pem" -pubout)
	FC_AUTHORITY_ID=$(fc_psql freecoop -tA -v pub="$pub" -v ability="$ability" <<'SQL'
SELECT a.id FROM admin.authorities a
WHERE a.public_key = rtrim(translate(encode(substring(decode(regexp_replace(:'pub',
      '-----[A-Z ]+-----|\s', '', 'g'), 'base64') FROM 13), 'base64'), '+/', '-_'), '=')
  AND a.revoked_at IS NULL
  AND CASE :'ability' WHEN 'code_auditor' THEN a.code_auditor ELSE a.decision_authority END
LIMIT 1;
SQL
)
	if [ -z "$FC_AUTHORITY_ID" ]; then
		fc_log "registering the $label"
		FC_AUTHORITY_ID=$(fc_psql freecoop -qtA -v pub="$pub" -v name="$name-$(date +%s)" \
			-v ability="$ability" <<'SQL'
SELECT admin.add_authority(:'name', :'pub', :'ability' = 'decision_authority',
                           :'ability' = 'code_auditor');
SQL
)
	fi
}

# fc_keys DIR: creates (once) the decision authority's Ed25519 key and the ballot master
# key in DIR, registers the authority, and rotates the database passwords (their pass
# files live in DIR too). DIR is 0711: the server's user reaches its own pass file by
# name, and lists nothing. Sets FC_AUTHORITY_KEY, FC_MASTER_KEY, FC_PASSDIR.
fc_keys() {
	local dir=$1
	FC_AUTHORITY_KEY=$dir/authority.pem
	FC_MASTER_KEY=$dir/master.key
	mkdir -p "$dir"
	chmod 711 "$dir"
	fc_db_passwords "$dir"
	if [ ! -s "$FC_MASTER_KEY" ]; then
		fc_log "creating the ballot master key"
		(umask 077 && head -c 32 /dev/urandom >"$FC_MASTER_KEY")
	fi
	fc_authority "$FC_AUTHORITY_KEY" "decision authority" decision_authority instance
	fc_coop_keys "$dir"
}

# fc_coop_keys DIR: FreeCoop's keys (DESIGN §10.1), made once in DIR: its Ed25519 log
# signing key, and its service at the core (admin.create_service('freecoop'), whose key is
# shown once and kept in the file). Sets FC_COOP_SIGNING_KEY and FC_COOP_SERVICE_KEY.
fc_coop_keys() {
	local dir=$1 n=0
	FC_COOP_SIGNING_KEY=$dir/coop-signing.pem
	FC_COOP_SERVICE_KEY=$dir/coop-service.key
	if [ ! -s "$FC_COOP_SIGNING_KEY" ]; then
		fc_log "creating FreeCoop's log signing key"
		(umask 077 && openssl genpkey -algorithm ed25519 -out "$FC_COOP_SIGNING_KEY")
	fi
	if [ ! -s "$FC_COOP_SERVICE_KEY" ]; then
		fc_log "registering FreeCoop as a service"
		# A cluster kept from an earlier set-up may hold a 'freecoop' whose key is gone:
		# the new one takes the next free name.
		local name=freecoop
		while [ -n "$(fc_psql freecoop -tAc "SELECT 1 FROM admin.services WHERE name = '$name'")" ]; do
			n=$((n + 1))
			name=freecoop-$n
		done
		(umask 077 && fc_psql freecoop -tAc "SELECT admin.create_service('$name')" \
			>"$FC_COOP_SERVICE_KEY")
	fi
}

# fc_auditor DIR: creates (once) the demo code auditor's Ed25519 key in DIR and registers
# it. Sets FC_AUDITOR_KEY and FC_AUDITOR_ID (its kid).
fc_auditor() {
	FC_AUDITOR_KEY=$1/auditor.pem
	fc_authority "$FC_AUDITOR_KEY" "demo code auditor" code_auditor demo-auditor
	FC_AUDITOR_ID=$FC_AUTHORITY_ID
}

# fc_register_methods URL: signs every method of count-worker/methods with the demo
# auditor's key (exactly as an auditor would: openssl pkeyutl -sign -rawin over the file's
# bytes) and submits it to the server at URL. Prints one line per method.
fc_register_methods() {
	local url=$1 f name sig code
	for f in "$FC_ROOT"/count-worker/methods/*.py; do
		name=$(basename "$f" .py)
		sig=$(openssl pkeyutl -sign -rawin -inkey "$FC_AUDITOR_KEY" -in "$f" | base64 -w0)
		code=$(/usr/bin/python3 -c 'import json, sys
print(json.dumps({"name": sys.argv[1], "auditor": sys.argv[2], "signature": sys.argv[3],
                  "code": open(sys.argv[4], "rb").read().decode("utf-8")}))' \
			"$name" "$FC_AUDITOR_ID" "$sig" "$f" |
			curl -sS -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' \
				--data-binary @- "$url/v1/voting-methods") || code=000
		case $code in
		200|201) printf '  %-20s %s\n' "$name" "$(sha256sum <"$f" | cut -d' ' -f1)" ;;
		*) fc_die "could not register method $name (HTTP $code)" ;;
		esac
	done
}

# fc_wait_ready URL SECONDS: waits until URL/readyz answers 200.
fc_wait_ready() {
	local i
	for ((i = 0; i < $2 * 10; i++)); do
		curl -fsS -o /dev/null "$1/readyz" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

# fc_worker_start BIN SOCKET LOG [ARGS...]: starts the count-worker in its own session,
# listening on SOCKET, its log appended to LOG, and waits until it serves. Run as root, it
# binds the socket (for the api-server's group) and then becomes FC_WORKER_USER. Sets
# FC_WORKER_PID.
fc_worker_start() {
	local bin=$1 sock=$2 log=$3 before i
	shift 3
	fc_users
	before=$(grep -c 'count-worker ready' "$log" 2>/dev/null || true)
	FREECOOP_WORKER_SOCKET=$sock FREECOOP_WORKER_USER=$FC_WORKER_USER \
		FREECOOP_WORKER_SOCKET_GROUP=$FC_SOCKET_GROUP setsid "$bin" "$@" >>"$log" 2>&1 &
	FC_WORKER_PID=$!
	for i in $(seq 200); do
		[ "$(grep -c 'count-worker ready' "$log" 2>/dev/null || true)" -gt "${before:-0}" ] && return 0
		kill -0 "$FC_WORKER_PID" 2>/dev/null || fc_die "the count-worker did not start: $(tail -3 "$log")"
		sleep 0.05
	done
	fc_die "the count-worker did not get ready: $(tail -3 "$log")"
}
