/* The api-server's count-worker client against the real worker (started, killed and
 * restarted here) and against a hostile stand-in that breaks the protocol on purpose —
 * what a compromised worker could send.
 *
 * Usage: test_worker_client /path/to/count-worker */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>

#include "util.h"
#include "worker/worker.h"

static const char *worker_bin;
static char dir[64], sock[96];
static struct event_base *base;

/* ---- the real worker ---- */

static pid_t
worker_spawn(void)
{
	char log[160];
	pid_t pid;

	snprintf(log, sizeof(log), "%s/worker.log", dir);
	if ((pid = fork()) == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL); /* no worker outlives a failed test */
		freopen(log, "a", stderr);
		setenv("FREECOOP_WORKER_JOBS", "2", 1);
		/* as root (scripts/test), the worker must become its dedicated user */
		if (getenv("FREECOOP_TEST_WORKER_USER") != NULL)
			setenv("FREECOOP_WORKER_USER", getenv("FREECOOP_TEST_WORKER_USER"), 1);
		execl(worker_bin, worker_bin, "--socket", sock, (char *)NULL);
		_exit(127);
	}
	/* ready when it accepts a connection */
	for (int i = 0; i < 200; i++) {
		struct sockaddr_un sa = {.sun_family = AF_UNIX};
		int fd = socket(AF_UNIX, SOCK_STREAM, 0), ok;
		snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock);
		ok = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
		close(fd);
		if (ok)
			return pid;
		usleep(20000);
	}
	fail_msg("the count-worker did not start");
	return -1;
}

static void
worker_stop(pid_t pid, int sig)
{
	kill(pid, sig);
	waitpid(pid, NULL, 0);
}

/* ---- running the loop until something happens ---- */

struct outcome {
	int called;
	enum worker_status status;
	enum wire_error_kind kind;
	char message[1100];
	unsigned char result[256];
	size_t result_len;
	int attempts;
};

static void
record_cb(const struct worker_answer *a, void *arg)
{
	struct outcome *o = arg;

	o->called++;
	o->status = a->status;
	o->kind = a->kind;
	o->attempts = a->attempts;
	snprintf(o->message, sizeof(o->message), "%s", a->message != NULL ? a->message : "");
	o->result_len = a->result_len;
	if (a->result_len > 0 && a->result_len <= sizeof(o->result))
		memcpy(o->result, a->result, a->result_len);
}

static void
run_until(bool (*done)(void *), void *arg, int ms)
{
	uint64_t end = util_now_us() + (uint64_t)ms * 1000u;

	while (!done(arg) && util_now_us() < end)
		event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK), usleep(1000);
}

static bool
is_called(void *arg)
{
	return ((struct outcome *)arg)->called > 0;
}

static bool
never(void *arg)
{
	return false;
}

static bool
is_ready(void *arg)
{
	return worker_ready(arg);
}

static struct worker *
client(int connections)
{
	struct worker_opts o = {sock, connections, 20, 200};
	struct worker *w = worker_new(base, &o);

	assert_non_null(w);
	return w;
}

static struct wire_count
count_of(const char *method, uint32_t result_max)
{
	static struct wire_ballot b[2] = {
	    {{(const unsigned char *)"b2", 2}, {(const unsigned char *)"y", 1}},
	    {{(const unsigned char *)"b1", 2}, {(const unsigned char *)"x", 1}}};
	struct wire_count c = {0};

	c.method = (struct wire_bytes){(const unsigned char *)method, (uint32_t)strlen(method)};
	c.limits = (struct wire_limits){5000, 10000, 256, result_max};
	c.ballots = b;
	c.nballots = 2;
	return c;
}

/* ---- the real worker: answers of each kind ---- */

