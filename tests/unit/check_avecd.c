/*
 * check_avecd.c - the wire between avecd's portal and engine (msg.c):
 * a message is read only when its header announces exactly the struct the
 * reader expects; anything else (a short, long, unknown or truncated
 * message) is refused rather than read as a struct.  And the portal's
 * redirect rule (redirect.c): "next" is a plain local path, or "/".  And
 * the ACME challenges' checks (acme.c): a base64url token, a small regular
 * file that is no link, in a directory that is no link.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "avecd/avecd.h"
#include "unit.h"

volatile int avecd_stop;

static void
pair(int sv[2])
{
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
}

START_TEST(msg_roundtrip)
{
	struct avecd_remove out, in;
	uint32_t type = AVECD_MSG_REMOVE;
	int sv[2];

	pair(sv);
	memset(&out, 0, sizeof(out));
	strcpy(out.principal, "F1abc");
	out.id = 42;
	ck_assert_int_eq(avecd_msg_send(sv[0], type, &out, sizeof(out)), 0);
	ck_assert_int_eq(avecd_msg_recv(sv[1], &type, &in, sizeof(in)), 0);
	ck_assert_str_eq(in.principal, "F1abc");
	ck_assert_int_eq(in.id, 42);
	close(sv[0]);
	close(sv[1]);
}
END_TEST

START_TEST(msg_any_request)
{
	union {
		struct avecd_login l;
		struct avecd_who w;
		struct avecd_add a;
		struct avecd_remove r;
	} in;
	struct avecd_who w;
	uint32_t type = 0;
	int sv[2];

	pair(sv);
	memset(&w, 0, sizeof(w));
	strcpy(w.principal, "E1abc");
	ck_assert_int_eq(avecd_msg_send(sv[0], AVECD_MSG_DEVICES, &w,
					sizeof(w)), 0);
	ck_assert_int_eq(avecd_msg_recv(sv[1], &type, &in, 0), 0);
	ck_assert_uint_eq(type, AVECD_MSG_DEVICES);
	ck_assert_str_eq(in.w.principal, "E1abc");
	close(sv[0]);
	close(sv[1]);
}
END_TEST

START_TEST(msg_refuses_wrong_size)
{
	struct avecd_remove r;
	char big[sizeof(r) + 16];
	uint32_t type = AVECD_MSG_REMOVE;
	int sv[2];

	memset(big, 'A', sizeof(big));
	pair(sv);
	/* longer than the struct: refused, never read into it */
	ck_assert_int_eq(avecd_msg_send(sv[0], type, big, sizeof(big)), 0);
	ck_assert_int_eq(avecd_msg_recv(sv[1], &type, &r, sizeof(r)), -1);
	close(sv[0]);
	close(sv[1]);
	/* shorter */
	pair(sv);
	ck_assert_int_eq(avecd_msg_send(sv[0], type, big, sizeof(r) - 1), 0);
	ck_assert_int_eq(avecd_msg_recv(sv[1], &type, &r, sizeof(r)), -1);
	close(sv[0]);
	close(sv[1]);
}
END_TEST

START_TEST(msg_refuses_wrong_type)
{
	struct avecd_remove r;
	union {
		struct avecd_login l;
		struct avecd_add a;
	} in;
	uint32_t type = AVECD_MSG_ADD, any = 0;
	int sv[2];

	memset(&r, 0, sizeof(r));
	pair(sv);
	/* a REMOVE where an ADD is expected */
	ck_assert_int_eq(avecd_msg_send(sv[0], AVECD_MSG_REMOVE, &r,
					sizeof(r)), 0);
	ck_assert_int_eq(avecd_msg_recv(sv[1], &type, &in, sizeof(in.a)), -1);
	close(sv[0]);
	close(sv[1]);
	/* an unknown type where any request is accepted */
	pair(sv);
	ck_assert_int_eq(avecd_msg_send(sv[0], 99, &r, sizeof(r)), 0);
	ck_assert_int_eq(avecd_msg_recv(sv[1], &any, &in, 0), -1);
	close(sv[0]);
	close(sv[1]);
}
END_TEST

