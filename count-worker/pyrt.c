/* pyrt — CPython in the supervisor (initialised once) and in each job's locked-down child. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "pyrt.h"
#include "utf8.h"

#define METHOD_FILENAME "<method>"
#define MESSAGE_MAX 1000  /* bytes of an error message, cut on a character boundary */
#define TYPE_NAME_MAX 100 /* bytes of an exception's type name within it */

extern const char runtime_py[]; /* runtime.py, embedded at build time */

/* What the supervisor prepared: method globals, the named tuples, runtime functions. */
static struct {
	PyObject *globals; /* template of every method's globals */
	PyTypeObject *proposal, *ballot;
	PyObject *check;  /* runtime.check(tree) -> None | reason */
	PyObject *reseed; /* runtime.reseed() */
	PyObject *gc_freeze; /* runtime.freeze_inputs(), gc.freeze: methods never see it */
	char version[32];
	char libraries[1024];
	char runtime[1200]; /* what a VALIDATE answers: {"libraries":[...],"python":"3.11.x"} */
} rt;

/* Starts CPython isolated from the environment, with the fixed hash seed of DESIGN §4. */
static int
start_interpreter(char *err, size_t errlen)
{
	PyConfig config;
	PyStatus st;

	PyConfig_InitIsolatedConfig(&config);
	config.site_import = 0;
	config.install_signal_handlers = 0;
	config.write_bytecode = 0;
	config.faulthandler = 0;
	config.parse_argv = 0;
	config.pathconfig_warnings = 0;
	config.use_hash_seed = 1;
	config.hash_seed = 0;
	st = Py_InitializeFromConfig(&config);
	PyConfig_Clear(&config);
	if (PyStatus_Exception(st)) {
		snprintf(err, errlen, "could not initialise Python: %s",
		         st.err_msg != NULL ? st.err_msg : "unknown error");
		return -1;
	}
	return 0;
}

/* Writes the pending Python exception into err (supervisor start-up only). */
static void
python_error(char *err, size_t errlen, const char *what)
{
	PyObject *type, *value, *tb, *s = NULL;

	PyErr_Fetch(&type, &value, &tb);
	if (value != NULL)
		s = PyObject_Str(value);
	snprintf(err, errlen, "%s: %s", what,
	         s != NULL && PyUnicode_Check(s) ? PyUnicode_AsUTF8(s) : "unknown error");
	Py_XDECREF(s);
	Py_XDECREF(type);
	Py_XDECREF(value);
	Py_XDECREF(tb);
	PyErr_Clear();
}

/* A list of the names in a space- or comma-separated string, or NULL. */
static PyObject *
library_list(const char *libraries)
{
	PyObject *list = PyList_New(0);
	const char *p = libraries;

	while (list != NULL && *p != '\0') {
		size_t n = strcspn(p, " ,\t");
		if (n > 0) {
			PyObject *name = PyUnicode_DecodeUTF8(p, (Py_ssize_t)n, NULL);
			if (name == NULL || PyList_Append(list, name) != 0)
				Py_CLEAR(list);
			Py_XDECREF(name);
		}
		p += n + (p[n] != '\0');
	}
	return list;
}

/* Describes the runtime for result documents (DESIGN §7): the Python version and the
 * allowed libraries, as JSON. The names are those of modules that imported, so they hold
 * no quote, backslash or control character and need no escaping. Returns 0, or -1 if the description does not fit. */
static int
runtime_json(void)
{
	size_t n = (size_t)snprintf(rt.runtime, sizeof(rt.runtime), "{\"libraries\":[");
	const char *p = rt.libraries;

	while (*p != '\0' && n < sizeof(rt.runtime)) {
		size_t len = strcspn(p, " ");
		n += (size_t)snprintf(rt.runtime + n, sizeof(rt.runtime) - n, "%s\"%.*s\"",
				      p == rt.libraries ? "" : ",", (int)len, p);
		p += len + (p[len] == ' ');
	}
	if (n < sizeof(rt.runtime))
		n += (size_t)snprintf(rt.runtime + n, sizeof(rt.runtime) - n,
				      "],\"python\":\"%s\"}", rt.version);
	return n < sizeof(rt.runtime) ? 0 : -1;
}