static void
test_answers(void **state)
{
	pid_t pid = worker_spawn();
	struct worker *w = client(2);
	struct outcome o1 = {0}, o2 = {0}, o3 = {0}, o4 = {0};
	struct wire_count c1 = count_of("def count(p, b, a, f, v):\n"
	                                "    return b','.join(x.payload for x in sorted(b))\n",
	                                100);
	struct wire_count c2 = count_of("def count(p, b, a, f, v):\n    return 1 // 0\n", 100);
	static const char good[] = "def count(a, b, c, d, e):\n    return b''\n";
	static const char bad[] = "import os\ndef count(a, b, c, d, e):\n    return b''\n";

	run_until(is_ready, w, 3000);
	assert_true(worker_ready(w));
	assert_non_null(worker_validate(w, good, strlen(good), 5000, record_cb, &o1));
	assert_non_null(worker_validate(w, bad, strlen(bad), 5000, record_cb, &o2));
	assert_non_null(worker_count(w, &c1, 10000, record_cb, &o3));
	assert_non_null(worker_count(w, &c2, 10000, record_cb, &o4));
	assert_int_equal(o1.called + o2.called + o3.called + o4.called, 0); /* never inline */
	run_until(is_called, &o4, 5000);
	run_until(is_called, &o3, 5000);
	run_until(is_called, &o2, 5000);
	run_until(is_called, &o1, 5000);
	assert_int_equal(o1.status, WORKER_OK);
	/* a VALIDATE's result describes the worker's runtime, for the result document */
	assert_true(o1.result_len > 0);
	assert_non_null(memmem(o1.result, o1.result_len, "\"python\":\"3.", 12));
	assert_int_equal(o2.status, WORKER_FAILED);
	assert_int_equal(o2.kind, WIRE_ERR_EXCEPTION);
	assert_non_null(strstr(o2.message, "import statements are not allowed (line 1)"));
	assert_int_equal(o3.status, WORKER_OK);
	assert_int_equal(o3.result_len, 3);
	assert_memory_equal(o3.result, "x,y", 3); /* sorted by ballot id: b1 before b2 */
	assert_int_equal(o4.status, WORKER_FAILED);
	assert_string_equal(o4.message,
	                    "ZeroDivisionError: integer division or modulo by zero (line 2)");
	worker_free(w);
	worker_stop(pid, SIGTERM);
}

/* Ten jobs through at most three connections, all answered correctly. */
static void
test_many_jobs_few_connections(void **state)
{
	pid_t pid = worker_spawn();
	struct worker *w = client(3);
	struct outcome o[10] = {{0}};
	struct worker_stats st;
	char src[10][128];

	for (int i = 0; i < 10; i++) {
		struct wire_count c;
		snprintf(src[i], sizeof(src[i]),
		         "def count(p, b, a, f, v):\n    return b'%d:' + str(len(b)).encode()\n",
		         i);
		c = count_of(src[i], 100);
		assert_non_null(worker_count(w, &c, 20000, record_cb, &o[i]));
	}
	for (int i = 0; i < 10; i++) {
		char want[16];
		run_until(is_called, &o[i], 20000);
		snprintf(want, sizeof(want), "%d:2", i);
		assert_int_equal(o[i].status, WORKER_OK);
		assert_int_equal(o[i].result_len, strlen(want));
		assert_memory_equal(o[i].result, want, strlen(want));
	}
	worker_get_stats(w, &st);
	assert_true(st.connections <= 3);
	assert_int_equal(st.ok, 10);
	worker_free(w);
	worker_stop(pid, SIGTERM);
}

/* The worker dies under a running job and comes back: the job is sent again and answered;
 * the client notices the outage and the return by itself. */
static void
test_worker_restart_mid_job(void **state)
{
	pid_t pid = worker_spawn();
	struct worker *w = client(2);
	struct outcome o = {0};
	struct worker_stats st;
	/* a Python-level loop: seconds of work, so the worker dies while it runs */
	struct wire_count c = count_of("def count(p, b, a, f, v):\n"
	                               "    t = 0\n"
	                               "    for i in range(3 * 10**7):\n"
	                               "        t += i\n"
	                               "    return str(t).encode()\n",
	                               100);

	c.limits.cpu_ms = 30000;
	c.limits.wall_ms = 60000;

	run_until(is_ready, w, 3000);
	assert_non_null(worker_count(w, &c, 60000, record_cb, &o));
	run_until(is_called, &o, 300);
	assert_int_equal(o.called, 0);
	worker_stop(pid, SIGKILL);
	run_until(is_called, &o, 300);
	assert_false(worker_ready(w));
	assert_int_equal(o.called, 0);
	pid = worker_spawn();
	run_until(is_called, &o, 55000);
	assert_int_equal(o.status, WORKER_OK);
	assert_string_equal((char *)o.result, "449999985000000");
	assert_int_equal(o.attempts, 2);
	assert_true(worker_ready(w));
	worker_get_stats(w, &st);
	assert_int_equal(st.resent, 1);
	worker_free(w);
	worker_stop(pid, SIGTERM);
}

