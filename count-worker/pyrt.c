/* pyrt — CPython in the supervisor (initialised once) and in each job's locked-down child. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
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

/* Sorts base[0..n) unless it already is (the server sends sorted inputs); returns
 * whether it had to. */
static bool
sort_if_needed(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *))
{
	for (size_t i = 1; i < n; i++) {
		if (cmp((char *)base + (i - 1) * size, (char *)base + i * size) > 0) {
			qsort(base, n, size, cmp);
			return true;
		}
	}
	return false;
}

static _Noreturn void
no_memory(int fd)
{
	answer_error(fd, WIRE_ERR_MEMORY, "the inputs do not fit in the memory limit");
}

static PyObject *
str_of(struct wire_bytes b, int fd)
{
	PyObject *s = PyUnicode_DecodeUTF8((const char *)b.p, b.len, NULL);

	/* the supervisor checked that it is UTF-8 (job_prepare) */
	if (s == NULL)
		no_memory(fd);
	return s;
}

static PyObject *
bytes_of(struct wire_bytes b, int fd)
{
	PyObject *o = PyBytes_FromStringAndSize((const char *)b.p, b.len);

	if (o == NULL)
		no_memory(fd);
	return o;
}

/* A named tuple instance made as tuple.__new__(type, items) makes it, without running
 * Python code; steals the items. */
static PyObject *
named_tuple(PyTypeObject *type, int fd, int n, PyObject **items)
{
	PyObject *t = type->tp_alloc(type, n);

	if (t == NULL)
		no_memory(fd);
	for (int i = 0; i < n; i++)
		PyTuple_SET_ITEM(t, i, items[i]);
	return t;
}

/* Adds item (stolen) to the frozenset being filled. */
static void
add(PyObject *set, PyObject *item, int fd)
{
	if (PySet_Add(set, item) != 0)
		no_memory(fd);
	Py_DECREF(item);
}

static PyObject *
new_frozenset(int fd)
{
	PyObject *s = PyFrozenSet_New(NULL);

	if (s == NULL)
		no_memory(fd);
	return s;
}

/* ---- building each input object once ----
 *
 * Equal values may be one object: bytes and str are immutable, set order follows the
 * hash (the content's), and only identity (`is`, id()) could tell, which the count
 * contract does not promise (CPython itself shares its empty and one-byte bytes objects).
 * Ballots often repeat a payload (a Schulze ranking, a plurality choice): a
 * payload seen before is that same bytes object, up to PAYLOADS_SHARED distinct payloads
 * (a table of fixed size, so a count of all-distinct payloads pays one lookup per ballot
 * and no more memory). Pseudonyms recur from set to set (every participant is in the
 * voter franchise): each set reuses the str objects of the sets built before it, found by
 * walking the sorted arrays side by side. */

#define PAYLOADS_SHARED 65536u /* at most this many distinct payloads are shared */
#define PAYLOAD_PROBES 16      /* a payload not found within this many slots is not shared */

/* Payload objects by content: an open-addressing table of references. */
struct payloads {
	uint64_t *hash;
	PyObject **obj;
	size_t mask, used;
};

/* Not a cryptographic hash: voters choose payloads, so a lookup gives up after
 * PAYLOAD_PROBES slots, whatever the collisions. */
static uint64_t
payload_hash(const unsigned char *p, size_t n)
{
	uint64_t h = 0x9e3779b97f4a7c15u ^ n, w;

	for (; n >= 8; p += 8, n -= 8) {
		memcpy(&w, p, 8);
		h = (h ^ w) * 0xff51afd7ed558ccdu;
		h ^= h >> 32;
	}
	w = 0;
	memcpy(&w, p, n);
	h = (h ^ w) * 0xc4ceb9fe1a85ec53u;
	return h ^ h >> 29;
}

/* A table for n ballots: twice as many slots as it will hold, a power of two. */
static void
payloads_init(struct payloads *t, uint32_t n, int fd)
{
	size_t slots = 16;

	while (slots < 2 * (size_t)n && slots < 2 * (size_t)PAYLOADS_SHARED)
		slots *= 2;
	t->hash = calloc(slots, sizeof(*t->hash));
	t->obj = calloc(slots, sizeof(*t->obj));
	if (t->hash == NULL || t->obj == NULL)
		no_memory(fd);
	t->mask = slots - 1;
	t->used = 0;
}

static void
payloads_cleanup(struct payloads *t)
{
	for (size_t i = 0; i <= t->mask; i++)
		Py_XDECREF(t->obj[i]);
	free(t->hash);
	free(t->obj);
}

/* The bytes object of b (a new reference): the one made for an equal payload before, or
 * a new one (remembered while there is room). */
