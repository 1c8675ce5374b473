/* problem — filling a refusal (see the header). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "problem.h"

const struct problem *
problem_set(struct problem *p, int status, const char *slug, const char *fmt, ...)
{
	va_list ap;

	memset(p, 0, sizeof(*p));
	p->status = status;
	p->slug = slug;
	va_start(ap, fmt);
	vsnprintf(p->detail, sizeof(p->detail), fmt, ap);
	va_end(ap);
	return p;
}

const struct problem *
problem_db(struct problem *p, const struct db_result *res)
{
	memset(p, 0, sizeof(*p));
	p->db = res;
	return p;
}
