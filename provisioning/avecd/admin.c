/*
 * admin.c - avecd's admin API: one avecctl command run on the appliance
 * for an administrator who is not at its console.
 *
 * The API has one verb: POST /v1/avecctl with a command and its arguments
 * as repeated "arg" form fields; the answer carries the command's exit
 * status, its stderr and its stdout (provisioning/avecctl/api_client.c
 * is the client).  Every command exists once, in avecctl; avecd runs it
 * under the caller's scope, with the caller named for the audit trail.
 *
 * A caller names a command and that command's arguments, never one of
 * avecctl's global options: the first arg must be a command word the API
 * runs (api_commands below, checked here before anything is run), and
 * avecctl is run as "avecctl -d STORE --ca-dir CA --api-child ARGS...",
 * where --api-child ends its global options.  avecctl then refuses what
 * the API may not do (provisioning/avecctl/audit.c, ctl_api_check): a
 * global option anywhere, an option or argument that names a file, a
 * change with a read token.  So the store and the CA are avecd's, the
 * command never runs as an API client, and no path comes from a caller.
 *
 * Two doors.  The local socket (admin.socket, mode 0600) is served here,
 * in the engine: whoever can open it is an administrator of this machine,
 * and is named by its peer credentials.  HTTPS (admin.listen) is served by
 * the unprivileged portal, which only forwards the request; the engine
 * checks the token (hashed in the store) and its scope (engine.c).
 *
 * It must never put a token or a command's output in the log: the log
 * gets who ran which command and its exit status.
 */
#include <errno.h>
#include <stdint.h>
#include <fcntl.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "avec/log.h"
#include "avecd.h"
#include "common/buf.h"
#include "common/mono.h"
#include "common/text.h"

#define EXEC_TIMEOUT_MS	60000
#define STDERR_MAX	(64u << 10)
#define BODY_MAX	(32u << 10)

/*
 * The commands the admin API runs: avecctl's command words, less init,
 * token and provision (the store, the CA and tokens are made on the
 * appliance; avecctl refuses them under the API too).
 */
static const char *const api_commands[] = {
	"account", "audit", "block", "ca", "device", "ent", "log", "nas",
	"policy", "report", "settings", "status",
	NULL,
};

static bool
api_command(const char *word)
{
	for (size_t i = 0; api_commands[i] != NULL; i++)
		if (strcmp(api_commands[i], word) == 0)
			return true;
	return false;
}

/* ---- running avecctl ---- */

static void
child(const struct avecd_conf *c, char *const *args, unsigned nargs,
      const char *scope, const char *actor, const char *origin, int out,
      int err)
{
	char *argv[AVECD_ADMIN_ARGS + 8];
	unsigned i, k = 0;
	int devnull = open("/dev/null", O_RDONLY);

	if (devnull < 0 || dup2(devnull, 0) < 0 || dup2(out, 1) < 0 ||
	    dup2(err, 2) < 0)
		_exit(127);
	clearenv();
	setenv("PATH", "/usr/sbin:/usr/bin:/sbin:/bin", 1);
	if (scope != NULL)		/* NULL: avecd's own jobs */
		setenv("AVEC_API_SCOPE", scope, 1);
	setenv("AVEC_API_ACTOR", actor, 1);
	setenv("AVEC_API_ORIGIN", origin, 1);
	argv[k++] = (char *)"avecctl";
	argv[k++] = (char *)"-d";
	argv[k++] = (char *)c->store;
	argv[k++] = (char *)"--ca-dir";
	argv[k++] = (char *)c->ca_dir;
	/* the end of avecctl's global options: what follows is the
	 * command; for the API, the caller's (see the top of this file) */
	argv[k++] = (char *)(scope != NULL ? "--api-child" : "--");
	for (i = 0; i < nargs && i < AVECD_ADMIN_ARGS; i++)
		argv[k++] = args[i];
	argv[k] = NULL;
	execv(c->admin_avecctl, argv);
	fprintf(stderr, "avecd: cannot run %s: %s\n", c->admin_avecctl,
		strerror(errno));
	_exit(127);
}

/* The wire result (api_client.c): the exit status, @e (stderr), @o. */
static void
result(struct avec_buf *out, int ex, const struct avec_buf *e,
       const struct avec_buf *o)
{
	avec_buf_printf(out, "avecctl-result 1\nexit %d\nstderr %zu\n", ex,
			e->len);
	avec_buf_append(out, e->data ? e->data : "", e->len);
	avec_buf_append(out, o->data ? o->data : "", o->len);
}

/* A first arg that is not a command the API runs: refused, exit 3 (as
 * avecctl refuses), nothing run. */