static int
load_runtime(const char *libraries, char *err, size_t errlen)
{
	PyObject *code, *mod = NULL, *libs = NULL, *joined = NULL, *sep = NULL;
	int r = -1;

	if ((code = Py_CompileString(runtime_py, "<count-worker runtime>", Py_file_input)) ==
	        NULL ||
	    (mod = PyImport_ExecCodeModule("freecoop_runtime", code)) == NULL) {
		python_error(err, errlen, "could not load the worker runtime");
		goto out;
	}
	if ((libs = library_list(libraries)) == NULL ||
	    (rt.globals = PyObject_CallMethod(mod, "method_globals", "O", libs)) == NULL) {
		python_error(err, errlen, "could not import the allowed libraries");
		goto out;
	}
	rt.proposal = (PyTypeObject *)PyObject_GetAttrString(mod, "Proposal");
	rt.ballot = (PyTypeObject *)PyObject_GetAttrString(mod, "Ballot");
	rt.check = PyObject_GetAttrString(mod, "check");
	rt.reseed = PyObject_GetAttrString(mod, "reseed");
	rt.gc_freeze = PyObject_GetAttrString(mod, "freeze_inputs");
	if (rt.proposal == NULL || rt.ballot == NULL || rt.check == NULL || rt.reseed == NULL ||
	    rt.gc_freeze == NULL ||
	    (sep = PyUnicode_FromString(" ")) == NULL ||
	    (joined = PyUnicode_Join(sep, libs)) == NULL) {
		python_error(err, errlen, "incomplete worker runtime");
		goto out;
	}
	snprintf(rt.libraries, sizeof(rt.libraries), "%s", PyUnicode_AsUTF8(joined));
	if (runtime_json() != 0) {
		snprintf(err, errlen, "the list of allowed libraries is too long");
		goto out;
	}
	r = 0;
out:
	Py_XDECREF(code);
	Py_XDECREF(mod);
	Py_XDECREF(libs);
	Py_XDECREF(sep);
	Py_XDECREF(joined);
	return r;
}

/* An audit hook that makes opening METHOD_FILENAME fail without a system call. CPython
 * tries to read the offending line of a SyntaxError from a file of the source's name, and
 * under the jail that open() would be a sandbox violation; refused here, the parser takes
 * the line from the source text instead. Every other event goes on (to the jail). */
static int
audit_hook(const char *event, PyObject *args, void *data)
{
	PyObject *path;

	if (strcmp(event, "open") != 0 || !PyTuple_Check(args) || PyTuple_GET_SIZE(args) < 1)
		return 0;
	path = PyTuple_GET_ITEM(args, 0);
	if (PyUnicode_Check(path) && PyUnicode_CompareWithASCIIString(path, METHOD_FILENAME) == 0) {
		PyErr_SetString(PyExc_PermissionError, "the method has no file");
		return -1;
	}
	return 0;
}

int
pyrt_init(const char *libraries, char *err, size_t errlen)
{
	const char *v = Py_GetVersion();

	snprintf(rt.version, sizeof(rt.version), "%.*s", (int)strcspn(v, " "), v);
	if (start_interpreter(err, errlen) != 0 || load_runtime(libraries, err, errlen) != 0)
		return -1;
	if (PySys_AddAuditHook(audit_hook, NULL) != 0) {
		python_error(err, errlen, "could not add the audit hook");
		return -1;
	}
	return 0;
}

const char *
pyrt_version(void)
{
	return rt.version;
}

const char *
pyrt_runtime(void)
{
	return rt.runtime;
}

const char *
pyrt_libraries(void)
{
	return rt.libraries;
}

void
pyrt_before_fork(void)
{
	PyOS_BeforeFork();
}

void
pyrt_after_fork_parent(void)
{
	PyOS_AfterFork_Parent();
}

void
pyrt_after_fork_child(void)
{
	PyOS_AfterFork_Child();
}

/* ---- in the child: answers ---- */

static void
write_all(int fd, const unsigned char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w <= 0)
			_exit(0); /* the supervisor will see a missing answer */
		p += w;
		n -= (size_t)w;
	}
}

static _Noreturn void
answer_error(int fd, enum wire_error_kind kind, const char *fmt, ...)
{
	char raw[WIRE_ERROR_MESSAGE_MAX * 2], msg[MESSAGE_MAX + 1];
	struct wire_buf b = {0};
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(raw, sizeof(raw), fmt, ap);
	va_end(ap);
	utf8_sanitize(raw, strlen(raw), msg, sizeof(msg));
	if (wire_encode_error(&b, NULL, kind, msg, WIRE_ERROR_MESSAGE_MAX + WIRE_ANSWER_OVERHEAD) == 0)
		write_all(fd, b.p, b.len);
	_exit(0);
}

