# SPDX-License-Identifier: Apache-2.0
# AppArmor scenarios, run inside the VM (busybox sh) from /scenario.
# One container (c1) launched under profile bulwark-c1; every scenario is a
# live policy update (SIGHUP to bw-enforce-tool), a command in the
# container and the expected result: blocked with an alert, audited (passes,
# alert), allowed silently, or refused by the default posture.
. /scenario/oci.sh
export BW_APPARMOR_DIR=/run/bulwark/apparmor
FAILS=0
N=0
V=1
AS=""	# e.g. "--user 1000:1000" for the next run

fail() { echo "FAIL: $*"; FAILS=$((FAILS + 1)); }
pass() { echo "PASS: $*"; }

grep -q apparmor /sys/kernel/security/lsm || { echo "FAIL: apparmor is not an active LSM"; exit 1; }
# A parser.conf pinning a feature file the image lacks would make every load fail.
f=$(sed -n 's/^policy-features=//p' /etc/apparmor/parser.conf 2>/dev/null)
[ -z "$f" ] || [ -e "$f" ] || mv /etc/apparmor/parser.conf /etc/apparmor/parser.conf.unused

# policy TEXT: applies it live and waits for the tool to confirm.
policy() {
	V=$((V + 1))
	printf '%s\n' "$1" >/tmp/policy
	kill -HUP "$TOOL"
	bw_wait_for /tmp/tool.out "^applied version=$V " 30 ||
		{ fail "policy $V not applied"; grep -E '^(error|unenforced)' /tmp/tool.out | tail -3; }
	N=$(grep -c '^{' /tmp/tool.out)
}

# run NAME WANT CMD...: WANT is ok (exit 0) or denied (non-zero with
# "Permission denied"/EACCES/EPERM in its output).
run() {
	local name=$1 want=$2 out rc
	shift 2
	out=$(runc exec $AS c1 "$@" 2>&1)
	rc=$?
	if [ "$want" = ok ]; then
		[ $rc -eq 0 ] || { fail "$name: want success, got rc=$rc: $out"; return; }
	else
		[ $rc -ne 0 ] && printf '%s' "$out" | grep -qE 'Permission denied|EACCES|EPERM' ||
			{ fail "$name: want denied, got rc=$rc: $out"; return; }
	fi
	pass "$name ($want)"
}

# alert NAME PATTERN...: a new alert line (since the last policy) holds every pattern.
alert() {
	local name=$1 i=0 ok
	shift
	while [ $i -lt 50 ]; do
		ok=$(tail -n +1 /tmp/tool.out | grep '^{' | tail -n +$((N + 1)))
		for p in "$@"; do
			ok=$(printf '%s\n' "$ok" | grep -F -- "$p")
		done
		[ -n "$ok" ] && { pass "$name: alert"; return; }
		sleep 0.1
		i=$((i + 1))
	done
	fail "$name: no alert with $*"
	# indented: run-vm.sh shows console lines starting with two spaces
	grep '^{' /tmp/tool.out | tail -n +$((N + 1)) | tail -3 | sed 's/^/  /'
}

# silent NAME: no alert since the last policy (after a short grace).
silent() {
	sleep 0.5
	[ "$(grep -c '^{' /tmp/tool.out)" -eq "$N" ] && pass "$1: no alert" ||
		{ fail "$1: unexpected alert"; grep '^{' /tmp/tool.out | tail -n +$((N + 1)) | tail -3 | sed 's/^/  /'; }
}

# --- start: the profile must exist before the container ---------------------------
printf 'set c1\nrule file path /secret.txt Block\n' >/tmp/policy
bw-enforce-tool --enforcer apparmor /tmp/policy >/tmp/tool.out 2>/tmp/tool.err &
TOOL=$!
bw_wait_for /tmp/tool.out '^applied version=1 enforcer=AppArmor' 60 ||
	{ echo "FAIL: AppArmor enforcer did not start"; cat /tmp/tool.out /tmp/tool.err; exit 1; }