static PyObject *
payload_of(struct payloads *t, struct wire_bytes b, int fd)
{
	uint64_t h = payload_hash(b.p, b.len);
	size_t i = h & t->mask;
	PyObject *o;

	for (int probe = 0; probe < PAYLOAD_PROBES; probe++, i = (i + 1) & t->mask) {
		o = t->obj[i];
		if (o == NULL) {
			o = bytes_of(b, fd);
			if (t->used < PAYLOADS_SHARED) {
				Py_INCREF(o);
				t->hash[i] = h;
				t->obj[i] = o;
				t->used++;
			}
			return o;
		}
		if (t->hash[i] == h && (size_t)PyBytes_GET_SIZE(o) == b.len &&
		    memcmp(PyBytes_AS_STRING(o), b.p, b.len) == 0) {
			Py_INCREF(o);
			return o;
		}
	}
	return bytes_of(b, fd);
}

/* The str objects of the sets built so far (references), in their sorted order, and how
 * far each has been walked beside the set being built. They are compared by their UTF-8
 * text, which for the usual ASCII pseudonym is the object's own data: the frame's copy of
 * a set built before may already be unmapped. */
struct pseudonyms {
	PyObject **obj[3];
	uint32_t n[3], at[3];
	int built;
};

static int
str_cmp(PyObject *o, const struct wire_bytes *b, int fd)
{
	Py_ssize_t n;
	const char *p = PyUnicode_AsUTF8AndSize(o, &n);

	if (p == NULL)
		no_memory(fd);
	return bytes_cmp(&(struct wire_bytes){(const unsigned char *)p, (uint32_t)n}, b);
}

/* The str object of b (a new reference): that of an equal pseudonym of a set built
 * before, or a new one. Calls come in sorted order within a set. */
static PyObject *
pseudonym_of(struct pseudonyms *ps, const struct wire_bytes *b, int fd)
{
	for (int t = 0; t < ps->built; t++) {
		int c = 1;
		while (ps->at[t] < ps->n[t] && (c = str_cmp(ps->obj[t][ps->at[t]], b, fd)) < 0)
			ps->at[t]++;
		if (c == 0) {
			Py_INCREF(ps->obj[t][ps->at[t]]);
			return ps->obj[t][ps->at[t]];
		}
	}
	return str_of(*b, fd);
}

static void
pseudonyms_cleanup(struct pseudonyms *ps)
{
	for (int s = 0; s < ps->built; s++) {
		for (uint32_t i = 0; i < ps->n[s]; i++)
			Py_DECREF(ps->obj[s][i]);
		free(ps->obj[s]);
	}
}

/* ---- giving the request frame back as it is read ----
 *
 * The child reads its inputs from the request frame, then never looks at it again; the
 * inputs' objects are about as large. So that the two are not held at once, the child
 * unmaps the pages of the frame it has read, a few MiB at a time: in the frame's order
 * (proposals, ballots, then the sets) where an array did not need sorting, at the end of
 * each array where it did. Only whole pages strictly inside the inputs' part of the frame
 * go (the frame is the caller's allocation, never freed in the child, which exits). */

#define RELEASE_STEP ((uintptr_t)4 << 20)

struct release {
	uintptr_t done; /* the frame below this is unmapped, or not the inputs' */
	uintptr_t page;
};

/* The lowest address among n elements of size bytes whose first member is a wire_bytes
 * (in the frame, an element's first member comes first), or UINTPTR_MAX. */
static uintptr_t
lowest(const void *base, size_t n, size_t size)
{
	uintptr_t low = UINTPTR_MAX;

	for (size_t i = 0; i < n; i++) {
		uintptr_t p =
		    (uintptr_t)((const struct wire_bytes *)((const char *)base + i * size))->p;
		low = p < low ? p : low;
	}
	return low;
}

/* Unmaps the whole pages between what is already given back and `below` (the lowest
 * address still to be read), once there are at least `step` bytes of them. */
static void
give_back(struct release *r, uintptr_t below, uintptr_t step)
{
	uintptr_t from = (r->done + r->page - 1) & ~(r->page - 1), to = below & ~(r->page - 1);

	if (below == UINTPTR_MAX || r->done == UINTPTR_MAX || to < from + step || to <= from)
		return;
	munmap((void *)from, to - from);
	r->done = to;
}

/* The lowest address of the inputs in phases from `phase` on (0 proposals, 1 ballots,
 * 2.. the sets), or UINTPTR_MAX when nothing is left. */
static uintptr_t
still_needed(const struct wire_count *c, int phase)
{
	uintptr_t low = UINTPTR_MAX, p;

	for (int k = phase; k < 5 && low == UINTPTR_MAX; k++) {
		if (k == 0)
			p = lowest(c->proposals, c->nproposals, sizeof(*c->proposals));
		else if (k == 1)
			p = lowest(c->ballots, c->nballots, sizeof(*c->ballots));
		else
			p = lowest(c->sets[k - 2], c->nsets[k - 2], sizeof(struct wire_bytes));
		low = p;
	}
	return low;
}