static uint64_t
cpu_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static _Noreturn void
answer_result(int fd, const char *p, size_t n, uint64_t count_cpu_us)
{
	/* the runtime is the worker's to add */
	struct wire_result res = {{(const unsigned char *)p, (uint32_t)n}, 0, count_cpu_us, 0,
				  {NULL, 0}};
	struct wire_buf b = {0};

	if (wire_encode_result(&b, &res, (size_t)n + WIRE_ANSWER_OVERHEAD) != 0)
		answer_error(fd, WIRE_ERR_MEMORY, "no memory left to send the result");
	write_all(fd, b.p, b.len);
	_exit(0);
}

/* The line of the innermost frame of the method in an exception's traceback, or 0. */
static long
method_line(PyObject *value)
{
	PyObject *tb = value != NULL ? PyException_GetTraceback(value) : NULL;
	long line = 0;

	for (PyTracebackObject *t = (PyTracebackObject *)tb; t != NULL; t = t->tb_next) {
		PyCodeObject *code = PyFrame_GetCode(t->tb_frame);
		PyObject *n;
		if (PyUnicode_CompareWithASCIIString(code->co_filename, METHOD_FILENAME) == 0 &&
		    (n = PyObject_GetAttrString((PyObject *)t, "tb_lineno")) != NULL) {
			line = PyLong_AsLong(n);
			Py_DECREF(n);
		}
		Py_DECREF(code);
	}
	Py_XDECREF(tb);
	PyErr_Clear();
	return line;
}

/* The lineno of a SyntaxError, or 0. */
static long
syntax_error_line(PyObject *value)
{
	PyObject *n = PyObject_GetAttrString(value, "lineno");
	long line = n != NULL && PyLong_Check(n) ? PyLong_AsLong(n) : 0;

	Py_XDECREF(n);
	PyErr_Clear();
	return line > 0 ? line : 0;
}

/* str(value) as UTF-8 into out, or "<unprintable>": the method's __str__ runs here, under
 * the jail and its CPU limit, and may raise, loop or return anything. */
static void
exception_text(PyObject *value, char *out, size_t outsize)
{
	PyObject *s = value != NULL ? PyObject_Str(value) : NULL, *b = NULL;

	if (s != NULL && PyUnicode_Check(s))
		b = PyUnicode_AsEncodedString(s, "utf-8", "backslashreplace");
	if (b != NULL && PyBytes_Check(b))
		utf8_sanitize(PyBytes_AS_STRING(b), (size_t)PyBytes_GET_SIZE(b), out, outsize);
	else
		snprintf(out, outsize, "<unprintable>");
	Py_XDECREF(s);
	Py_XDECREF(b);
	PyErr_Clear();
}

/* Reports the pending exception: MemoryError as memory, anything else as exception. */
static _Noreturn void
answer_exception(int fd)
{
	PyObject *type, *value, *tb;
	char name[TYPE_NAME_MAX + 1], text[MESSAGE_MAX + 1], where[32] = "";
	long line;

	PyErr_Fetch(&type, &value, &tb);
	PyErr_NormalizeException(&type, &value, &tb);
	if (value != NULL && tb != NULL)
		PyException_SetTraceback(value, tb);
	if (type != NULL && PyErr_GivenExceptionMatches(type, PyExc_MemoryError))
		answer_error(fd, WIRE_ERR_MEMORY, "MemoryError: the method ran out of memory");
	utf8_sanitize(type != NULL ? ((PyTypeObject *)type)->tp_name : "?",
	              type != NULL ? strlen(((PyTypeObject *)type)->tp_name) : 1, name,
	              sizeof(name));
	if (type != NULL && PyErr_GivenExceptionMatches(type, PyExc_SyntaxError)) {
		/* the compiler's own: its message and line, without the pseudo file name */
		PyObject *msg = PyObject_GetAttrString(value, "msg");
		line = syntax_error_line(value);
		exception_text(msg, text, sizeof(text));
		Py_XDECREF(msg);
	} else {
		line = method_line(value);
		exception_text(value, text, sizeof(text));
	}
	if (line > 0)
		snprintf(where, sizeof(where), " (line %ld)", line);
	answer_error(fd, WIRE_ERR_EXCEPTION, "%s: %s%s", name, text, where);
}