grep -q 'bulwark-c1 (enforce)' /sys/kernel/security/apparmor/profiles &&
	pass "profile bulwark-c1 loaded before the container starts" || fail "profile bulwark-c1 not loaded"

mkdir -p /run/b1
# no_new_privs off, as Kubernetes does by default (allowPrivilegeEscalation):
# AppArmor refuses fromSource child profiles under it (checked with c2 below).
BW_OCI_NNP=false BW_OCI_ROOT=/bundle/rootfs bw_oci_config /run/b1 bulwark-c1 /bin/sleep 100000
runc run -d --no-pivot -b /run/b1 c1 </dev/null >/tmp/runc.log 2>&1 ||
	{ echo "FAIL: runc run: $(cat /tmp/runc.log)"; exit 1; }
P=$(runc state c1 | sed -n 's/.*"pid": *\([0-9]*\).*/\1/p')
case "$(cat /proc/$P/attr/current)" in
bulwark-c1*) pass "container runs under bulwark-c1" ;;
*) fail "container runs under '$(cat /proc/$P/attr/current)'" ;;
esac
S="set c1 cgroup=c1"

# --- file ------------------------------------------------------------------------
policy "$S
rule file path /secret.txt Block policy=ksp-file-block severity=8 tags=PCI"
grep -q 'no process runs under profile bulwark-c1' /tmp/tool.out &&
	pass "before the container: the profile was reported unused" ||
	fail "the unused profile was not reported"
[ "$(sed -n "/^applied version=$V /,\$p" /tmp/tool.out | grep -c 'no process runs under')" -eq 0 ] &&
	pass "with the container running: not reported" || fail "running container still reported"
run "file path Block" denied cat /secret.txt
alert "file path Block" '"Enforcer":"AppArmor"' '"Operation":"File"' '"Resource":"/secret.txt"' \
	'"Action":"Block","Result":"Permission denied","PolicyName":"ksp-file-block"' \
	'"Type":"MatchedPolicy"' '"Comm":"cat"'
N=$(grep -c '^{' /tmp/tool.out)
run "file path Block: another file" ok cat /data/readme
silent "file path Block: another file"

policy "$S
rule file path /data/readme Audit policy=ksp-file-audit"
run "file path Audit" ok cat /data/readme
alert "file path Audit" '"Resource":"/data/readme"' \
	'"Action":"Audit","Result":"Passed","PolicyName":"ksp-file-audit"'

policy "$S
rule file path /data/readme Block readOnly policy=ksp-readonly"
run "readOnly: read" ok cat /data/readme
silent "readOnly: read"
run "readOnly: write" denied sh -c 'echo x >> /data/readme'
alert "readOnly: write" '"Resource":"/data/readme"' '"PolicyName":"ksp-readonly"'

policy "$S
rule file path /home/user1/notes Block ownerOnly policy=ksp-owner"
run "ownerOnly: not the owner" denied cat /home/user1/notes
alert "ownerOnly: not the owner" '"Resource":"/home/user1/notes"' '"PolicyName":"ksp-owner"'
N=$(grep -c '^{' /tmp/tool.out)
AS="--user 1000:1000"
run "ownerOnly: the owner" ok cat /home/user1/notes
AS=""
silent "ownerOnly: the owner"

policy "$S
rule file dir /etc/app/ Block policy=ksp-dir"
run "dir: file inside" denied cat /etc/app/main.conf
alert "dir: file inside" '"Resource":"/etc/app/main.conf"' '"PolicyName":"ksp-dir"'
run "dir: file in a subdirectory" ok cat /etc/app/conf.d/extra.conf

policy "$S
rule file rdir /etc/app/ Block policy=ksp-rdir"
run "recursive dir: file in a subdirectory" denied cat /etc/app/conf.d/extra.conf
alert "recursive dir" '"Resource":"/etc/app/conf.d/extra.conf"' '"PolicyName":"ksp-rdir"'