START_TEST(msg_refuses_truncation)
{
	struct avecd_remove r;
	uint32_t type = AVECD_MSG_REMOVE;
	uint32_t hdr[2] = { AVECD_MSG_REMOVE, sizeof(r) };
	int sv[2];

	pair(sv);
	/* the header promises a whole struct, the peer dies half-way */
	ck_assert_int_eq(write(sv[0], hdr, sizeof(hdr)), (ssize_t)sizeof(hdr));
	ck_assert_int_eq(write(sv[0], "abc", 3), 3);
	close(sv[0]);
	ck_assert_int_eq(avecd_msg_recv(sv[1], &type, &r, sizeof(r)), -1);
	close(sv[1]);
}
END_TEST

/* ---- redirect.c: where "next" may send the browser ---- */

START_TEST(local_path_accepts_plain_paths)
{
	static const char *const good[] = {
		"/", "/devices", "/devices/ready", "/devices?removed=1",
		"/devices/ready?id=12", "/a-b_c.d~e", "/x/y/z", "/%20name",
		"/%41%42", "/a:b@c", "/?q=a%2Bb&r=1", "/dev#top",
	};
	unsigned i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		ck_assert_msg(avecd_local_path(good[i]) == good[i],
			      "refused the local path %s", good[i]);
}
END_TEST

START_TEST(local_path_refuses_hostile_targets)
{
	/* every one of these reaches us already decoded once by
	 * libmicrohttpd: "%09" in the URL is a tab here, "%2509" is "%09" */
	static const char *const bad[] = {
		NULL, "", "devices", "evil.example", "//evil.example",
		"///evil.example", "/\\evil.example", "\\\\evil.example",
		"https://evil.example/", "http:evil.example",
		"javascript:alert(1)", "data:text/html,x", " /devices",
		/* control characters: browsers drop tab, CR, LF in URLs */
		"/\t/evil.example", "\t//evil.example", "/\v/evil.example",
		"/\n/evil.example", "/\r/evil.example", "/\r\n/evil.example",
		"/devices\r\nSet-Cookie: x=1", "/\f/evil.example",
		"/\x01/evil.example", "/\x1f/evil.example",
		"/\x7f/evil.example", "/\x1b", "/devices\x7f",
		/* backslash, "//" anywhere */
		"/a\\b", "/devices//x", "/a/..//evil.example",
		/* the same, still percent-encoded once more */
		"/%09/evil.example", "/%0b/evil.example", "/%0B/evil.example",
		"/%0a/evil.example", "/%0d%0a/evil.example",
		"/%7f/evil.example", "/%7F/evil.example", "/%00/evil.example",
		"/%5c/evil.example", "/%5C/evil.example", "/%2f/evil.example",
		"/%2F/evil.example", "%2F%2Fevil.example", "/%2F%2Fevil.example",
		"/%252F/evil.example", "/%2509/evil.example",
		"/%25252F/evil.example", "/%u002F/evil", "/%",
		/* not plain ASCII: no byte above 0x7e, no space */
		"/\xef\xbc\x8f/evil.example", "/\xc0\xaf", "/a b",
		"/%c0%af/evil.example", "/%e2%80%8b/evil.example",
		"/<script>", "/\"x", "/a`b", "/{x}", "/a|b", "/a^b",
	};
	char longpath[300];
	unsigned i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(strcmp(avecd_local_path(bad[i]), "/") == 0,
			      "accepted the hostile target #%u", i);
	memset(longpath, 'a', sizeof(longpath) - 1);
	longpath[0] = '/';
	longpath[sizeof(longpath) - 1] = '\0';
	ck_assert_str_eq(avecd_local_path(longpath), "/");
}
END_TEST

START_TEST(acme_token_shape)
{
	char longest[AVECD_ACME_TOKEN_MAX + 2];
	static const char *const bad[] = {
		"", "..", ".", "a/b", "../etc", "a.b", "a b", "a%2e", "a\\b",
		"tok=", "tok+", "\xc3\xa9t\xc3\xa9", "a\nb",
	};
	unsigned i;

	ck_assert(avecd_acme_token_valid("LoqXcYV8q5ONbJQxbmR7SCTNo3tiAXDfowyjxAjEuX0"));
	ck_assert(avecd_acme_token_valid("a"));
	ck_assert(avecd_acme_token_valid("-_-"));
	ck_assert(!avecd_acme_token_valid(NULL));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(!avecd_acme_token_valid(bad[i]), "%s", bad[i]);
	memset(longest, 'A', sizeof(longest));
	longest[AVECD_ACME_TOKEN_MAX] = '\0';
	ck_assert(avecd_acme_token_valid(longest));
	longest[AVECD_ACME_TOKEN_MAX] = 'A';
	longest[AVECD_ACME_TOKEN_MAX + 1] = '\0';
	ck_assert(!avecd_acme_token_valid(longest));
}
END_TEST