/* No worker at all: the job waits, then ends unavailable at its deadline. */
static void
test_deadline_without_worker(void **state)
{
	struct worker *w = client(2);
	struct outcome o = {0};
	static const char src[] = "def count(a, b, c, d, e):\n    return b''\n";
	uint64_t t0 = util_now_us();

	unlink(sock);
	assert_non_null(worker_validate(w, src, strlen(src), 400, record_cb, &o));
	run_until(is_called, &o, 3000);
	assert_int_equal(o.status, WORKER_UNAVAILABLE);
	assert_non_null(strstr(o.message, "did not answer in time"));
	assert_true(util_now_us() - t0 >= 390000); /* libevent's clock is coarse (a few ms) */
	assert_false(worker_ready(w));
	worker_free(w);
}

/* A cancelled job's callback never runs; freeing the client answers what is pending. */
static void
test_cancel_and_free(void **state)
{
	pid_t pid = worker_spawn();
	struct worker *w = client(2);
	struct outcome o1 = {0}, o2 = {0};
	struct wire_count c = count_of("def count(p, b, a, f, v):\n    while True: pass\n", 100);
	struct worker_job *j;

	run_until(is_ready, w, 3000);
	assert_non_null(j = worker_count(w, &c, 30000, record_cb, &o1));
	assert_non_null(worker_count(w, &c, 30000, record_cb, &o2));
	run_until(is_called, &o1, 300);
	worker_job_cancel(j);
	run_until(is_called, &o1, 300);
	assert_int_equal(o1.called, 0);
	worker_free(w);
	assert_int_equal(o2.called, 1);
	assert_int_equal(o2.status, WORKER_UNAVAILABLE);
	worker_stop(pid, SIGTERM);
}

/* ---- a hostile worker ---- */

static int hostile_mode;

/* Answers of a broken or compromised worker, one per mode. */
static void
hostile_answer(struct evbuffer *out)
{
	/* Frames as common/wire.h lays them out; every RESULT and ERROR ends with the runtime
	 * (here empty: four zero bytes). */
	static const unsigned char huge[] = {0x7f, 0xff, 0xff, 0xff, 3};
	static const unsigned char long_result[] = {
	    0, 0, 0, 42, 3, 0, 0, 0, 9, 'w', 'a', 'y', ' ', 't', 'o', 'o', ' ', 'l', 0, 0, 0,
	    0, 0, 0, 0,  0, 0, 0, 0, 0, 0,   0,   0,   0,   0,   0,   0,   0,   0,   0, 0, 0,
	    0, 0, 0, 0};
	static const unsigned char bad_kind[] = {0, 0, 0, 14, 4, 0, 0, 0, 99, 0, 0, 0, 1, 'x',
	                                         0, 0, 0, 0};
	static const unsigned char bad_utf8[] = {0, 0, 0, 15, 4, 0,    0,   0, 1, 0,
	                                         0, 0, 2, 0xc0, 0xaf, 0, 0, 0, 0};
	static const unsigned char trailing[] = {0, 0, 0, 34, 3, 0, 0, 0, 1, 'x', 0,  0,
	                                         0, 0, 0, 0,  0, 0, 0, 0, 0, 0,   0,  0,
	                                         0, 0, 0, 0,  0, 0, 0, 0, 0, 0,   0,  0,
	                                         0, 0, '!'};
	static const unsigned char wrong_type[] = {0, 0, 0, 5, 1, 0, 0, 0, 0};
	static const unsigned char truncated[] = {0, 0, 0, 9, 3, 0, 0, 0, 1, 'x'};
	static const unsigned char good[] = {0, 0, 0, 34, 3, 0, 0, 0, 1, 'k', 0, 0, 0, 0, 0, 0, 0,
	                                     0, 0, 0, 0,  0, 0, 0, 0, 0, 0,   0, 0, 0, 0, 0, 0, 0,
	                                     0, 0, 0, 0};
	static const struct {
		const unsigned char *p;
		size_t n;
	} answers[] = {{huge, sizeof(huge)},           {long_result, sizeof(long_result)},
	               {bad_kind, sizeof(bad_kind)},   {bad_utf8, sizeof(bad_utf8)},
	               {trailing, sizeof(trailing)},   {wrong_type, sizeof(wrong_type)},
	               {truncated, sizeof(truncated)}, {good, sizeof(good)}};

	evbuffer_add(out, answers[hostile_mode].p, answers[hostile_mode].n);
}