/* The method's source as a NUL-terminated copy, or an answer if it is not UTF-8 text. */
static char *
method_source(struct wire_bytes src, int fd)
{
	char *s;

	if (memchr(src.p, '\0', src.len) != NULL)
		answer_error(fd, WIRE_ERR_EXCEPTION,
		             "SyntaxError: source code contains a NUL byte");
	if (!utf8_valid(src.p, src.len))
		answer_error(fd, WIRE_ERR_EXCEPTION, "SyntaxError: source code is not valid UTF-8");
	if ((s = malloc((size_t)src.len + 1)) == NULL)
		answer_error(fd, WIRE_ERR_MEMORY, "no memory for the method source");
	memcpy(s, src.p, src.len);
	s[src.len] = '\0';
	return s;
}

/* Compiles source as the UTF-8 text it is (a coding declaration is ignored, as when a str
 * is compiled), in mode start (Py_file_input) with extra flags. */
static PyObject *
compile_method(const char *source, int extra_flags)
{
	PyCompilerFlags flags = _PyCompilerFlags_INIT;

	flags.cf_flags = PyCF_IGNORE_COOKIE | extra_flags;
	return Py_CompileStringExFlags(source, METHOD_FILENAME, Py_file_input, &flags, -1);
}

_Noreturn void
pyrt_child_validate(struct wire_bytes src, int fd)
{
	char *source = method_source(src, fd);
	PyObject *tree, *reason, *code;

	if ((tree = compile_method(source, PyCF_ONLY_AST)) == NULL)
		answer_exception(fd);
	if ((reason = PyObject_CallOneArg(rt.check, tree)) == NULL)
		answer_exception(fd);
	if (reason != Py_None)
		answer_error(fd, WIRE_ERR_EXCEPTION, "%s",
		             PyUnicode_Check(reason) ? PyUnicode_AsUTF8(reason) : "rejected");
	/* what the syntax tree does not show: 'return' outside a function, and the like */
	if ((code = compile_method(source, 0)) == NULL)
		answer_exception(fd);
	answer_result(fd, "", 0, 0);
}

/* ---- in the child: the inputs of a count ---- */

static int
bytes_cmp(const struct wire_bytes *a, const struct wire_bytes *b)
{
	uint32_t n = a->len < b->len ? a->len : b->len;
	int c = n > 0 ? memcmp(a->p, b->p, n) : 0;

	return c != 0 ? c : (a->len > b->len) - (a->len < b->len);
}

/* UTF-8 byte order is code point order, so these orders are Python's sorted() order of
 * the same str and bytes values and of the named tuples holding them. */
static int
proposal_cmp(const void *x, const void *y)
{
	const struct wire_proposal *a = x, *b = y;
	int c;

	if ((c = bytes_cmp(&a->id, &b->id)) != 0 ||
	    (c = bytes_cmp(&a->proposer, &b->proposer)) != 0)
		return c;
	return bytes_cmp(&a->payload, &b->payload);
}

static int
ballot_cmp(const void *x, const void *y)
{
	const struct wire_ballot *a = x, *b = y;
	int c = bytes_cmp(&a->id, &b->id);

	return c != 0 ? c : bytes_cmp(&a->payload, &b->payload);
}

static int
string_cmp(const void *x, const void *y)
{
	return bytes_cmp(x, y);
}

/* Sorts base[0..n) unless it already is (the server sends sorted inputs). */
static void
sort_if_needed(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *))
{
	for (size_t i = 1; i < n; i++) {
		if (cmp((char *)base + (i - 1) * size, (char *)base + i * size) > 0) {
			qsort(base, n, size, cmp);
			return;
		}
	}
}

static PyObject *
str_of(struct wire_bytes b, int fd)
{
	PyObject *s = PyUnicode_DecodeUTF8((const char *)b.p, b.len, NULL);

	/* the supervisor checked that it is UTF-8 (job_prepare) */
	if (s == NULL)
		answer_error(fd, WIRE_ERR_MEMORY, "the inputs do not fit in the memory limit");
	return s;
}

static PyObject *
bytes_of(struct wire_bytes b, int fd)
{
	PyObject *o = PyBytes_FromStringAndSize((const char *)b.p, b.len);

	if (o == NULL)
		answer_error(fd, WIRE_ERR_MEMORY, "the inputs do not fit in the memory limit");
	return o;
}

/* A named tuple instance made as tuple.__new__(type, items) makes it, without running
 * Python code; steals the items. */
