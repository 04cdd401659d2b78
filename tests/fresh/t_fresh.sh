#!/bin/bash
# timeout: 2400 s
# tests/fresh/t_fresh.sh - the README's set-up on a clean Debian 12
# (`make fresh-check`, and part of `make check`).
#
# A machine that was used before keeps what someone installed by hand, so a
# green run there proves nothing about a new user's machine.  This test makes
# a clean Debian 12 root with mmdebstrap (variant minbase, plus make: what a
# person who follows the README has before the first command), puts a `git
# archive` of HEAD in it (committed files only, as a clone has them), and
# runs there, as root, what a new user runs:
#   (a) make deps: every package from Debian's archive;
#   (b) make: the whole build, warnings as errors;
#   (c) make unit: the Check suites, plain and with ASan+UBSan;
#   (d) tests/deps/t_deps.sh: inside that root, every header, module,
#       library and program comes from a package that mk/deps.sh installs.
# The Debian packages are cached in build/image-cache/apt, shared with `make
# image`, and this machine's own apt cache seeds it (see below): the first
# run on a new machine downloads them, later ones reuse them.  mmdebstrap
# keeps the root's services from starting while it builds it (its
# policy-rc.d), and dpkg there skips its fsync calls (force-unsafe-io: the
# root is thrown away); that is all that differs from a real machine.  The root is
# removed at the end (T_KEEP=1 keeps it).
#
# AVEC_FRESH_REV=REV tests another commit than HEAD.
# shellcheck source=tests/lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
[ "$(id -u)" = 0 ] || skip "needs root (mmdebstrap, chroot)"
need mmdebstrap git tar
cd "$AVEC_TOP" || exit 1
git rev-parse --git-dir >/dev/null 2>&1 || skip "not a git checkout (git archive)"

rev=${AVEC_FRESH_REV:-HEAD}
commit=$(git rev-parse --short "$rev") || { fail "no commit $rev"; finish; }
cache=$AVEC_BUILD/image-cache/apt
root=$AVEC_BUILD/fresh/root
sources=${AVEC_IMAGE_SOURCES:-/etc/apt/sources.list.d/debian.sources}
[ -r "$sources" ] || sources=/etc/apt/sources.list
mkdir -p "$cache" "$AVEC_BUILD/fresh"
# drop_root : unmount whatever an interrupted mmdebstrap left mounted in
# the root (its /dev/pts, /dev/shm, /proc, /sys), deepest first, then
# remove it without ever crossing into another filesystem
drop_root() {
	local m
	for m in $(awk -v r="$root/" 'index($2 "/", r) == 1 { print $2 }' /proc/mounts | sort -r); do
		umount -l "$m" 2>/dev/null
	done
	rm -rf --one-file-system "$root"
}
drop_root
[ "${T_KEEP:-0}" = 1 ] || trap 'drop_root; t_cleanup' EXIT
git archive --format=tar --prefix=avec/ "$rev" > "$T_SCRATCH/avec.tar" ||
	{ fail "git archive $rev"; finish; }
echo "# commit $commit; packages cached in $cache ($(find "$cache" -name '*.deb' | wc -l) .deb)"

# The steps, run by a customize hook inside the new root (mmdebstrap has
# mounted /proc, /sys and /dev there), in an empty environment: nothing of
# this machine's, nor of this test's (AVEC_TOP...), reaches them.  Each step's status and time go to
# /fresh/STEP; a failing step stops the ones after it but never the hook,
# so that the cache is still synced out.
cat > "$T_SCRATCH/steps.sh" <<'EOF'
#!/bin/sh
export DEBIAN_FRONTEND=noninteractive LC_ALL=C.UTF-8 HOME=/root
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
cd /root/avec || exit 1
step() {
	name=$1; shift
	t0=$(date +%s)
	"$@" > "/fresh/$name.log" 2>&1
	echo "$? $(( $(date +%s) - t0 ))" > "/fresh/$name"
	[ "$(cut -d' ' -f1 "/fresh/$name")" = 0 ]
}
step deps make deps &&
	step build make -j2 &&
	step unit make -j2 unit &&
	step t_deps bash tests/run.sh tests/deps/t_deps.sh
