/*
 * cmd_provision.c - `avecctl provision PROFILE`: one school profile to the
 * appliance's configuration (hostapd, FreeRADIUS, avecd, systemd units,
 * the network and management side), its CA and its bridges.
 *
 * This file owns the order of the work and its safety: parse the whole
 * profile first (school.c); create what exists only once (the radios'
 * shared secret, the CA and the RADIUS server certificate, never
 * overwritten); render everything in memory (render.c, render_net.c);
 * check a staging copy with `freeradius -XC`, the hostapd files with our
 * own syntax check, dnsmasq.conf with `dnsmasq --test` and firewall.nft
 * with `nft -c` (when installed; nft as root only); only then switch
 * each changed file by rename, keeping the one it replaces under
 * var/lib/avec/provision.prev/.  A file whose content is unchanged is not
 * touched (its mtime stays).  Last, the bridges and VLANs
 * (net.c) unless --no-network.
 *
 * avecd.yaml is provisioning's; the drop-in directory beside it
 * (etc/avec/avecd.yaml.d/, the administrator's local settings, which
 * avecd reads after avecd.yaml) is made empty when missing and never
 * written, listed or cleared here.
 *
 * It must never print a shared secret (only paths), never switch anything
 * when a check failed, and never overwrite a CA.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "avec/secret.h"
#include "avec/store.h"
#include "avec/store_nas.h"
#include "avecctl.h"
#include "ca/ca.h"
#include "net/net.h"
#include "school/render.h"
#include "school/school.h"

#define STAGING	"var/lib/avec/provision.new"
#define PREV	"var/lib/avec/provision.prev"
#define DROPINS	"etc/avec/avecd.yaml.d"	/* the administrator's, not ours */
#define ROOT_MAX	1024

struct prov {
	const char *root;	/* "" for / */
	const char *pr;		/* prefix of paths written in files */
	bool dry_run;
	char *secrets[SCHOOL_MAX_AUTH + 1];	/* to redact from output */
};

/*
 * fmt_path - snprintf for paths: the root is at most ROOT_MAX long, so the
 * paths built from it fit; a truncation would still end in a NUL.
 */
static int fmt_path(char *buf, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int
fmt_path(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, len, fmt, ap);
	va_end(ap);
	return n;
}

static int
mkdirs(const char *path, mode_t mode)
{
	char buf[4096], *p;

	if (fmt_path(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf))
		return -1;
	for (p = buf + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, mode) < 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	if (mkdir(buf, mode) < 0 && errno != EEXIST)
		return -1;
	return 0;
}

static int
mkparent(const char *path, mode_t mode)
{
	char buf[4096], *s;

	fmt_path(buf, sizeof(buf), "%s", path);
	if ((s = strrchr(buf, '/')) == NULL || s == buf)
		return 0;
	*s = '\0';
	return mkdirs(buf, mode);
}

static int
rm_rf(const char *path)
{
	pid_t pid = fork();
	int st;

	if (pid < 0)
		return -1;
	if (pid == 0) {
		execlp("rm", "rm", "-rf", "--one-file-system", "--", path,
		       (char *)NULL);
		_exit(127);
	}
	if (waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) ||
	    WEXITSTATUS(st) != 0)
		return -1;
	return 0;
}

/* Write @len bytes to @path (new file, @mode), fsync'd. */
static int
write_new(const char *path, const char *data, size_t len, mode_t mode)
{
	size_t off = 0;
	int fd;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
		  mode);
	if (fd < 0)
		return -1;
	if (fchmod(fd, mode) < 0)
		goto fail;
	while (off < len) {
		ssize_t w = write(fd, data + off, len - off);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			goto fail;
		}
		off += (size_t)w;
	}
	if (fsync(fd) < 0)
		goto fail;
	return close(fd);
fail:
	close(fd);
	unlink(path);
	return -1;
}

/* 1 when @path holds exactly @len bytes @data, 0 when not, -1 absent. */
static int
same_content(const char *path, const char *data, size_t len)
{
	char buf[8192];
	size_t off = 0;
	ssize_t got;
	int fd, same = 1;
	struct stat st;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0)
		return -1;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    (size_t)st.st_size != len) {
		close(fd);
		return 0;
	}
	while (same && (got = read(fd, buf, sizeof(buf))) > 0) {
		if (off + (size_t)got > len ||
		    memcmp(buf, data + off, (size_t)got) != 0)
			same = 0;
		off += (size_t)got;
	}
	avec_secret_wipe(buf, sizeof(buf));
	close(fd);
	return same && off == len;
}

/* Print a line of a program's output, with every known secret hidden. */
static void
relay_line(const struct prov *pv, char *line)
{
	unsigned i;

	for (i = 0; i < SCHOOL_MAX_AUTH + 1; i++) {
		char *s = pv->secrets[i], *at;

		if (s == NULL || *s == '\0')
			continue;
		while ((at = strstr(line, s)) != NULL)
			memset(at, '*', strlen(s));
	}
	fprintf(stderr, "avecctl:   %s\n", line);
}