static PyObject *
named_tuple(PyTypeObject *type, int fd, int n, PyObject **items)
{
	PyObject *t = type->tp_alloc(type, n);

	if (t == NULL)
		answer_error(fd, WIRE_ERR_MEMORY, "the inputs do not fit in the memory limit");
	for (int i = 0; i < n; i++)
		PyTuple_SET_ITEM(t, i, items[i]);
	return t;
}

/* Adds item (stolen) to the frozenset being filled. */
static void
add(PyObject *set, PyObject *item, int fd)
{
	if (PySet_Add(set, item) != 0)
		answer_error(fd, WIRE_ERR_MEMORY, "the inputs do not fit in the memory limit");
	Py_DECREF(item);
}

static PyObject *
new_frozenset(int fd)
{
	PyObject *s = PyFrozenSet_New(NULL);

	if (s == NULL)
		answer_error(fd, WIRE_ERR_MEMORY, "the inputs do not fit in the memory limit");
	return s;
}

/* The five frozensets of DESIGN §4, each filled in sorted order, into args[0..5). */
static void
build_inputs(struct wire_count *c, PyObject *args[5], int fd)
{
	sort_if_needed(c->proposals, c->nproposals, sizeof(*c->proposals), proposal_cmp);
	sort_if_needed(c->ballots, c->nballots, sizeof(*c->ballots), ballot_cmp);
	args[0] = new_frozenset(fd);
	for (uint32_t i = 0; i < c->nproposals; i++) {
		PyObject *f[3] = {str_of(c->proposals[i].id, fd),
		                  str_of(c->proposals[i].proposer, fd),
		                  bytes_of(c->proposals[i].payload, fd)};
		add(args[0], named_tuple(rt.proposal, fd, 3, f), fd);
	}
	args[1] = new_frozenset(fd);
	for (uint32_t i = 0; i < c->nballots; i++) {
		PyObject *f[2] = {str_of(c->ballots[i].id, fd),
		                  bytes_of(c->ballots[i].payload, fd)};
		add(args[1], named_tuple(rt.ballot, fd, 2, f), fd);
	}
	for (int s = 0; s < 3; s++) {
		sort_if_needed(c->sets[s], c->nsets[s], sizeof(struct wire_bytes), string_cmp);
		args[2 + s] = new_frozenset(fd);
		for (uint32_t i = 0; i < c->nsets[s]; i++)
			add(args[2 + s], str_of(c->sets[s][i], fd), fd);
	}
}

_Noreturn void
pyrt_child_count(struct wire_count *c, int fd)
{
	PyObject *args[5], *code, *fn, *res, *r;
	char *source = method_source(c->method, fd);
	uint64_t t0;

	/* A million named tuples and strings would each trigger the cyclic collector, which
	 * walks everything built so far: build them with it off, then freeze them (later
	 * collections, for the method's own garbage, skip the inputs; none of them can be
	 * part of a cycle until the method makes one). */
	PyGC_Disable();
	build_inputs(c, args, fd);
	if ((r = PyObject_CallNoArgs(rt.gc_freeze)) == NULL)
		answer_exception(fd);
	Py_DECREF(r);
	PyGC_Enable();
	if ((r = PyObject_CallNoArgs(rt.reseed)) == NULL)
		answer_exception(fd);
	Py_DECREF(r);
	if ((code = compile_method(source, 0)) == NULL)
		answer_exception(fd);
	/* each job is a fresh fork: the template itself becomes this method's globals */
	if ((r = PyEval_EvalCode(code, rt.globals, rt.globals)) == NULL)
		answer_exception(fd);
	Py_DECREF(r);
	if ((fn = PyDict_GetItemString(rt.globals, "count")) == NULL || !PyCallable_Check(fn))
		answer_error(fd, WIRE_ERR_EXCEPTION, "NameError: the method defines no count()");
	t0 = cpu_now_us();
	res = PyObject_Vectorcall(fn, args, 5, NULL);
	t0 = cpu_now_us() - t0;
	if (res == NULL)
		answer_exception(fd);
	if (!PyBytes_CheckExact(res))
		answer_error(fd, WIRE_ERR_BAD_RESULT, "count() returned %.100s, not bytes",
		             Py_TYPE(res)->tp_name);
	if ((uint64_t)PyBytes_GET_SIZE(res) > c->limits.result_max)
		answer_error(fd, WIRE_ERR_BAD_RESULT,
		             "count() returned %zd bytes, more than the limit of %u",
		             PyBytes_GET_SIZE(res), c->limits.result_max);
	answer_result(fd, PyBytes_AS_STRING(res), (size_t)PyBytes_GET_SIZE(res), t0);
}