static void
refuse(struct avec_buf *out, const char *word, const char *actor,
       const char *origin)
{
	struct avec_buf e = { 0 }, o = { 0 };
	char safe[64];

	avec_text_safe(word, safe, sizeof(safe));
	avec_buf_printf(&e, "avecd: '%s' is not a command the admin API "
			"runs: it takes a command (", safe);
	for (size_t i = 0; api_commands[i] != NULL; i++)
		avec_buf_printf(&e, "%s%s", i ? ", " : "", api_commands[i]);
	avec_buf_puts(&e, ") and that command's arguments, never a global "
		      "option\n");
	result(out, 3, &e, &o);
	/* the caller's words stay out of the log: they could be anything */
	avec_info("admin API: %s from %s: refused, the first arg is not a "
		  "command it runs", actor, origin);
	avec_buf_free(&e);
}

int
avecd_admin_exec(const struct avecd_conf *c, char *const *args,
		 unsigned nargs, const char *scope, const char *actor,
		 const char *origin, struct avec_buf *out)
{
	struct avec_buf o = { 0 }, e = { 0 };
	int po[2] = { -1, -1 }, pe[2] = { -1, -1 }, status = 0, ex, rc = -1;
	int64_t deadline;
	pid_t pid;
	char chunk[4096];

	if (scope != NULL && (nargs == 0 || !api_command(args[0]))) {
		refuse(out, nargs > 0 ? args[0] : "", actor, origin);
		return avec_buf_failed(out) ? -1 : 0;
	}
	if (pipe2(po, O_CLOEXEC) < 0 || pipe2(pe, O_CLOEXEC) < 0)
		goto fail;
	if ((pid = fork()) < 0)
		goto fail;
	if (pid == 0)
		child(c, args, nargs, scope, actor, origin, po[1], pe[1]);
	close(po[1]);
	close(pe[1]);
	po[1] = pe[1] = -1;
	deadline = avec_mono_ms() + EXEC_TIMEOUT_MS;
	while (po[0] >= 0 || pe[0] >= 0) {
		struct pollfd pf[2] = { { po[0], POLLIN, 0 }, { pe[0], POLLIN, 0 } };
		int64_t now;
		unsigned i;

		now = avec_mono_ms();
		if (now >= deadline || poll(pf, 2, (int)(deadline - now)) < 0) {
			if (errno == EINTR && now < deadline)
				continue;
			kill(pid, SIGKILL);
			avec_buf_puts(&e, "avecd: the command took too long and "
				      "was stopped\n");
			break;
		}
		for (i = 0; i < 2; i++) {
			int *fd = i == 0 ? &po[0] : &pe[0];
			struct avec_buf *b = i == 0 ? &o : &e;
			ssize_t n;

			if (*fd < 0 || !(pf[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			n = read(*fd, chunk, sizeof(chunk));
			if (n <= 0) {
				close(*fd);
				*fd = -1;
			} else if (b->len + (size_t)n <= (i == 0 ? AVECD_ADMIN_RESULT_MAX - STDERR_MAX - 64 : STDERR_MAX)) {
				avec_buf_append(b, chunk, (size_t)n);
			}
		}
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	ex = WIFEXITED(status) ? WEXITSTATUS(status) : 4;
	result(out, ex, &e, &o);
	avec_info("admin API: %s ran \"%s%s%s\" from %s: exit %d", actor,
		  nargs > 0 ? args[0] : "", nargs > 1 ? " " : "",
		  nargs > 1 ? args[1] : "", origin, ex);
	rc = avec_buf_failed(out) ? -1 : 0;
	goto out;
fail:
	avec_err_log("admin API: cannot run avecctl: %s", strerror(errno));
out:
	for (unsigned i = 0; i < 2; i++) {
		if (po[i] >= 0)
			close(po[i]);
		if (pe[i] >= 0)
			close(pe[i]);
	}
	avec_buf_free(&o);
	avec_buf_free(&e);
	return rc;
}

/* ---- the request: repeated "arg" fields ---- */

unsigned
avecd_admin_args(char *body, char **args, unsigned max)
{
	char *save = NULL, *f;
	unsigned n = 0;

	if (body == NULL)
		return 0;
	for (f = strtok_r(body, "&", &save); f != NULL;
	     f = strtok_r(NULL, "&", &save)) {
		if (strncmp(f, "arg=", 4) != 0)
			continue;
		if (n == max)
			return max + 1;		/* too many */
		f += 4;
		for (char *c = f; *c; c++)
			if (*c == '+')
				*c = ' ';
		f[MHD_http_unescape(f)] = '\0';
		args[n++] = f;
	}
	return n;
}

/* ---- the local socket, served by the engine ---- */

struct areq {
	struct avec_buf body;
	bool too_big;
};

static struct MHD_Daemon *local_daemon;

static enum MHD_Result
reply(struct MHD_Connection *conn, unsigned status, const char *text,
      size_t len)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = MHD_create_response_from_buffer(len, (void *)(uintptr_t)text,
					    MHD_RESPMEM_MUST_COPY);
	if (r == NULL)
		return MHD_NO;
	MHD_add_response_header(r, "Content-Type",
				status == 200 ? "application/x-avecctl-result"
					      : "text/plain");
	MHD_add_response_header(r, "Cache-Control", "no-store");
	ret = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return ret;
}

/* "uid 0 (root)" of the peer of a local connection */
static void
peer_name(struct MHD_Connection *conn, char *out, size_t len)
{
	const union MHD_ConnectionInfo *ci;
	struct ucred cr;
	socklen_t sl = sizeof(cr);
	struct passwd *pw;

	snprintf(out, len, "local user");
	ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	if (ci == NULL ||
	    getsockopt(ci->connect_fd, SOL_SOCKET, SO_PEERCRED, &cr, &sl) < 0)
		return;
	pw = getpwuid(cr.uid);
	snprintf(out, len, "uid %u (%s)", (unsigned)cr.uid,
		 pw ? pw->pw_name : "?");
}

static enum MHD_Result
local_handle(void *cls, struct MHD_Connection *conn, const char *url,
	     const char *method, const char *version, const char *upload,
	     size_t *upload_size, void **con_cls)
{
	const struct avecd_conf *c = cls;
	struct areq *r = *con_cls;
	struct avec_buf out = { 0 };
	char *args[AVECD_ADMIN_ARGS + 1], who[96];
	enum MHD_Result ret;
	unsigned n;

	(void)version;
	if (r == NULL) {
		if ((r = calloc(1, sizeof(*r))) == NULL)
			return MHD_NO;
		*con_cls = r;
		return MHD_YES;
	}
	if (*upload_size > 0) {
		if (r->body.len + *upload_size > BODY_MAX)
			r->too_big = true;
		else
			avec_buf_append(&r->body, upload, *upload_size);
		*upload_size = 0;
		return MHD_YES;
	}
	if (strcmp(method, "POST") != 0 || strcmp(url, "/v1/avecctl") != 0)
		return reply(conn, 404, "no such API call\n", 17);
	if (r->too_big)
		return reply(conn, 413, "request too large\n", 18);
	n = avecd_admin_args(r->body.data, args, AVECD_ADMIN_ARGS);
	if (n == 0 || n > AVECD_ADMIN_ARGS)
		return reply(conn, 400, "expected 1 to 32 arg fields\n", 28);
	peer_name(conn, who, sizeof(who));
	if (avecd_admin_exec(c, args, n, "write", who, "admin socket",
			     &out) < 0) {
		avec_buf_free(&out);
		return reply(conn, 503, "the command could not be run\n", 29);
	}
	ret = reply(conn, 200, out.data, out.len);
	avec_buf_free(&out);
	return ret;
}

static void
local_done(void *cls, struct MHD_Connection *conn, void **con_cls,
	   enum MHD_RequestTerminationCode toe)
{
	struct areq *r = *con_cls;

	(void)cls; (void)conn; (void)toe;
	if (r != NULL) {
		avec_buf_free(&r->body);
		free(r);
		*con_cls = NULL;
	}
}

int
avecd_admin_socket_start(const struct avecd_conf *c)
{
	struct sockaddr_un sa;
	struct stat sb;
	mode_t old_mask;
	int fd, rc;

	if (c->admin_socket[0] == '\0')
		return 0;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (strlen(c->admin_socket) >= sizeof(sa.sun_path)) {
		avec_err_log("admin.socket %s: path too long", c->admin_socket);
		return -1;
	}
	memcpy(sa.sun_path, c->admin_socket, strlen(c->admin_socket) + 1);
	/* a socket left by a previous run is replaced; nothing else is */
	if (lstat(c->admin_socket, &sb) == 0) {
		if (!S_ISSOCK(sb.st_mode)) {
			avec_err_log("admin.socket %s exists and is not a "
				     "socket", c->admin_socket);
			return -1;
		}
		unlink(c->admin_socket);
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	/* made 0600 by bind itself, whatever the umask: never another mode,
	 * not even between a bind and a chmod (the engine has one thread
	 * here, so the umask changes for nobody else) */
	old_mask = umask(0177);
	rc = fd < 0 ? -1 : bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old_mask);
	if (rc < 0 || listen(fd, 16) < 0) {
		avec_err_log("admin.socket %s: %s", c->admin_socket,
			     strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	local_daemon = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD |
					MHD_USE_ERROR_LOG, 0, NULL, NULL,
					local_handle, (void *)(uintptr_t)c,
					MHD_OPTION_LISTEN_SOCKET, fd,
					MHD_OPTION_CONNECTION_TIMEOUT,
					(unsigned)130,
					MHD_OPTION_NOTIFY_COMPLETED,
					local_done, NULL,
					MHD_OPTION_END);
	if (local_daemon == NULL) {
		avec_err_log("admin.socket %s: cannot serve it",
			     c->admin_socket);
		close(fd);
		unlink(c->admin_socket);
		return -1;
	}
	avec_info("admin API on %s", c->admin_socket);
	return 0;
}

void
avecd_admin_socket_stop(void)
{
	if (local_daemon != NULL) {
		MHD_stop_daemon(local_daemon);
		local_daemon = NULL;
	}
}