/*
 * run_capture - run @argv (argv[0] looked up in PATH) with its standard
 * output and error into *out (malloc'd, NUL-terminated, @len bytes; the
 * caller wipes and frees it).  Returns the exit status, 127 when it
 * could not run, or -1 (said) when no process could be made.
 */
static int
run_capture(const char *const argv[], char **out, size_t *len)
{
	FILE *f, *m;
	char line[1024];
	int pfd[2], st;
	pid_t pid;

	*out = NULL;
	*len = 0;
	if (pipe(pfd) < 0)
		return ctl_fail(CTL_IO, "pipe: %s", strerror(errno)), -1;
	pid = fork();
	if (pid < 0)
		return ctl_fail(CTL_IO, "fork: %s", strerror(errno)), -1;
	if (pid == 0) {
		close(pfd[0]);
		dup2(pfd[1], 1);
		dup2(pfd[1], 2);
		execvp(argv[0], (char *const *)argv);
		fprintf(stderr, "cannot run %s: %s\n", argv[0],
			strerror(errno));
		_exit(127);
	}
	close(pfd[1]);
	f = fdopen(pfd[0], "r");
	m = open_memstream(out, len);
	while (f != NULL && fgets(line, sizeof(line), f) != NULL)
		if (m != NULL)
			fputs(line, m);
	if (f != NULL)
		fclose(f);
	else
		close(pfd[0]);
	if (m != NULL)
		fclose(m);
	if (waitpid(pid, &st, 0) < 0)
		return ctl_fail(CTL_IO, "waitpid: %s", strerror(errno)), -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

/* Wipe and free what run_capture() gave. */
static void
capture_free(char *all, size_t len)
{
	if (all != NULL)
		avec_secret_wipe(all, len);
	free(all);
}

/*
 * check_freeradius - `PROG -XC -d DIR`; on failure, relays the lines of
 * its output that name an error (file[line] included), secrets hidden.
 */
static int
check_freeradius(const struct prov *pv, const char *prog, const char *dir)
{
	const char *const argv[] = { prog, "-XC", "-d", dir, NULL };
	char *all;
	size_t alen;
	int rc, shown = 0;

	/* keep the output to show it only on failure */
	if ((rc = run_capture(argv, &all, &alen)) < 0)
		return CTL_IO;
	if (rc == 0) {
		capture_free(all, alen);
		return CTL_OK;
	}
	ctl_fail(CTL_IO, "the FreeRADIUS configuration was refused "
		 "by `%s -XC` (staging copy %s): nothing switched",
		 prog, dir);
	for (char *p = all, *nl; p != NULL && *p != '\0'; p = nl) {
		nl = strchr(p, '\n');
		if (nl != NULL)
			*nl++ = '\0';
		if ((strstr(p, "rror") != NULL ||
		     (strstr(p, dir) != NULL &&
		      strstr(p, "[") != NULL)) && shown < 20) {
			relay_line(pv, p);
			shown++;
		}
	}
	if (shown == 0)
		fprintf(stderr, "avecctl:   (%s printed no error "
			"line; exit status %d)\n", prog, rc);
	capture_free(all, alen);
	return CTL_IO;
}

/* The program @name in PATH or in /usr/sbin, /sbin (not in a non-root
 * PATH), into @out; false when it is not installed. */
static bool
find_program(const char *name, char *out, size_t len)
{
	const char *path = getenv("PATH");
	char dirs[4096];

	fmt_path(dirs, sizeof(dirs), "%s:/usr/sbin:/sbin",
		 path != NULL ? path : "/usr/bin:/bin");
	for (char *save = NULL, *d = strtok_r(dirs, ":", &save); d != NULL;
	     d = strtok_r(NULL, ":", &save)) {
		fmt_path(out, len, "%s/%s", d, name);
		if (access(out, X_OK) == 0)
			return true;
	}
	return false;
}

/*
 * check_net_file - the checker's own test of the staging copy @file of
 * rendered @rel: `dnsmasq --test -C FILE` or `nft -c -f FILE` (@nft).  A
 * checker that is not installed, or nft without root (it needs
 * CAP_NET_ADMIN), is one line saying so.  A refusal names @rel and
 * relays the checker's lines.  Returns CTL_OK or CTL_IO.
 */
static int
check_net_file(const struct prov *pv, const char *rel, const char *file,
	       bool nft)
{
	const char *name = nft ? "nft" : "dnsmasq";
	char prog[4200], *all;
	size_t alen;
	int rc, shown = 0;

	if (!find_program(name, prog, sizeof(prog))) {
		printf("skipped `%s`: %s is not installed here (%s unchecked)\n",
		       nft ? "nft -c -f" : "dnsmasq --test", name, rel);
		return CTL_OK;
	}
	if (nft && geteuid() != 0) {
		printf("skipped `nft -c -f`: it needs root (CAP_NET_ADMIN) "
		       "(%s unchecked)\n", rel);
		return CTL_OK;
	}
	{
		const char *const dq[] = { prog, "--test", "-C", file, NULL };
		const char *const nc[] = { prog, "-c", "-f", file, NULL };

		if ((rc = run_capture(nft ? nc : dq, &all, &alen)) < 0)
			return CTL_IO;
	}
	if (rc == 0) {
		capture_free(all, alen);
		return CTL_OK;
	}
	ctl_fail(CTL_IO, "%s was refused by `%s` (staging copy %s): nothing "
		 "switched", rel, nft ? "nft -c -f" : "dnsmasq --test", file);
	for (char *p = all, *nl; p != NULL && *p != '\0' && shown < 20;
	     p = nl) {
		nl = strchr(p, '\n');
		if (nl != NULL)
			*nl++ = '\0';
		relay_line(pv, p);
		shown++;
	}
	if (shown == 0)
		fprintf(stderr, "avecctl:   (%s printed nothing; exit status "
			"%d)\n", name, rc);
	capture_free(all, alen);
	return CTL_IO;
}

/*
 * check_net - dnsmasq.conf and firewall.nft of @set, written under the
 * staging directory @sdir and checked by dnsmasq and nft themselves.
 */
static int
check_net(const struct prov *pv, const struct render_set *set,
	  const char *sdir)
{
	static const char *const files[] = { RENDER_DNSMASQ, RENDER_FIREWALL };
	char path[4400];
	unsigned i, checked = 0;
	size_t k;
	int rc;

	for (i = 0; i < 2; i++) {
		for (k = 0; k < set->n && strcmp(set->f[k].path, files[i]); k++)
			;
		if (k == set->n)
			continue;
		fmt_path(path, sizeof(path), "%s/%s", sdir, files[i]);
		if (mkparent(path, 0700) < 0 ||
		    write_new(path, set->f[k].data, set->f[k].len, 0600) < 0)
			return ctl_fail(CTL_IO, "cannot write %s: %s", path,
					strerror(errno));
		if ((rc = check_net_file(pv, files[i], path, i == 1)) != CTL_OK)
			return rc;
		checked++;
	}
	if (checked == 2)
		printf("checked %s with `dnsmasq --test`, %s with `nft -c`\n",
		       RENDER_DNSMASQ, RENDER_FIREWALL);
	return CTL_OK;
}

/* --dry-run: the ruleset and the dnsmasq file, whole (no secret there). */
static void
show_net(const struct render_set *set)
{
	size_t k;

	for (k = 0; k < set->n; k++)
		if (strcmp(set->f[k].path, RENDER_FIREWALL) == 0 ||
		    strcmp(set->f[k].path, RENDER_DNSMASQ) == 0) {
			printf("---- %s ----\n", set->f[k].path);
			fwrite(set->f[k].data, 1, set->f[k].len, stdout);
		}
}

/* Write every file of @set under @base. */
static int
write_set(const struct render_set *set, const char *base)
{
	char path[4096];
	size_t i;

	for (i = 0; i < set->n; i++) {
		if (fmt_path(path, sizeof(path), "%s/%s", base,
			     set->f[i].path) >= (int)sizeof(path))
			return ctl_fail(CTL_IO, "path too long: %s",
					set->f[i].path);
		if (mkparent(path, 0755) < 0 ||
		    write_new(path, set->f[i].data, set->f[i].len,
			      set->f[i].mode) < 0)
			return ctl_fail(CTL_IO, "cannot write %s: %s", path,
					strerror(errno));
	}
	return CTL_OK;
}

/* The radios' secret: made once, in its file, when the file is absent. */
static int
make_radios_secret(struct prov *pv, struct school *s)
{
	static const char alphabet[] = "ABCDEFGHJKLMNPQRSTUVWXYZ"
				       "abcdefghijkmnopqrstuvwxyz23456789";
	unsigned char rnd[32];
	char sec[33], path[4096];
	size_t i;

	do {
		if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
			return ctl_fail(CTL_IO, "no random numbers");
		for (i = 0; i < 32; i++)
			sec[i] = alphabet[rnd[i] % (sizeof(alphabet) - 1)];
		sec[32] = '\0';
	} while (school_secret_weak(sec, 32) != NULL);
	avec_secret_wipe(rnd, sizeof(rnd));
	fmt_path(path, sizeof(path), "%s/%s", pv->root,
		 s->radios_secret_file[0] == '/' ? s->radios_secret_file + 1 :
		 s->radios_secret_file);
	if (pv->dry_run) {
		printf("would create %s (the radios' shared secret)\n", path);
	} else {
		if (mkparent(path, 0700) < 0 ||
		    write_new(path, sec, strlen(sec), 0600) < 0) {
			avec_secret_wipe(sec, sizeof(sec));
			return ctl_fail(CTL_IO, "cannot write %s: %s", path,
					strerror(errno));
		}
		printf("created %s (the radios' shared secret)\n", path);
	}
	s->radios_secret = strdup(sec);
	avec_secret_wipe(sec, sizeof(sec));
	return s->radios_secret == NULL ? ctl_fail(CTL_IO, "out of memory") :
		CTL_OK;
}

/* Switch the changed files of @set into place; prints one line each. */
static int
switch_files(struct prov *pv, const struct render_set *set, bool freerad)
{
	char path[4096], tmp[4200], prev[4096];
	struct group *gr = freerad ? getgrnam("freerad") : NULL;
	bool prev_cleared = false;
	unsigned changed = 0;
	size_t i;

	for (i = 0; i < set->n; i++) {
		const struct render_file *f = &set->f[i];
		int same;

		fmt_path(path, sizeof(path), "%s/%s", pv->root, f->path);
		same = same_content(path, f->data, f->len);
		if (same == 1) {
			printf("unchanged %s\n", f->path);
			continue;
		}
		printf("%s %s\n", pv->dry_run ? (same < 0 ? "would create" :
			"would update") : (same < 0 ? "created" : "updated"),
		       f->path);
		if (pv->dry_run)
			continue;
		changed++;
		if (same == 0) {
			/* keep the file replaced */
			fmt_path(prev, sizeof(prev), "%s/" PREV, pv->root);
			if (!prev_cleared && (rm_rf(prev) < 0)) {
				return ctl_fail(CTL_IO, "cannot clear %s", prev);
			}
			prev_cleared = true;
			fmt_path(prev, sizeof(prev), "%s/" PREV "/%s", pv->root,
				 f->path);
			if (mkparent(prev, 0700) < 0 || link(path, prev) < 0)
				return ctl_fail(CTL_IO, "cannot keep %s in "
						"%s: %s", path, PREV,
						strerror(errno));
		}
		fmt_path(tmp, sizeof(tmp), "%s.avec-new", path);
		if (mkparent(path, 0755) < 0 ||
		    write_new(tmp, f->data, f->len, f->mode) < 0)
			return ctl_fail(CTL_IO, "cannot write %s: %s", tmp,
					strerror(errno));
		if (gr != NULL && geteuid() == 0 &&
		    strncmp(f->path, "etc/freeradius/", 15) == 0 &&
		    chown(tmp, 0, gr->gr_gid) < 0) {
			unlink(tmp);
			return ctl_fail(CTL_IO, "cannot chown %s: %s", tmp,
					strerror(errno));
		}
		if (rename(tmp, path) < 0) {
			unlink(tmp);
			return ctl_fail(CTL_IO, "cannot rename %s: %s", tmp,
					strerror(errno));
		}
	}
	if (changed == 0 && !pv->dry_run)
		printf("nothing changed\n");
	return CTL_OK;
}

/*
 * make_dropin_dir - avecd's drop-in directory, made empty (0750) when
 * there is nothing at its path; whatever is there is left as it is.
 */
static int
make_dropin_dir(const struct prov *pv)
{
	char path[4096];
	struct stat st;

	fmt_path(path, sizeof(path), "%s/" DROPINS, pv->root);
	if (lstat(path, &st) == 0)
		return CTL_OK;
	if (errno != ENOENT)
		return ctl_fail(CTL_IO, "cannot look at %s: %s", path,
				strerror(errno));
	if (pv->dry_run) {
		printf("would create " DROPINS "/ (avecd's local settings)\n");
		return CTL_OK;
	}
	if (mkparent(path, 0755) < 0 || mkdir(path, 0750) < 0 ||
	    chmod(path, 0750) < 0)
		return ctl_fail(CTL_IO, "cannot make %s: %s", path,
				strerror(errno));
	printf("created " DROPINS "/ (avecd's local settings, empty; "
	       "provision never writes there)\n");
	return CTL_OK;
}

/*
 * setup_network - every bridge first, then each VLAN interface into its
 * bridge; a VLAN that cannot be made is reported and the others are
 * still tried.
 */
static int
setup_network(const struct school *s)
{
	struct avec_err err = { { 0 } };
	struct avec_net *n = avec_net_open(&err);
	unsigned r, pass;
	int rc, status = CTL_OK;

	if (n == NULL)
		return ctl_fail(CTL_IO, "network: %s", err.msg);
	for (pass = 0; pass < 2; pass++) {
		for (r = 0; r <= AVEC_ROLE__COUNT; r++) {
			const char *br = r < AVEC_ROLE__COUNT ?
				school_role_bridge((enum avec_role)r) :
				SCHOOL_ONBOARDING_BRIDGE;
			uint16_t vid = r < AVEC_ROLE__COUNT ? s->vlan[r] :
				s->vlan_onboarding;

			if (vid == 0)
				continue;
			if (pass == 0) {
				if ((rc = avec_net_bridge(n, br, &err)) < 0) {
					avec_net_close(n);
					return ctl_fail(CTL_IO, "network: %s",
							err.msg);
				}
				printf("network: bridge %s %s\n", br,
				       rc ? "created" : "unchanged");
				continue;
			}
			rc = avec_net_vlan(n, s->uplink, vid, br, &err);
			if (rc < 0)
				status = ctl_fail(CTL_IO, "network: %s",
						  err.msg);
			else
				printf("network: %s.%u in %s %s\n", s->uplink,
				       vid, br, rc ? "created" : "unchanged");
		}
	}
	avec_net_close(n);
	return status;
}

/* The NAS of one name, found by a walk of the NAS table (with its secret:
 * wiped by the caller). */
struct nas_find {
	const char *name, *addr;
	struct avec_nas_rec by_name;
	bool named;
	char addr_owner[AVEC_NAS_NAME_MAX + 1];	/* "" = the address is free */
};

static int
nas_find_one(const struct avec_nas_rec *n, void *arg)
{
	struct nas_find *f = arg;

	if (strcmp(n->name, f->name) == 0) {
		f->by_name = *n;
		f->named = true;
	} else if (f->addr != NULL && strcmp(n->nas_address, f->addr) == 0) {
		snprintf(f->addr_owner, sizeof(f->addr_owner), "%s", n->name);
	}
	return 0;
}

/*
 * The PSK BSSes' NAS entries (render_psk_nas): each radio's PSK BSS
 * reports a NAS-IP-Address of its own and has a DAS port of its own, so
 * a revocation's Disconnect-Request for a PSK station goes there.  With
 * wifi.psk_ssid they are added to the store's NAS table (or brought up to
 * date), with the radios' secret as their DAS secret (hostapd's
 * radius_das_client); without it, AVEC's own entries of that name are
 * removed.  Entries of other names are the administrator's and are left
 * alone: one that holds a PSK BSS's address is reported, and that BSS
 * stays unregistered.  @db: the store's file on this machine; none yet
 * (before `avecctl init`) is said and skipped.  The secret is never
 * printed.  Returns CTL_OK or CTL_IO.
 */
static int
register_psk_nas(const struct prov *pv, const struct school *s,
		 const char *db)
{
	struct avec_err err = { { 0 } };
	struct avec_store *st = NULL;
	struct stat sb;
	unsigned i;
	int rc = CTL_OK;

	if (s->ssid_psk[0] == '\0' && pv->dry_run)
		return CTL_OK;
	if (stat(db, &sb) < 0) {
		if (s->ssid_psk[0] != '\0')
			printf("NAS table: no store at %s yet: the PSK BSSes "
			       "are registered by the next `avecctl provision` "
			       "after `avecctl init`\n", db);
		return CTL_OK;
	}
	if (!pv->dry_run &&
	    (st = avec_store_open(db, 0, &err)) == NULL)
		return ctl_fail(CTL_IO, "store %s: %s", db, err.msg);
	for (i = 0; i < s->nradios && rc == CTL_OK; i++) {
		struct avec_nas_rec n;
		struct nas_find f;
		unsigned port;
		int64_t id;

		memset(&n, 0, sizeof(n));
		render_psk_nas(s, i, n.name, n.nas_address, &port);
		if (pv->dry_run) {
			printf("would register NAS %s (NAS address %s, DAS "
			       "127.0.0.1 port %u)\n", n.name, n.nas_address,
			       port);
			continue;
		}
		memset(&f, 0, sizeof(f));
		f.name = n.name;
		f.addr = s->ssid_psk[0] != '\0' ? n.nas_address : NULL;
		if (avec_store_nas_list(st, nas_find_one, &f, &err) != 0) {
			rc = ctl_fail(CTL_IO, "NAS table: %s", err.msg);
			break;
		}
		if (s->ssid_psk[0] == '\0') {
			if (f.named && avec_store_nas_remove(st, n.name,
							     &err) == 0)
				printf("removed NAS %s (no PSK network)\n",
				       n.name);
			else if (f.named)
				rc = ctl_fail(CTL_IO, "NAS %s: %s", n.name,
					      err.msg);
			avec_secret_wipe(&f, sizeof(f));
			continue;
		}
		snprintf(n.das_address, sizeof(n.das_address), "127.0.0.1");
		n.das_port = (uint16_t)port;
		snprintf(n.das_secret, sizeof(n.das_secret), "%s",
			 s->radios_secret);
		if (f.addr_owner[0] != '\0') {
			fprintf(stderr, "avecctl: NAS %s already has NAS "
				"address %s: %s is not registered, and a revoked "
				"PSK station on that radio is disconnected only "
				"at its next association (avecctl nas remove "
				"%s, then provision again)\n", f.addr_owner,
				n.nas_address, n.name, f.addr_owner);
		} else if (f.named &&
			   strcmp(f.by_name.nas_address, n.nas_address) == 0 &&
			   strcmp(f.by_name.das_address, n.das_address) == 0 &&
			   f.by_name.das_port == n.das_port &&
			   strcmp(f.by_name.das_secret, n.das_secret) == 0) {
			printf("unchanged NAS %s\n", n.name);
		} else if (f.named &&
			   avec_store_nas_remove(st, n.name, &err) != 0) {
			rc = ctl_fail(CTL_IO, "NAS %s: %s", n.name, err.msg);
		} else if (avec_store_nas_add(st, &n, &id, &err) != 0) {
			rc = ctl_fail(CTL_IO, "NAS %s: %s", n.name, err.msg);
		} else {
			printf("%s NAS %s (NAS address %s, DAS 127.0.0.1 port "
			       "%u)\n", f.named ? "updated" : "registered",
			       n.name, n.nas_address, port);
		}
		avec_secret_wipe(&n, sizeof(n));
		avec_secret_wipe(&f, sizeof(f));
	}
	avec_store_close(st);
	return rc;
}

static int
cmd_provision(struct ctl *c, int argc, char **argv)
{
	enum { O_ROOT = 256, O_DRY, O_MODDIR, O_TPL, O_UNITS, O_NONET, O_NET,
	       O_AUTH, O_ACCT, O_FR, O_IMAGE };
	static const struct option lo[] = {
		{ "root", required_argument, NULL, O_ROOT },
		{ "dry-run", no_argument, NULL, O_DRY },
		{ "module-dir", required_argument, NULL, O_MODDIR },
		{ "templates", required_argument, NULL, O_TPL },
		{ "units", required_argument, NULL, O_UNITS },
		{ "no-network", no_argument, NULL, O_NONET },
		{ "network", no_argument, NULL, O_NET },
		{ "auth-port", required_argument, NULL, O_AUTH },
		{ "acct-port", required_argument, NULL, O_ACCT },
		{ "freeradius", required_argument, NULL, O_FR },
		{ "image", no_argument, NULL, O_IMAGE },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const struct ctl_cmd *cmd = &ctl_provision_cmds[0];
	const char *root_arg = "/", *moddir = "/usr/lib/freeradius",
		   *tpl = "/usr/share/avec/raddb", *units = "/usr/share/avec/systemd",
		   *fr = "freeradius";
	int network = -1, rc = CTL_OK, ch;
	bool image = false;
	int64_t auth = 1812, acct = 1813;
	struct school s;
	struct school_errors errs = { 0, NULL };
	struct render_set set = { 0 }, stage = { 0 };
	struct render_paths p;
	struct avec_err err = { { 0 } };
	struct prov pv;
	char root[4096], db[4096], cadir[4096], raddb[4200], logdir[4200],
	     rundir[4200], hdir[4200], sdir[4200], sraddb[4400], rdb[4200],
	     rlog[4200], rrun[4200];
	unsigned created = 0, i;

	memset(&pv, 0, sizeof(pv));
	memset(&s, 0, sizeof(s));
	while ((ch = ctl_getopt(cmd, argc, argv, "h", lo)) != -1) {
		switch (ch) {
		case 'h':
			return ctl_help(cmd);
		case O_ROOT:
			root_arg = optarg;
			break;
		case O_DRY:
			pv.dry_run = true;
			break;
		case O_MODDIR:
			moddir = optarg;
			break;
		case O_TPL:
			tpl = optarg;
			break;
		case O_UNITS:
			units = optarg;
			break;
		case O_NONET:
			network = 0;
			break;
		case O_NET:
			network = 1;
			break;
		case O_AUTH:
			if (ctl_parse_num("--auth-port", optarg, 1, 65535,
					  &auth) < 0)
				return CTL_USAGE;
			break;
		case O_ACCT:
			if (ctl_parse_num("--acct-port", optarg, 1, 65535,
					  &acct) < 0)
				return CTL_USAGE;
			break;
		case O_FR:
			fr = optarg;
			break;
		case O_IMAGE:
			image = true;
			break;
		default:
			return CTL_USAGE;
		}
	}
	if (argc - optind != 1)
		return ctl_usage_fail(cmd, "expected one PROFILE");
	if (root_arg[0] != '/' || strlen(root_arg) > ROOT_MAX)
		return ctl_usage_fail(cmd, "--root must be an absolute path "
				      "of at most %d bytes", ROOT_MAX);
	fmt_path(root, sizeof(root), "%s", root_arg);
	while (strlen(root) > 1 && root[strlen(root) - 1] == '/')
		root[strlen(root) - 1] = '\0';
	if (strcmp(root, "/") == 0)
		root[0] = '\0';
	pv.root = root;
	pv.pr = image ? "" : root;
	if (network < 0)
		network = root[0] == '\0';

	if (school_parse(argv[optind], NULL, root[0] ? root : "/", &s,
			 &errs) < 0) {
		for (i = 0; i < errs.n; i++)
			fprintf(stderr, "avecctl: %s\n", errs.msg[i]);
		if (errs.n == 0)
			fprintf(stderr, "avecctl: out of memory\n");
		fprintf(stderr, "avecctl: %s refused: nothing changed\n",
			argv[optind]);
		school_errors_free(&errs);
		return CTL_USAGE;
	}
	school_errors_free(&errs);
	if (s.radios_secret == NULL && (rc = make_radios_secret(&pv, &s)))
		goto out;
	pv.secrets[0] = s.radios_secret;
	for (i = 0; i < s.nauth; i++)
		pv.secrets[i + 1] = s.auth[i].secret;

	/* the store and the CA: given with -d/--ca-dir, else under the root */
	if (strlen(c->db_path) > ROOT_MAX || strlen(c->ca_dir) > ROOT_MAX) {
		rc = ctl_fail(CTL_USAGE, "the store or CA path is too long");
		goto out;
	}
	if (strcmp(c->db_path, CTL_DEFAULT_DB) == 0)
		fmt_path(db, sizeof(db), "%s%s", pv.pr, CTL_DEFAULT_DB);
	else
		fmt_path(db, sizeof(db), "%s", c->db_path);
	if (strcmp(c->ca_dir, CTL_DEFAULT_CA_DIR) == 0)
		fmt_path(cadir, sizeof(cadir), "%s%s", root,
			 CTL_DEFAULT_CA_DIR);
	else
		fmt_path(cadir, sizeof(cadir), "%s", c->ca_dir);
	fmt_path(raddb, sizeof(raddb), "%s/etc/freeradius/avec", pv.pr);
	fmt_path(logdir, sizeof(logdir), "%s/var/log/avec-radius", pv.pr);
	fmt_path(rundir, sizeof(rundir), "%s/run/avec-radius", pv.pr);
	fmt_path(hdir, sizeof(hdir), "%s/etc/hostapd", pv.pr);
	memset(&p, 0, sizeof(p));
	p.raddb = raddb;
	p.templates = tpl;
	p.units = units;
	p.module_dir = moddir;
	p.db = db;
	p.log_dir = logdir;
	p.run_dir = rundir;
	p.hostapd_dir = hdir;
	p.auth_port = (unsigned)auth;
	p.acct_port = (unsigned)acct;
	{
		/* the CA directory as FreeRADIUS on the appliance sees it */
		static char cafiles[4096];

		if (image && root[0] != '\0' &&
		    strncmp(cadir, root, strlen(root)) == 0)
			fmt_path(cafiles, sizeof(cafiles), "%s",
				 cadir + strlen(root));
		else
			fmt_path(cafiles, sizeof(cafiles), "%s", cadir);
		p.ca_dir = cafiles;
	}

	/* the CA and the server certificate: first run only */
	if (pv.dry_run) {
		struct stat st;
		char pem[4200];

		fmt_path(pem, sizeof(pem), "%s/ca.pem", cadir);
		printf("%s %s\n", stat(pem, &st) == 0 ? "unchanged" :
		       "would create", "the appliance CA");
	} else {
		if (avec_ca_init(cadir, s.radius_name, &created, &err) < 0) {
			rc = ctl_fail(CTL_IO, "CA: %s", err.msg);
			goto out;
		}
		printf("%s the appliance CA (%s)\n",
		       created & AVEC_CA_CREATED_CA ? "created" : "unchanged",
		       cadir);
		printf("%s the RADIUS server certificate for %s\n",
		       created & AVEC_CA_CREATED_SERVER ? "created" :
		       "unchanged", s.radius_name);
	}

	if (render_all(&s, &p, &set, &err) < 0) {
		rc = ctl_fail(CTL_IO, "%s", err.msg);
		goto out;
	}
	/* our own syntax check of each hostapd file */
	for (i = 0; i < set.n; i++) {
		size_t l = strlen(set.f[i].path);

		if (l < 5 || strcmp(set.f[i].path + l - 5, ".conf") != 0 ||
		    strncmp(set.f[i].path, "etc/hostapd/", 12) != 0)
			continue;
		if (render_hostapd_check(set.f[i].data, set.f[i].len,
					 &err) < 0) {
			rc = ctl_fail(CTL_IO, "%s: %s (AVEC's own hostapd "
				      "syntax check): nothing switched",
				      set.f[i].path, err.msg);
			goto out;
		}
	}
	/* FreeRADIUS's own check of a staging copy */
	fmt_path(sdir, sizeof(sdir), "%s/" STAGING, root);
	fmt_path(sraddb, sizeof(sraddb), "%s/etc/freeradius/avec", sdir);
	/* the staging copy names the files as they are here, also for an
	 * image (--image): FreeRADIUS checks them on this machine */
	fmt_path(rdb, sizeof(rdb), "%s%s", image ? root : "", db);
	fmt_path(rlog, sizeof(rlog), "%s/var/log/avec-radius", root);
	fmt_path(rrun, sizeof(rrun), "%s/run/avec-radius", root);
	p.raddb = sraddb;
	p.db = rdb;
	p.ca_dir = cadir;
	p.log_dir = rlog;
	p.run_dir = rrun;
	rc = render_raddb(&s, &p, "etc/freeradius/avec", &stage, &err);
	if (rc < 0) {
		rc = ctl_fail(CTL_IO, "%s", err.msg);
		goto out;
	}
	if (rm_rf(sdir) < 0 || mkdirs(sdir, 0700) < 0) {
		rc = ctl_fail(CTL_IO, "cannot make %s: %s", sdir,
			      strerror(errno));
		goto out;
	}
	if ((rc = write_set(&stage, sdir)) != CTL_OK)
		goto out;
	{
		struct stat st;
		char pem[4200];

		fmt_path(pem, sizeof(pem), "%s/server.pem", cadir);
		if (pv.dry_run && stat(pem, &st) < 0) {
			printf("skipped `%s -XC`: no CA yet (dry run)\n", fr);
		} else {
			if (!pv.dry_run && (mkdirs(rlog, 0750) < 0 ||
					    mkdirs(rrun, 0750) < 0)) {
				rc = ctl_fail(CTL_IO, "cannot make %s: %s",
					      rlog, strerror(errno));
				goto out;
			}
			rc = check_freeradius(&pv, fr, sraddb);
			if (rc != CTL_OK) {
				rm_rf(sdir);
				goto out;
			}
			printf("checked FreeRADIUS with `%s -XC`, hostapd with "
			       "AVEC's own syntax check\n", fr);
		}
	}
	rc = check_net(&pv, &set, sdir);
	rm_rf(sdir);
	if (rc != CTL_OK)
		goto out;

	rc = switch_files(&pv, &set, true);
	if (rc == CTL_OK && pv.dry_run)
		show_net(&set);
	if (rc == CTL_OK)
		rc = make_dropin_dir(&pv);
	if (rc == CTL_OK) {
		char sdb[4200];

		fmt_path(sdb, sizeof(sdb), "%s%s", image ? root : "", db);
		rc = register_psk_nas(&pv, &s, sdb);
	}
	if (rc == CTL_OK && network && !pv.dry_run)
		rc = setup_network(&s);
	else if (rc == CTL_OK && !network)
		printf("network: skipped\n");
out:
	render_set_free(&set);
	render_set_free(&stage);
	school_free(&s);
	return rc;
}

const struct ctl_cmd ctl_provision_cmds[] = {
	{ "provision", cmd_provision,
	  "provision PROFILE [--root DIR] [--dry-run] [--module-dir DIR] "
	  "[--no-network]",
	  "Render the appliance's configuration from a school profile "
	  "(docs/school-profile.md):\n"
	  "hostapd per radio, FreeRADIUS, avecd.yaml, systemd units, dnsmasq, "
	  "nftables and\nthe management side's files (docs/network.md); "
	  "create the CA, the RADIUS\nserver certificate and the radios' "
	  "secret on the first run.\nEverything is checked (freeradius -XC, a hostapd syntax check, "
	  "dnsmasq --test,\nnft -c) before any file is switched; unchanged "
	  "files are left alone; replaced\nones are kept in DIR/" PREV "/.\n"
	  "  --root DIR        render under DIR (default /)\n"
	  "  --dry-run         say what would change, change nothing; show "
	  "the nftables\n                    ruleset and the dnsmasq file\n"
	  "  --module-dir DIR  where rlm_avec.so is (default "
	  "/usr/lib/freeradius)\n"
	  "  --templates DIR   AVEC's FreeRADIUS templates (default "
	  "/usr/share/avec/raddb)\n"
	  "  --units DIR       AVEC's systemd units (default "
	  "/usr/share/avec/systemd)\n"
	  "  --network, --no-network  make the role bridges and VLANs (default:"
	  " only\n                    when DIR is /)\n"
	  "  --image           DIR is an image to boot: paths in the files "
	  "omit DIR\n"
	  "  --auth-port N, --acct-port N  RADIUS ports (default 1812, 1813)\n"
	  "  --freeradius PROG the server program for the check\n" },
	{ NULL, NULL, NULL, NULL },
};