exit 0
EOF

# This machine's own apt cache seeds the root's: the same files from the
# same archive, which apt checks against the archive's index before it
# installs them (hard links where they can be).  Only what this machine does
# not hold is kept in the shared cache.  AVEC_FRESH_COLD=1 leaves both out:
# every package is downloaded.
host=/var/cache/apt/archives
if [ "${AVEC_FRESH_COLD:-0}" = 1 ]; then
	cache=$T_SCRATCH/cold-cache; mkdir -p "$cache"
	seed=true
else
	seed="for f in $host/*.deb; do [ -e \"\$f\" ] || continue; ln \"\$f\" \"\$1/var/cache/apt/archives/\" 2>/dev/null || cp \"\$f\" \"\$1/var/cache/apt/archives/\"; done"
fi
keep="for f in \"\$1\"/var/cache/apt/archives/*.deb; do b=\${f##*/}; [ -e '$host'/\"\$b\" ] || [ -e '$cache'/\"\$b\" ] || cp \"\$f\" '$cache'/; done"

t0=$(date +%s)
mmdebstrap --variant=minbase --include=make \
	--aptopt='APT::Install-Recommends "false"' \
	--skip=download/empty \
	--setup-hook='mkdir -p "$1"/var/cache/apt/archives/' \
	--setup-hook="sync-in '$cache' /var/cache/apt/archives/" \
	--setup-hook="$seed" \
	--customize-hook="mkdir -p \"\$1/fresh\" && tar -x -C \"\$1/root\" -f '$T_SCRATCH/avec.tar'" \
	--customize-hook="copy-in '$T_SCRATCH/steps.sh' /fresh" \
	--customize-hook='echo force-unsafe-io > "$1/etc/dpkg/dpkg.cfg.d/avec-fresh"' \
	--customize-hook='chroot "$1" env -i sh /fresh/steps.sh' \
	--customize-hook="$keep" \
	bookworm "$root" "$sources" > "$T_SCRATCH/mmdebstrap.log" 2>&1
rc=$?
check "a clean Debian 12 root (mmdebstrap minbase + make; $(( $(date +%s) - t0 )) s in all)" [ $rc = 0 ]
[ $rc = 0 ] || { tail -n 30 "$T_SCRATCH/mmdebstrap.log" | sed 's/^/# | /'; finish; }

# result STEP DESC : the step's verdict, with the end of its log if it failed
result() {
	local st rc secs
	st=$root/fresh/$1
	if [ ! -f "$st" ]; then
		fail "$2: not run (an earlier step failed)"; return 1
	fi
	read -r rc secs < "$st"
	if [ "$rc" = 0 ]; then
		ok "$2 ($secs s)"
	else
		fail "$2 (exit $rc after $secs s); the end of its log:"
		tail -n 40 "$root/fresh/$1.log" | sed 's/^/# | /'
	fi
}
result deps "(a) make deps installs what AVEC needs from Debian's archive"
grep -E '^deps: installing' "$root/fresh/deps.log" | sed 's/^/# /' | cut -c1-400
result build "(b) make builds AVEC (-Werror)"
result unit "(c) make unit: the Check suites, plain and sanitized"
grep -E '^[0-9]+%: Checks: ' "$root/fresh/unit.log" 2>/dev/null | sed 's/^/# /'
result t_deps "(d) t_deps.sh inside the clean root"
grep -E '^ *(ok|not ok) - ' "$root/fresh/t_deps.log" 2>/dev/null | sed 's/^ */# /'
echo "# packages cached now: $(find "$cache" -name '*.deb' | wc -l) .deb, $(du -sh "$cache" | cut -f1)"
finish