policy "$S
apparmor audit deny /data/readme w,"
run "native apparmor rule: write" denied sh -c 'echo y >> /data/readme'
run "native apparmor rule: read" ok cat /data/readme

# --- process ---------------------------------------------------------------------
policy "$S
rule process path /usr/local/bin/busybox-reader Block policy=ksp-proc"
run "process path Block" denied sh -c '/usr/local/bin/busybox-reader true'
alert "process path Block" '"Operation":"Process"' '"Resource":"/usr/local/bin/busybox-reader"' \
	'"PolicyName":"ksp-proc"'
run "process path Block: other binaries" ok sh -c 'true; ls / >/dev/null'

policy "$S
rule file path /secret.txt Block from=/usr/local/bin/busybox-reader policy=ksp-from"
run "fromSource: the source" denied sh -c '/usr/local/bin/busybox-reader cat /secret.txt'
alert "fromSource: the source" '"Resource":"/secret.txt"' '"PolicyName":"ksp-from"' \
	'source=/usr/local/bin/busybox-reader'
N=$(grep -c '^{' /tmp/tool.out)
run "fromSource: another binary" ok cat /secret.txt
silent "fromSource: another binary"

policy "$S
rule process path /bin/busybox Allow policy=ksp-allow-busybox"
run "process allow-list: allowed binary" ok sh -c 'ls / >/dev/null'
run "process allow-list: default posture" denied sh -c '/bin/sockprobe inet stream'
alert "process allow-list: default posture" '"Operation":"Process"' \
	'"Resource":"/bin/sockprobe"' '"PolicyName":"DefaultPosture"'

# --- network and capabilities ----------------------------------------------------------
policy "$S
rule network protocol udp Block policy=ksp-udp"
run "network udp Block" denied sockprobe inet dgram
alert "network udp Block" '"Operation":"Network"' '"Resource":"domain=AF_INET type=SOCK_DGRAM' \
	'"PolicyName":"ksp-udp"'
run "network udp Block: tcp" ok sockprobe inet stream

policy "$S network_posture=block
rule network protocol tcp Allow policy=ksp-tcp-only"
run "network allow-list: tcp" ok sockprobe inet stream
run "network allow-list: udp by default posture" denied sockprobe inet dgram
alert "network allow-list: default posture" '"Operation":"Network"' '"PolicyName":"DefaultPosture"'

policy "$S
rule network protocol udp Audit policy=ksp-udp-audit"
run "network udp Audit" ok sockprobe inet dgram
alert "network udp Audit" '"Action":"Audit","Result":"Passed","PolicyName":"ksp-udp-audit"'

policy "$S
rule network address 127.0.0.1 Block ports=53 policy=ksp-addr"
run "network address Block" denied sockprobe connect inet dgram 127.0.0.1 53
alert "network address Block" '"Resource":"remote=127.0.0.1 port=53' '"PolicyName":"ksp-addr"'
run "network address Block: another port" ok sockprobe connect inet dgram 127.0.0.1 54

policy "$S
rule capability capability net_raw Block policy=ksp-cap"
run "capability net_raw Block" denied sockprobe inet raw 1
alert "capability net_raw Block" '"Operation":"Capabilities"' '"Resource":"CAP_NET_RAW"' \
	'"PolicyName":"ksp-cap"'

# --- fromSource directories -------------------------------------------------------------
policy "$S
rule file path /secret.txt Block fromdir=/usr/local/bin/ policy=ksp-fromdir"
run "fromSource dir: a binary in it" denied sh -c '/usr/local/bin/busybox-reader cat /secret.txt'
alert "fromSource dir: a binary in it" '"Resource":"/secret.txt"' '"PolicyName":"ksp-fromdir"' \
	'source=/usr/local/bin/' '"Result":"Permission denied"'
N=$(grep -c '^{' /tmp/tool.out)
run "fromSource dir: a binary elsewhere" ok cat /secret.txt
run "fromSource dir: other execs still run" ok sh -c 'ls / >/dev/null && /bin/sockprobe inet stream'
silent "fromSource dir: a binary elsewhere"

