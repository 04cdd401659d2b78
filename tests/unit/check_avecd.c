/*
 * check_avecd.c - the wire between avecd's portal and engine (msg.c):
 * a message is read only when its header announces exactly the struct the
 * reader expects; anything else (a short, long, unknown or truncated
 * message) is refused rather than read as a struct.
 */
#include <string.h>
#include <sys/socket.h>
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
	return s;
}