static PyObject *
build_proposals(struct wire_count *c, int fd)
{
	PyObject *set = new_frozenset(fd);

	for (uint32_t i = 0; i < c->nproposals; i++) {
		PyObject *f[3] = {str_of(c->proposals[i].id, fd),
		                  str_of(c->proposals[i].proposer, fd),
		                  bytes_of(c->proposals[i].payload, fd)};
		add(set, named_tuple(rt.proposal, fd, 3, f), fd);
	}
	return set;
}

/* moved: whether sorting changed the ballots' order (then they are not read in the
 * frame's order, and the frame is given back only after them). */
static PyObject *
build_ballots(struct wire_count *c, bool moved, struct release *rel, int fd)
{
	PyObject *set = new_frozenset(fd);
	struct payloads pay;

	payloads_init(&pay, c->nballots, fd);
	for (uint32_t i = 0; i < c->nballots; i++) {
		PyObject *f[2] = {str_of(c->ballots[i].id, fd),
		                  payload_of(&pay, c->ballots[i].payload, fd)};
		add(set, named_tuple(rt.ballot, fd, 2, f), fd);
		if (!moved && i + 1 < c->nballots)
			give_back(rel, (uintptr_t)c->ballots[i + 1].id.p, RELEASE_STEP);
	}
	payloads_cleanup(&pay);
	return set;
}

/* The three pseudonym sets into sets[0..3). */
static void
build_pseudonym_sets(struct wire_count *c, PyObject *sets[3], struct release *rel, int fd)
{
	struct pseudonyms ps = {{NULL}, {0}, {0}, 0};

	for (int s = 0; s < 3; s++) {
		bool moved;
		give_back(rel, still_needed(c, 2 + s), 0);
		moved =
		    sort_if_needed(c->sets[s], c->nsets[s], sizeof(struct wire_bytes), string_cmp);
		sets[s] = new_frozenset(fd);
		if (c->nsets[s] > 0 &&
		    (ps.obj[s] = malloc(c->nsets[s] * sizeof(PyObject *))) == NULL)
			no_memory(fd);
		memset(ps.at, 0, sizeof(ps.at));
		for (uint32_t i = 0; i < c->nsets[s]; i++) {
			PyObject *o = pseudonym_of(&ps, &c->sets[s][i], fd);
			if (PySet_Add(sets[s], o) != 0)
				no_memory(fd);
			ps.obj[s][i] = o;
			if (!moved && i + 1 < c->nsets[s])
				give_back(rel, (uintptr_t)c->sets[s][i + 1].p, RELEASE_STEP);
		}
		ps.n[s] = c->nsets[s];
		ps.built = s + 1;
	}
	pseudonyms_cleanup(&ps);
}

/* The five frozensets of DESIGN §4, each filled in sorted order, into args[0..5). */
static void
build_inputs(struct wire_count *c, PyObject *args[5], int fd)
{
	struct release rel = {0, (uintptr_t)sysconf(_SC_PAGESIZE)};
	bool moved;

	sort_if_needed(c->proposals, c->nproposals, sizeof(*c->proposals), proposal_cmp);
	moved = sort_if_needed(c->ballots, c->nballots, sizeof(*c->ballots), ballot_cmp);
	rel.done = still_needed(c, 0);
	args[0] = build_proposals(c, fd);
	give_back(&rel, still_needed(c, 1), 0);
	args[1] = build_ballots(c, moved, &rel, fd);
	build_pseudonym_sets(c, args + 2, &rel, fd);
}

_Noreturn void
pyrt_child_count(struct wire_count *c, int fd)
{
	PyObject *args[5], *code, *fn, *res, *r;
	char *source = method_source(c->method, fd);
	uint32_t result_max = c->limits.result_max;
	uint64_t t0;

	/* A million named tuples and strings would each trigger the cyclic collector, which
	 * walks everything built so far: build them with it off, then freeze them (later
	 * collections, for the method's own garbage, skip the inputs; none of them can be
	 * part of a cycle until the method makes one). */
	PyGC_Disable();
	build_inputs(c, args, fd);
	wire_count_free(c); /* the arrays; the frame they pointed into is unmapped */
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
	if ((uint64_t)PyBytes_GET_SIZE(res) > result_max)
		answer_error(fd, WIRE_ERR_BAD_RESULT,
		             "count() returned %zd bytes, more than the limit of %u",
		             PyBytes_GET_SIZE(res), result_max);
	answer_result(fd, PyBytes_AS_STRING(res), (size_t)PyBytes_GET_SIZE(res), t0);
}