policy "$S
rule file path /secret.txt Block fromrdir=/usr/ policy=ksp-fromrdir"
run "fromSource recursive dir: a binary below it" denied sh -c '/usr/local/bin/busybox-reader cat /secret.txt'
alert "fromSource recursive dir" '"Resource":"/secret.txt"' '"PolicyName":"ksp-fromrdir"' 'source=/usr/'
N=$(grep -c '^{' /tmp/tool.out)
run "fromSource recursive dir: a binary outside it" ok cat /secret.txt
silent "fromSource recursive dir: a binary outside it"

# --- allow-list with audit posture: misses pass, audited as DefaultPosture ---------------
policy "$S file_posture=audit
rule process path /bin/busybox Allow policy=ksp-allow-audit"
grep -q 'process allow-list with audit posture' /tmp/tool.out &&
	fail "audit posture still reported unenforced" || pass "audit posture: not reported unenforced"
run "process allow-list, audit posture: allowed binary" ok sh -c 'ls / >/dev/null'
silent "process allow-list, audit posture: allowed binary"
run "process allow-list, audit posture: a miss passes" ok sh -c '/bin/sockprobe inet stream'
alert "process allow-list, audit posture: a miss" '"Operation":"Process"' '"Resource":"/bin/sockprobe"' \
	'"Action":"Audit","Result":"Passed","PolicyName":"DefaultPosture"'

policy "$S file_posture=audit
rule file rdir / Allow readOnly policy=ksp-ro-audit"
run "file allow-list, audit posture: allowed read" ok cat /data/readme
sleep 0.5
grep '^{' /tmp/tool.out | tail -n +$((N + 1)) | grep '"Resource":"/data/readme"' | grep -q 'requested=r ' &&
	fail "file allow-list, audit posture: an allowed read was reported" ||
	pass "file allow-list, audit posture: allowed read not reported"
run "file allow-list, audit posture: a write passes" ok sh -c 'echo z >> /data/readme'
alert "file allow-list, audit posture: a write" '"Operation":"File"' '"Resource":"/data/readme"' \
	'"Action":"Audit","Result":"Passed","PolicyName":"DefaultPosture"'

policy "$S capability_posture=audit
rule capability capability chown Allow policy=ksp-cap-audit"
run "capability allow-list, audit posture: a miss passes" ok sockprobe inet raw 1
alert "capability allow-list, audit posture: a miss" '"Operation":"Capabilities"' '"Resource":"CAP_NET_RAW"' \
	'"Action":"Audit","Result":"Passed","PolicyName":"DefaultPosture"'
N=$(grep -c '^{' /tmp/tool.out)
run "capability allow-list, audit posture: allowed" ok chown 1000 /data/readme
sleep 0.5
grep '^{' /tmp/tool.out | tail -n +$((N + 1)) | grep -q '"Resource":"CAP_CHOWN"' &&
	fail "capability allow-list, audit posture: an allowed capability was reported" ||
	pass "capability allow-list, audit posture: allowed capability not reported"

# --- host policies: confined from the next exec of a shell or a source binary ----------
echo "host secret" >/host-secret.txt
echo "host audit" >/host-audit.txt
cp /bin/busybox /usr/local/bin/busybox-hostreader
policy "$S
host
rule file path /host-secret.txt Block policy=hsp-file severity=5
rule file path /host-audit.txt Audit from=/usr/local/bin/busybox-hostreader policy=hsp-src"
grep -q 'bulwark-host (enforce)' /sys/kernel/security/apparmor/profiles &&
	pass "host profile loaded" || fail "host profile bulwark-host not loaded"
sed -n "/^applied version=$V /,\$p" /tmp/tool.out | grep -q 'unenforced: host: AppArmor confines a host process from its next exec' &&
	pass "host: what AppArmor cannot confine is reported" || fail "host: limits not reported"