static void
put(const char *path, const char *text, size_t len)
{
	FILE *f = fopen(path, "w");

	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(text, 1, len, f), len);
	fclose(f);
}

START_TEST(acme_read_files)
{
	char dir[256], p[512], link[256], out[AVECD_ACME_MAX], big[AVECD_ACME_MAX + 1];
	size_t len = 99;

	snprintf(dir, sizeof(dir), "%s", unit_path("acme"));
	ck_assert_int_eq(mkdir(dir, 0755), 0);
	snprintf(p, sizeof(p), "%s/tok_1", dir);
	put(p, "tok_1.thumb", 11);
	ck_assert_int_eq(avecd_acme_read(dir, "tok_1", out, sizeof(out), &len), 0);
	ck_assert_uint_eq(len, 11);
	ck_assert(memcmp(out, "tok_1.thumb", 11) == 0);
	/* exactly the cap is served; one byte more is not */
	memset(big, 'x', sizeof(big));
	snprintf(p, sizeof(p), "%s/full", dir);
	put(p, big, AVECD_ACME_MAX);
	ck_assert_int_eq(avecd_acme_read(dir, "full", out, sizeof(out), &len), 0);
	ck_assert_uint_eq(len, AVECD_ACME_MAX);
	snprintf(p, sizeof(p), "%s/big", dir);
	put(p, big, sizeof(big));
	ck_assert_int_eq(avecd_acme_read(dir, "big", out, sizeof(out), &len), -1);
	ck_assert_uint_eq(len, 0);
	/* absent, a bad name, a relative or empty directory */
	ck_assert_int_eq(avecd_acme_read(dir, "nothing", out, sizeof(out), &len), -1);
	ck_assert_int_eq(avecd_acme_read(dir, "../acme/tok_1", out, sizeof(out), &len), -1);
	ck_assert_int_eq(avecd_acme_read("", "tok_1", out, sizeof(out), &len), -1);
	ck_assert_int_eq(avecd_acme_read("acme", "tok_1", out, sizeof(out), &len), -1);
	/* a link to a readable file is not followed */
	snprintf(p, sizeof(p), "%s/passwd", dir);
	ck_assert_int_eq(symlink("/etc/passwd", p), 0);
	ck_assert_int_eq(avecd_acme_read(dir, "passwd", out, sizeof(out), &len), -1);
	/* nor a directory, nor a FIFO (which must not block) */
	snprintf(p, sizeof(p), "%s/sub", dir);
	ck_assert_int_eq(mkdir(p, 0755), 0);
	ck_assert_int_eq(avecd_acme_read(dir, "sub", out, sizeof(out), &len), -1);
	snprintf(p, sizeof(p), "%s/fifo", dir);
	ck_assert_int_eq(mkfifo(p, 0644), 0);
	ck_assert_int_eq(avecd_acme_read(dir, "fifo", out, sizeof(out), &len), -1);
	/* the directory itself may not be a link */
	snprintf(link, sizeof(link), "%s", unit_path("acme-link"));
	ck_assert_int_eq(symlink(dir, link), 0);
	ck_assert_int_eq(avecd_acme_read(link, "tok_1", out, sizeof(out), &len), -1);
}
END_TEST

Suite *
avecd_suite(void)
{
	Suite *s = suite_create("avecd");
	TCase *tc = tcase_create("msg");

	tcase_add_test(tc, msg_roundtrip);
	tcase_add_test(tc, msg_any_request);
	tcase_add_test(tc, msg_refuses_wrong_size);
	tcase_add_test(tc, msg_refuses_wrong_type);
	tcase_add_test(tc, msg_refuses_truncation);
	suite_add_tcase(s, tc);
	tc = tcase_create("redirect");
	tcase_add_test(tc, local_path_accepts_plain_paths);
	tcase_add_test(tc, local_path_refuses_hostile_targets);
	suite_add_tcase(s, tc);
	tc = tcase_create("acme");
	tcase_add_test(tc, acme_token_shape);
	tcase_add_test(tc, acme_read_files);
	suite_add_tcase(s, tc);
	return s;
}