static void
hostile_read_cb(struct bufferevent *bev, void *arg)
{
	struct evbuffer *in = bufferevent_get_input(bev);
	unsigned char *p = evbuffer_pullup(in, 4);
	size_t n;

	if (p == NULL)
		return;
	n = 4 + ((size_t)p[0] << 24 | (size_t)p[1] << 16 | (size_t)p[2] << 8 | p[3]);
	if (evbuffer_get_length(in) < n)
		return;
	evbuffer_drain(in, n);
	if (hostile_mode == 6) { /* part of an answer, then gone */
		struct evbuffer *b = evbuffer_new();
		hostile_answer(b);
		assert_true(send(bufferevent_getfd(bev), evbuffer_pullup(b, -1),
		                 evbuffer_get_length(b), 0) > 0);
		evbuffer_free(b);
		bufferevent_free(bev);
		return;
	}
	hostile_answer(bufferevent_get_output(bev));
}

static void
hostile_event_cb(struct bufferevent *bev, short what, void *arg)
{
	bufferevent_free(bev);
}

static void
hostile_accept_cb(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa, int len,
                  void *arg)
{
	struct bufferevent *bev = bufferevent_socket_new(base, fd, BEV_OPT_CLOSE_ON_FREE);

	bufferevent_setcb(bev, hostile_read_cb, NULL, hostile_event_cb, NULL);
	bufferevent_enable(bev, EV_READ | EV_WRITE);
}

static void
test_hostile_answers_are_refused(void **state)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct evconnlistener *l;
	struct worker *w;
	struct worker_stats st;
	uint64_t violations = 0;

	unlink(sock);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock);
	l = evconnlistener_new_bind(base, hostile_accept_cb, NULL, LEV_OPT_CLOSE_ON_FREE, 16,
	                            (struct sockaddr *)&sa, sizeof(sa));
	assert_non_null(l);
	w = client(1);
	for (hostile_mode = 0; hostile_mode < 8; hostile_mode++) {
		struct outcome o = {0};
		struct wire_count c = count_of("def count(a, b, c, d, e):\n    return b''\n", 8);
		assert_non_null(worker_count(w, &c, 5000, record_cb, &o));
		run_until(is_called, &o, 6000);
		assert_int_equal(o.called, 1);
		worker_get_stats(w, &st);
		if (hostile_mode == 7) { /* the client still works with a well-behaved peer */
			assert_int_equal(o.status, WORKER_OK);
			assert_int_equal(o.result_len, 1);
			assert_memory_equal(o.result, "k", 1);
			assert_int_equal(st.violations, violations);
			continue;
		}
		print_message("hostile answer %d: %s\n", hostile_mode, o.message);
		assert_int_equal(o.status, WORKER_UNAVAILABLE);
		assert_int_equal(o.attempts, 3);
		if (hostile_mode != 6) /* a truncated answer is a broken connection */
			assert_int_equal(st.violations, violations + 3);
		violations = st.violations;
	}
	worker_free(w);
	run_until(never, NULL, 100); /* the stand-in sees its last connection close */
	evconnlistener_free(l);
}

static int
setup(void **state)
{
	snprintf(dir, sizeof(dir), "/tmp/fc-worker-client-XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(sock, sizeof(sock), "%s/worker.sock", dir);
	base = event_base_new();
	signal(SIGPIPE, SIG_IGN);
	return base == NULL;
}

static int
teardown(void **state)
{
	char cmd[128];

	event_base_free(base);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) != 0;
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_answers),
	    cmocka_unit_test(test_many_jobs_few_connections),
	    cmocka_unit_test(test_worker_restart_mid_job),
	    cmocka_unit_test(test_deadline_without_worker),
	    cmocka_unit_test(test_cancel_and_free),
	    cmocka_unit_test(test_hostile_answers_are_refused),
	};

	if (argc != 2) {
		fprintf(stderr, "usage: %s COUNT-WORKER\n", argv[0]);
		return 2;
	}
	worker_bin = argv[1];
	return cmocka_run_group_tests(tests, setup, teardown);
}