out=$(sh -c 'cat /host-secret.txt' 2>&1) && fail "host: a shell read the blocked file: $out" ||
	{ printf '%s' "$out" | grep -q 'Permission denied' && pass "host: blocked from a shell (denied)" ||
		fail "host: want Permission denied, got: $out"; }
alert "host: blocked from a shell" '"Type":"MatchedHostPolicy"' '"PolicyName":"hsp-file"' \
	'"Resource":"/host-secret.txt"' '"CgroupId":0'
N=$(grep -c '^{' /tmp/tool.out)
/usr/local/bin/busybox-hostreader cat /host-audit.txt >/dev/null 2>&1 &&
	pass "host: fromSource binary started unconfined: audited, passes (ok)" ||
	fail "host: fromSource binary was refused"
alert "host: fromSource binary" '"Type":"MatchedHostPolicy"' '"PolicyName":"hsp-src"' \
	'"Action":"Audit","Result":"Passed"' 'source=/usr/local/bin/busybox-hostreader'
N=$(grep -c '^{' /tmp/tool.out)
sh -c '/usr/local/bin/busybox-hostreader cat /host-audit.txt' >/dev/null 2>&1 &&
	pass "host: fromSource binary run from a confined shell (px): passes (ok)" ||
	fail "host: fromSource binary refused when run from a shell"
alert "host: fromSource binary from a shell" '"PolicyName":"hsp-src"' 'source=/usr/local/bin/busybox-hostreader' \
	'profile=bulwark-host.'
run "host rules leave containers alone" ok cat /secret.txt
policy "$S"
grep -q '^bulwark-host' /sys/kernel/security/apparmor/profiles &&
	fail "host profiles left loaded after the host rules went" || pass "host profiles unloaded"
sh -c 'cat /host-secret.txt' >/dev/null 2>&1 && pass "host: no rules, the shell reads (ok)" ||
	fail "host: still blocked after the rules went"

# --- a container started outside its profile is reported, not assumed enforced ---------
mkdir -p /run/b3
BW_OCI_NNP=false BW_OCI_ROOT=/bundle/rootfs bw_oci_config /run/b3 "" /bin/sleep 100000
runc run -d --no-pivot -b /run/b3 c3 </dev/null >/tmp/runc3.log 2>&1 || fail "runc run c3: $(cat /tmp/runc3.log)"
policy "$S
set c3 cgroup=c3
rule file path /secret.txt Block policy=ksp-c3"
sed -n "/^applied version=$V /,\$p" /tmp/tool.out | grep -q "container c3: process [0-9]* runs under 'unconfined', not profile bulwark-c3" &&
	pass "unconfined container: reported" || fail "unconfined container: not reported"
grep -q 'container runs outside its AppArmor profile' /tmp/tool.err &&
	pass "unconfined container: logged" || fail "unconfined container: not logged"
sed -n "/^applied version=$V /,\$p" /tmp/tool.out | grep -q "container c1: process" &&
	fail "c1 (under its profile) reported" || pass "confined container: not reported"
runc kill c3 KILL >/dev/null 2>&1

# --- no_new_privs: fromSource is reported as not enforceable ---------------------------
policy "$S
set c2
rule file path /secret.txt Block from=/usr/local/bin/busybox-reader policy=ksp-from2"
mkdir -p /run/b2
BW_OCI_ROOT=/bundle/rootfs bw_oci_config /run/b2 bulwark-c2 /bin/sleep 100000
runc run -d --no-pivot -b /run/b2 c2 </dev/null >/tmp/runc2.log 2>&1 || fail "runc run c2: $(cat /tmp/runc2.log)"
# runc returns before its init has exec'd the entrypoint under the profile.
P2=$(runc state c2 | sed -n 's/.*"pid": *\([0-9]*\).*/\1/p')
i=0
while [ $i -lt 100 ] && ! grep -q '^bulwark-c2' "/proc/$P2/attr/current" 2>/dev/null; do
	sleep 0.1
	i=$((i + 1))
done
policy "$S
set c2
rule file path /secret.txt Block from=/usr/local/bin/busybox-reader policy=ksp-from2"
sed -n "/^applied version=$V /,\$p" /tmp/tool.out | grep -q 'container c2: fromSource rules: the container runs with no_new_privs' &&
	pass "no_new_privs container: fromSource reported unenforceable" ||
	fail "no_new_privs container: fromSource not reported"
sed -n "/^applied version=$V /,\$p" /tmp/tool.out | grep -q 'container c1: fromSource' &&
	fail "c1 (no no_new_privs) reported" || pass "container without no_new_privs: not reported"
runc kill c2 KILL >/dev/null 2>&1

# --- the lab's launch path: a placeholder under the agreed name, then the policy ------------
. /scenario/lab-apparmor.sh
C4=Lab4Container0123456789
P4=$(lab_aa_profile_name $C4)
[ "$P4" = bulwark-lab4containe ] && pass "lab: profile name by convention ($P4)" || fail "lab: profile name '$P4'"
lab_aa_preload "$P4" /run/lab-aa >/tmp/lab-aa.log 2>&1 && grep -q "^$P4 (enforce)" /sys/kernel/security/apparmor/profiles &&
	pass "lab: placeholder profile loaded before the container" || fail "lab: placeholder: $(cat /tmp/lab-aa.log)"
mkdir -p /run/b4
BW_OCI_NNP=false BW_OCI_ROOT=/bundle/rootfs bw_oci_config /run/b4 "$P4" /bin/sleep 100000
runc run -d --no-pivot -b /run/b4 c4 </dev/null >/tmp/runc4.log 2>&1 || fail "runc run c4: $(cat /tmp/runc4.log)"
P=$(runc state c4 | sed -n 's/.*"pid": *\([0-9]*\).*/\1/p')
i=0
while [ $i -lt 100 ] && ! grep -q "^$P4" "/proc/$P/attr/current" 2>/dev/null; do
	sleep 0.1
	i=$((i + 1))
done
grep -q "^$P4" "/proc/$P/attr/current" && pass "lab: container runs under $P4" ||
	fail "lab: container runs under '$(cat /proc/$P/attr/current)'"
runc exec c4 cat /secret.txt >/dev/null 2>&1 && pass "lab: the placeholder allows (ok)" ||
	fail "lab: the placeholder refused a read"
policy "$S
set $C4 cgroup=c4
rule file path /secret.txt Block policy=ksp-lab"
out=$(runc exec c4 cat /secret.txt 2>&1) && fail "lab: the agent's profile did not replace the placeholder" ||
	{ printf '%s' "$out" | grep -q 'Permission denied' && pass "lab: the agent's profile holds (denied)" ||
		fail "lab: want Permission denied, got: $out"; }
alert "lab: the agent's profile" '"PolicyName":"ksp-lab"' '"Resource":"/secret.txt"'
sed -n "/^applied version=$V /,\$p" /tmp/tool.out | grep -q "container Lab4Containe:" &&
	fail "lab: the container was reported unconfined" || pass "lab: the container counts as confined"
runc kill c4 KILL >/dev/null 2>&1

# --- live update back to nothing --------------------------------------------------------
policy "$S"
run "no rules: secret" ok cat /secret.txt
run "no rules: udp" ok sockprobe inet dgram
run "no rules: raw" ok sockprobe inet raw 1
silent "no rules"

kill "$TOOL" 2>/dev/null || fail "bw-enforce-tool died during the run"
runc kill c1 KILL >/dev/null 2>&1
[ "$FAILS" -eq 0 ] || { echo "--- tool stderr"; tail -20 /tmp/tool.err; echo "--- tool stdout"; tail -20 /tmp/tool.out; dmesg | grep -i apparmor | tail -10; }
echo "apparmor scenarios: $FAILS failed"
[ "$FAILS" -eq 0 ]
